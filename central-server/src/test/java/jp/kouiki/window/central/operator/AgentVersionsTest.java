package jp.kouiki.window.central.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;

import jp.kouiki.window.central.CentralSettings;
import jp.kouiki.window.config.Settings;
import jp.kouiki.window.municipality.MunicipalityCode;

class AgentVersionsTest {

    private static final String DIGEST_A = "a".repeat(64);
    private static final String DIGEST_B = "b".repeat(64);
    private static final String INSTANCE_ONE = "1".repeat(32);
    private static final String INSTANCE_TWO = "2".repeat(32);
    private static final AgentVersions.CentralNode CENTRAL = new AgentVersions.CentralNode("1.5.0", "c".repeat(64),
            "none", true);

    private final AgentContacts contacts = new AgentContacts();

    @Test
    void rowsFlagVersionsOutsideAcceptedList() throws Exception {
        seen("131016", "1.5.0", DIGEST_A);
        seen("131024", "1.4.2", DIGEST_B);

        AgentVersions.Report report = versions(List.of("1.5.0")).report();

        assertThat(row(report, "131016").versionNotAccepted()).isFalse();
        assertThat(row(report, "131024").versionNotAccepted()).isTrue();
        assertEquals(1, report.summary().versionNotAccepted());
        assertThat(report.acceptedAgentVersions()).containsExactly("1.5.0");
    }

    @Test
    void rowsFlagVersionsOutsideMajority() throws Exception {
        seen("131016", "1.5.0", DIGEST_A);
        seen("131024", "1.5.0", DIGEST_A);
        seen("131032", "1.4.2", DIGEST_B);

        AgentVersions.Report report = versions(List.of()).report();

        assertEquals("1.5.0", report.majorityVersion());
        assertThat(row(report, "131032").versionDiffersFromMajority()).isTrue();
        assertThat(row(report, "131016").versionDiffersFromMajority()).isFalse();
        assertThat(row(report, "131032").versionNotAccepted()).isFalse();
        assertEquals(1, report.summary().versionDiffersFromMajority());
        assertEquals(3, report.summary().agentsSeen());
        assertEquals(2, report.summary().configDigests());
    }

    @Test
    void tieHasNoMajority() throws Exception {
        seen("131016", "1.5.0", DIGEST_A);
        seen("131024", "1.4.2", DIGEST_B);

        AgentVersions.Report report = versions(List.of()).report();

        assertThat(report.majorityVersion()).isNull();
        assertEquals(0, report.summary().versionDiffersFromMajority());
    }

    @Test
    void unseenAgentIsNotFlagged() throws Exception {
        AgentVersions.Report report = versions(List.of("1.5.0")).report();

        AgentVersions.AgentRow row = row(report, "131016");
        assertThat(row.version()).isNull();
        assertThat(row.versionNotAccepted()).isFalse();
        assertThat(row.versionDiffersFromMajority()).isFalse();
        assertEquals(CENTRAL, report.central());
    }

    @Test
    void outdatedDigestOfSameInstanceIsFlagged() throws Exception {
        Instant before = Instant.parse("2026-12-04T00:00:00Z");
        contacts.seen(MunicipalityCode.of("131016"), "1.5.0", null, DIGEST_A, INSTANCE_ONE, before);
        contacts.seen(MunicipalityCode.of("131032"), "1.5.0", null, DIGEST_B, INSTANCE_TWO, before);
        contacts.seen(MunicipalityCode.of("131024"), "1.5.0", null, DIGEST_B, INSTANCE_ONE, before.plusSeconds(30));

        AgentVersions.Report report = versions(List.of()).report();

        assertThat(row(report, "131016").configDigestOutdated()).isTrue();
        assertThat(row(report, "131024").configDigestOutdated()).isFalse();
        assertThat(row(report, "131032").configDigestOutdated()).isFalse();
        assertEquals(INSTANCE_ONE, row(report, "131016").instance());
        assertEquals(1, report.summary().configDigestOutdated());
        assertEquals(2, report.summary().instances());
    }

    /** Records a contact from an agent installation of its own, as when every municipality runs its own agent. */
    private void seen(String code, String version, String digest) {
        contacts.seen(MunicipalityCode.of(code), version, null, digest, String.format("%032d", Integer.parseInt(code)));
    }

    private AgentVersions versions(List<String> accepted) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("central.municipalities", "131016,131024,131032");
        CentralSettings settings = CentralSettings.from(Settings.of(CentralSettings.DEFAULTS, properties));
        return new AgentVersions(settings::municipalities, contacts, () -> accepted, () -> CENTRAL);
    }

    private static AgentVersions.AgentRow row(AgentVersions.Report report, String code) {
        Map<String, AgentVersions.AgentRow> rows = new java.util.HashMap<>();
        report.agents().forEach(row -> rows.put(row.code(), row));
        return rows.get(code);
    }
}
