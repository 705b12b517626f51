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

    @Test
    void unionFoldersAreLocalByDefault() throws Exception {
        CentralSettings settings = settings(new Properties());

        assertThat(settings.remoteUnionDelivery()).isFalse();
        assertThat(settings.unionCertificateName()).isEqualTo("union");
    }

    @Test
    void remoteUnionDeliveryIsRead() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("central.union.delivery", "remote");

        assertThat(settings(properties).remoteUnionDelivery()).isTrue();
    }

    @Test
    void unknownUnionDeliveryNamesTheChoices() {
        Properties properties = new Properties();
        properties.setProperty("central.union.delivery", "agent");

        assertThatThrownBy(() -> settings(properties))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("central.union.delivery")
                .hasMessageContaining("local to write delivered files")
                .hasMessageContaining("remote to keep them queued");
    }

    @Test
    void sixDigitUnionNameIsRefused() {
        Properties properties = new Properties();
        properties.setProperty("central.union.certificate-name", "131016");

        assertThatThrownBy(() -> settings(properties))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("central.union.certificate-name")
                .hasMessageContaining("not six digits");
    }

    @Test
    void acceptedAgentVersionsAreRead() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("central.accepted-agent-versions", "1.4.2, 1.5.0");

        assertThat(settings(properties).acceptedAgentVersions()).containsExactly("1.4.2", "1.5.0");
        assertThat(settings(new Properties()).acceptedAgentVersions()).isEmpty();
    }

    @Test
    void malformedAcceptedVersionNamesTheKey() {
        Properties properties = new Properties();
        properties.setProperty("central.accepted-agent-versions", "1.4.2 1.5.0");

        assertThatThrownBy(() -> settings(properties))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("central.accepted-agent-versions")
                .hasMessageContaining("separated by commas");
    }

    @Test
    void configDigestChangesWithSetting() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("central.delivery.workers", "8");

        assertThat(settings(new Properties()).configDigest()).matches("[0-9a-f]{64}")
                .isEqualTo(settings(new Properties()).configDigest())
                .isNotEqualTo(settings(properties).configDigest());
    }

    private static CentralSettings settings(Properties overrides) throws Exception {
        return CentralSettings.from(Settings.of(CentralSettings.DEFAULTS, overrides));
    }
}
