package jp.kouiki.window.central;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Properties;

import org.junit.jupiter.api.Test;

import jp.kouiki.window.config.Settings;

class CentralDownloadSettingsTest {

    private static CentralSettings settings(String... keyValues) throws Exception {
        Properties properties = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            properties.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return CentralSettings.from(Settings.of(CentralSettings.DEFAULTS, properties));
    }

    @Test
    void defaultsWork() throws Exception {
        CentralDownloadSettings downloads = settings().downloads();

        assertThat(downloads.doneMarkerPickup()).isFalse();
        assertThat(downloads.longPollMaxMillis()).isEqualTo(20_000);
        assertThat(downloads.maxWaitingPolls()).isEqualTo(64);
    }

    @Test
    void longPollIsCappedByIdleTimeout() throws Exception {
        assertThat(settings("central.download.long-poll-max-ms", "60000").downloads().longPollMaxMillis())
                .isEqualTo(30_000);
        assertThat(settings("central.window.idle-timeout-ms", "2000").downloads().longPollMaxMillis())
                .isEqualTo(1000);
    }

    @Test
    void negativeLongPollIsRejected() {
        assertThatThrownBy(() -> settings("central.download.long-poll-max-ms", "-1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("setting central.download.long-poll-max-ms=-1")
                .hasMessageContaining("a whole number from 0 to 600000");
    }

    @Test
    void unknownPickupModeIsRejected() {
        assertThatThrownBy(() -> settings("central.outbound.pickup.mode", "marker"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("setting central.outbound.pickup.mode=marker")
                .hasMessageContaining("quiet-period or done-marker");
    }

    @Test
    void doneMarkerModeIsRead() throws Exception {
        assertThat(settings("central.outbound.pickup.mode", "done-marker").downloads().doneMarkerPickup()).isTrue();
    }
}
