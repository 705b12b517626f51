package jp.kouiki.window.central;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Properties;

import org.junit.jupiter.api.Test;

import jp.kouiki.window.broker.HaRole;
import jp.kouiki.window.config.Settings;

class CentralSettingsTest {

    @Test
    void singleServerByDefault() throws Exception {
        assertThat(settings(new Properties()).haRole()).isEqualTo(HaRole.NONE);
    }

    @Test
    void roleOfAPairNodeIsRead() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("central.ha.role", "Backup");

        assertThat(settings(properties).haRole()).isEqualTo(HaRole.BACKUP);
    }

    @Test
    void unknownRoleNamesTheKeyAndTheChoices() {
        Properties properties = new Properties();
        properties.setProperty("central.ha.role", "master");

        assertThatThrownBy(() -> settings(properties))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("central.ha.role")
                .hasMessageContaining("master")
                .hasMessageContaining("primary or backup");
    }

    @Test
    void municipalityListedTwiceIsRejected() {
        Properties properties = new Properties();
        properties.setProperty("central.municipalities", "131016,131016");

        assertThatThrownBy(() -> settings(properties))
                .hasMessageContaining("central.municipalities")
                .hasMessageContaining("131016 is listed twice");
    }

    private static CentralSettings settings(Properties overrides) throws Exception {
        return CentralSettings.from(Settings.of(CentralSettings.DEFAULTS, overrides));
    }
}
