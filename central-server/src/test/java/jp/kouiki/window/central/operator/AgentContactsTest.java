package jp.kouiki.window.central.operator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import jp.kouiki.window.municipality.MunicipalityCode;

class AgentContactsTest {

    @Test
    void versionFromHeaderOrUserAgent() {
        assertThat(AgentContacts.version("0.1.0-SNAPSHOT", null)).isEqualTo("0.1.0-SNAPSHOT");
        assertThat(AgentContacts.version(null, "window-agent/1.2.3")).isEqualTo("1.2.3");
        assertThat(AgentContacts.version(null, "curl/8.0")).isNull();
    }

    @Test
    void versionWithControlCharactersIsIgnored() {
        assertThat(AgentContacts.version("1.0\r\nforged=line", null)).isNull();
        assertThat(AgentContacts.version("x".repeat(65), null)).isNull();
    }

    @Test
    void configDigestIsRecordedAndKept() {
        AgentContacts contacts = new AgentContacts();
        MunicipalityCode code = MunicipalityCode.of("131016");
        String digest = "a".repeat(64);

        contacts.seen(code, "1.2.3", null, digest, "0".repeat(32));
        contacts.seen(code, null, "curl/8.0", null, null);

        assertThat(contacts.get(code).configDigest()).isEqualTo(digest);
        assertThat(contacts.get(code).version()).isEqualTo("1.2.3");
        assertThat(contacts.get(code).instance()).isEqualTo("0".repeat(32));
    }

    @Test
    void malformedConfigDigestIsIgnored() {
        AgentContacts contacts = new AgentContacts();
        MunicipalityCode code = MunicipalityCode.of("131016");

        contacts.seen(code, "1.2.3", null, "A".repeat(64), "instance");

        assertThat(contacts.get(code).configDigest()).isNull();
        assertThat(contacts.get(code).instance()).isNull();
    }

    @Test
    void seenReturnsOnlyThisRequestsVersion() {
        AgentContacts contacts = new AgentContacts();
        MunicipalityCode code = MunicipalityCode.of("131016");
        contacts.seen(code, "1.2.3", null, null, null);

        assertThat(contacts.seen(code, null, null, null, null)).isNull();
        assertThat(contacts.seen(code, "1.2.4", null, null, null)).isEqualTo("1.2.4");
    }
}
