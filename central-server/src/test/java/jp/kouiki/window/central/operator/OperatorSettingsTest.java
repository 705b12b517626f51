package jp.kouiki.window.central.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Properties;

import org.junit.jupiter.api.Test;

import jp.kouiki.window.central.CentralSettings;
import jp.kouiki.window.config.Settings;

class OperatorSettingsTest {

    @Test
    void defaultsWork() throws Exception {
        OperatorSettings settings = settings(new Properties());

        assertThat(settings.enabled()).isTrue();
        assertThat(settings.port()).isEqualTo(8444);
        assertThat(settings.historyRetentionDays()).isEqualTo(400);
        assertThat(settings.alertOldestFile()).isEqualTo(Duration.ofMinutes(60));
        assertThat(settings.accountsFile()).isAbsolute();
    }

    @Test
    void operatorPortMustDifferFromWindowPort() {
        Properties properties = new Properties();
        properties.setProperty("central.operator.port", "8443");

        assertThatThrownBy(() -> settings(properties))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("central.operator.port=8443")
                .hasMessageContaining("a port other than central.window.port");
    }

    @Test
    void retentionOutOfRangeNamesTheKey() {
        Properties properties = new Properties();
        properties.setProperty("central.history.retention-days", "0");

        assertThatThrownBy(() -> settings(properties))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("central.history.retention-days=0")
                .hasMessageContaining("a whole number from 1 to 3650");
    }

    @Test
    void samePortAllowedWhenOperatorPortIsOff() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("central.operator.enabled", "false");
        properties.setProperty("central.operator.port", "8443");

        assertThat(settings(properties).enabled()).isFalse();
    }

    @Test
    void mailRelayNeedsRecipients() {
        Properties properties = new Properties();
        properties.setProperty("central.alert.smtp.host", "smtp.kouiki.example.lg.jp");

        assertThatThrownBy(() -> settings(properties))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("central.alert.smtp.to")
                .hasMessageContaining("when central.alert.smtp.host is set");
    }

    @Test
    void invalidRecipientNamesTheKey() {
        Properties properties = new Properties();
        properties.setProperty("central.alert.smtp.host", "smtp.kouiki.example.lg.jp");
        properties.setProperty("central.alert.smtp.to", "operators at kouiki");

        assertThatThrownBy(() -> settings(properties))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("central.alert.smtp.to=operators at kouiki");
    }

    private static OperatorSettings settings(Properties overrides) throws Exception {
        return CentralSettings.from(Settings.of(CentralSettings.DEFAULTS, overrides)).operator();
    }
}
