package jp.kouiki.window.central.operator;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

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
}
