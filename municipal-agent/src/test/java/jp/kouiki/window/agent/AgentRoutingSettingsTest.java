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

class AgentRoutingSettingsTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final MunicipalityCode MINATO = MunicipalityCode.of("131032");

    @TempDir
    Path folder;

    @Test
    void municipalityWithoutOverrideUsesDefault() throws Exception {
        Properties properties = served();
        properties.setProperty("agent.central-url.131024", "https://window-b.example:8443");

        AgentSettings settings = load(properties);

        assertThat(settings.centralUrls(CHIYODA)).containsExactly(URI.create("https://window-a.example:8443"));
        assertThat(settings.centralUrls(MINATO)).containsExactly(URI.create("https://window-a.example:8443"));
    }

    @Test
    void overrideNamesPairForOneMunicipality() throws Exception {
        Properties properties = served();
        properties.setProperty("agent.central-url.131024", "https://window-b1.example:8443, https://window-b2.example:8443");

        AgentSettings settings = load(properties);

        assertThat(settings.centralUrls(CHUO)).containsExactly(URI.create("https://window-b1.example:8443"),
                URI.create("https://window-b2.example:8443"));
        assertThat(settings.centralUrlsByMunicipality()).containsOnlyKeys(CHUO);
    }

    @Test
    void overrideForMunicipalityNotServedIsRefused() {
        Properties properties = served();
        properties.setProperty("agent.central-url.131041", "https://window-b.example:8443");

        assertThatThrownBy(() -> load(properties))
                .hasMessageStartingWith("setting agent.central-url.131041=https://window-b.example:8443 in defaults"
                        + " is invalid; expected a key agent.central-url.<code> whose code is one of"
                        + " agent.municipalities [131016, 131024, 131032]");
    }

    @Test
    void overrideWithWrongCheckDigitIsRefused() {
        Properties properties = served();
        properties.setProperty("agent.central-url.131017", "https://window-b.example:8443");

        assertThatThrownBy(() -> load(properties)).hasMessageContaining("agent.central-url.131017");
    }

    @Test
    void overrideWithHttpIsRefused() {
        Properties properties = served();
        properties.setProperty("agent.central-url.131024", "http://window-b.example:8080");

        assertThatThrownBy(() -> load(properties))
                .hasMessageContaining("setting agent.central-url.131024=http://window-b.example:8080")
                .hasMessageContaining("https://");
    }

    @Test
    void noProxyByDefault() throws Exception {
        assertThat(load(served()).proxy()).isNull();
    }

    @Test
    void proxyWithUserAndPasswordFile() throws Exception {
        Path password = Files.writeString(folder.resolve("proxy.password"), "s3cret\n");
        Properties properties = served();
        properties.setProperty("agent.proxy.url", "http://proxy.lgwan.example:8080");
        properties.setProperty("agent.proxy.user", "window-agent");
        properties.setProperty("agent.proxy.password-file", password.toString());

        ForwardProxy proxy = load(properties).proxy();

        assertThat(proxy.host()).isEqualTo("proxy.lgwan.example");
        assertThat(proxy.port()).isEqualTo(8080);
        assertThat(proxy.user()).isEqualTo("window-agent");
        assertThat(proxy.readPassword()).isEqualTo("s3cret");
        assertThat(proxy.toString()).doesNotContain("s3cret");
    }

    @Test
    void proxyWithoutPortIsRefused() {
        Properties properties = served();
        properties.setProperty("agent.proxy.url", "http://proxy.lgwan.example");

        assertThatThrownBy(() -> load(properties))
                .hasMessageContaining("setting agent.proxy.url=http://proxy.lgwan.example")
                .hasMessageContaining("http://host:port");
    }

    @Test
    void proxyUrlWithCredentialsIsRefused() {
        Properties properties = served();
        properties.setProperty("agent.proxy.url", "http://user:pass@proxy.lgwan.example:8080");

        assertThatThrownBy(() -> load(properties)).hasMessageContaining("no user, path or query");
    }

    @Test
    void proxyUserWithoutPasswordFileIsRefused() {
        Properties properties = served();
        properties.setProperty("agent.proxy.url", "http://proxy.lgwan.example:8080");
        properties.setProperty("agent.proxy.user", "window-agent");

        assertThatThrownBy(() -> load(properties))
                .hasMessageContaining("setting agent.proxy.password-file=")
                .hasMessageContaining("needs both agent.proxy.user and agent.proxy.password-file");
    }

    @Test
    void missingPasswordFileIsRefused() {
        Properties properties = served();
        properties.setProperty("agent.proxy.url", "http://proxy.lgwan.example:8080");
        properties.setProperty("agent.proxy.user", "window-agent");
        properties.setProperty("agent.proxy.password-file", folder.resolve("absent").toString());

        assertThatThrownBy(() -> load(properties))
                .hasMessageContaining("agent.proxy.password-file")
                .hasMessageContaining("a readable file whose first line is the proxy password of user window-agent");
    }

    @Test
    void proxyUserWithoutUrlIsRefused() {
        Properties properties = served();
        properties.setProperty("agent.proxy.user", "window-agent");

        assertThatThrownBy(() -> load(properties)).hasMessageContaining("setting agent.proxy.url= ")
                .hasMessageContaining("leave all three empty");
    }

    private static Properties served() {
        Properties properties = new Properties();
        properties.setProperty("agent.municipalities", "131016,131024,131032");
        properties.setProperty("agent.central-url", "https://window-a.example:8443");
        return properties;
    }

    private static AgentSettings load(Properties properties) throws Exception {
        return AgentSettings.from(Settings.of(AgentSettings.DEFAULTS, properties));
    }
}
