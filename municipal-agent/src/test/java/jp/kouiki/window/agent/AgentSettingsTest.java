package jp.kouiki.window.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.config.Settings;
import jp.kouiki.window.municipality.MunicipalityCode;

class AgentSettingsTest {

    @TempDir
    Path directory;

    @Test
    void centralUrlAlone() throws Exception {
        AgentSettings settings = settings("https://window.kouiki.example:8443");

        assertThat(settings.centralUrls()).containsExactly(URI.create("https://window.kouiki.example:8443"));
        assertThat(settings.centralUrl()).isEqualTo(URI.create("https://window.kouiki.example:8443"));
    }

    @Test
    void centralUrlsOfPairInOrder() throws Exception {
        AgentSettings settings = settings("https://window-a.kouiki.example:8443, https://window-b.kouiki.example:8443");

        assertThat(settings.centralUrls()).containsExactly(URI.create("https://window-a.kouiki.example:8443"),
                URI.create("https://window-b.kouiki.example:8443"));
    }

    @Test
    void centralUrlWithHttpIsRefused() {
        assertThatThrownBy(() -> settings("http://window.kouiki.example:8080"))
                .hasMessageContaining("agent.central-url")
                .hasMessageContaining("https://");
    }

    @Test
    void centralUrlTwiceIsRefused() {
        assertThatThrownBy(() -> settings("https://window.kouiki.example:8443,https://window.kouiki.example:8443"))
                .hasMessageContaining("agent.central-url")
                .hasMessageContaining("two different ones");
    }

    @Test
    void centralUrlsBeyondTwoAreRefused() {
        assertThatThrownBy(() -> settings("https://a.example,https://b.example,https://c.example"))
                .hasMessageContaining("agent.central-url")
                .hasMessageContaining("two comma-separated");
    }

    @Test
    void municipalityListedTwiceIsRejected() {
        Properties properties = new Properties();
        properties.setProperty("agent.municipalities", "131016,131024,131016");
        properties.setProperty("agent.central-url", "https://window.kouiki.example:8443");

        assertThatThrownBy(() -> AgentSettings.from(Settings.of(AgentSettings.DEFAULTS, properties)))
                .hasMessageContaining("agent.municipalities")
                .hasMessageContaining("131016 is listed twice");
    }

    @Test
    void misspelledKeyIsRejected() {
        Properties properties = new Properties();
        properties.setProperty("agent.municipalities", "131016");
        properties.setProperty("agent.central-url", "https://window.kouiki.example:8443");
        properties.setProperty("agent.upload.worker", "8");

        assertThatThrownBy(() -> AgentSettings.from(Settings.of(AgentSettings.DEFAULTS, properties)))
                .hasMessageContaining("setting agent.upload.worker")
                .hasMessageContaining("did you mean agent.upload.workers?");
    }

    @Test
    void unionModeIsRead() throws Exception {
        assertThat(settings("https://window.kouiki.example:8443").unionMode()).isFalse();
        Properties properties = new Properties();
        properties.setProperty("agent.municipalities", "131016");
        properties.setProperty("agent.mode", "union");

        AgentSettings union = AgentSettings.from(Settings.of(AgentSettings.DEFAULTS, properties));

        assertThat(union.unionMode()).isTrue();
        assertThat(union.unionInbound(MunicipalityCode.of("131016")))
                .isEqualTo(union.folderRoot().resolve("inbound/131016"));
    }

    @Test
    void unknownModeNamesTheChoices() {
        Properties properties = new Properties();
        properties.setProperty("agent.municipalities", "131016");
        properties.setProperty("agent.mode", "central");

        assertThatThrownBy(() -> AgentSettings.from(Settings.of(AgentSettings.DEFAULTS, properties)))
                .hasMessageContaining("agent.mode")
                .hasMessageContaining("municipality for a municipality's agent, or union");
    }

    @Test
    void configDigestLeavesProxyPasswordOut() throws Exception {
        Path first = Files.writeString(directory.resolve("first.password"), "first secret\n");
        Path second = Files.writeString(directory.resolve("second.password"), "second secret\n");

        String withFirst = withProxy(first, "4").configDigest();
        String withSecond = withProxy(second, "4").configDigest();
        String otherWorkers = withProxy(first, "2").configDigest();

        assertThat(withFirst).matches("[0-9a-f]{64}").isEqualTo(withSecond);
        assertThat(otherWorkers).isNotEqualTo(withFirst);
    }

    private static AgentSettings withProxy(Path passwordFile, String uploadWorkers) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("agent.municipalities", "131016");
        properties.setProperty("agent.proxy.url", "http://127.0.0.1:3128");
        properties.setProperty("agent.proxy.user", "window");
        properties.setProperty("agent.proxy.password-file", passwordFile.toString());
        properties.setProperty("agent.upload.workers", uploadWorkers);
        return AgentSettings.from(Settings.of(AgentSettings.DEFAULTS, properties));
    }

    private static AgentSettings settings(String centralUrl) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("agent.municipalities", "131016");
        properties.setProperty("agent.central-url", centralUrl);
        return AgentSettings.from(Settings.of(AgentSettings.DEFAULTS, properties));
    }
}
