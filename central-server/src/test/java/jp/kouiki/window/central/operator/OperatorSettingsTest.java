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
    void syslogIsOffByDefault() throws Exception {
        OperatorSettings settings = settings(new Properties());

        assertThat(settings.alertSyslog().enabled()).isFalse();
        assertThat(settings.alertSyslog().port()).isEqualTo(514);
        assertThat(settings.alertSyslog().facility()).isEqualTo(org.apache.logging.log4j.core.net.Facility.LOCAL0);
    }

    @Test
    void syslogProtocolMustBeUdpOrTcp() {
        Properties properties = new Properties();
        properties.setProperty("central.alert.syslog.protocol", "TLS");

        assertThatThrownBy(() -> settings(properties))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("central.alert.syslog.protocol=TLS")
                .hasMessageContaining("UDP or TCP");
    }

    @Test
    void syslogFacilityMustBeKnown() {
        Properties properties = new Properties();
        properties.setProperty("central.alert.syslog.facility", "LOCAL9");

        assertThatThrownBy(() -> settings(properties))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("central.alert.syslog.facility=LOCAL9")
                .hasMessageContaining("a syslog facility name");
    }

    @Test
    void syslogTakesTcpInAnyCase() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("central.alert.syslog.host", "127.0.0.1");
        properties.setProperty("central.alert.syslog.protocol", "tcp");
        properties.setProperty("central.alert.syslog.facility", "daemon");

        OperatorSettings settings = settings(properties);

        assertThat(settings.alertSyslog().enabled()).isTrue();
        assertThat(settings.alertSyslog().protocol()).isEqualTo(org.apache.logging.log4j.core.net.Protocol.TCP);
        assertThat(settings.alertSyslog().facility()).isEqualTo(org.apache.logging.log4j.core.net.Facility.DAEMON);
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
