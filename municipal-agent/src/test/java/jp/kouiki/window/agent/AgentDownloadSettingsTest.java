package jp.kouiki.window.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Properties;

import org.junit.jupiter.api.Test;

import jp.kouiki.window.config.Settings;

class AgentDownloadSettingsTest {

    private static AgentSettings settings(String... keyValues) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("agent.municipalities", "131016,131024,131032");
        for (int i = 0; i < keyValues.length; i += 2) {
            properties.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return AgentSettings.from(Settings.of(AgentSettings.DEFAULTS, properties));
    }

    @Test
    void defaultsPollWithoutWaiting() throws Exception {
        AgentDownloadSettings downloads = settings().downloads();

        assertThat(downloads.enabled()).isTrue();
        assertThat(downloads.longPollMillis()).isZero();
        assertThat(downloads.workers()).isEqualTo(4);
    }

    @Test
    void longPollWithTooFewWorkersRejected() {
        assertThatThrownBy(() -> settings("agent.download.long-poll-ms", "20000", "agent.download.workers", "2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("setting agent.download.long-poll-ms=20000")
                .hasMessageContaining("set agent.download.workers to at least 3");
    }

    @Test
    void longPollWithAWorkerPerMunicipalityIsAccepted() throws Exception {
        assertThat(settings("agent.download.long-poll-ms", "20000", "agent.download.workers", "3").downloads()
                .longPollMillis()).isEqualTo(20000);
    }

    @Test
    void longPollBeyondTheResponseTimeoutIsRejected() {
        assertThatThrownBy(() -> settings("agent.download.long-poll-ms", "20000", "agent.download.workers", "3",
                "agent.http.response-timeout-ms", "10000"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("below agent.http.response-timeout-ms (10000 ms)");
    }

    @Test
    void invalidFlagNamesTheKey() {
        assertThatThrownBy(() -> settings("agent.download.enabled", "yes"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("setting agent.download.enabled=yes").hasMessageContaining("true or false");
    }
}
