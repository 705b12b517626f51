package jp.kouiki.window.central;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcceptedAgentVersionsTest {

    @TempDir
    Path directory;

    @Test
    void emptyListAcceptsEveryVersion() {
        AcceptedAgentVersions versions = new AcceptedAgentVersions(List.of(), null);

        assertThat(versions.accepts("0.9.0")).isTrue();
        assertThat(versions.accepts(null)).isTrue();
    }

    @Test
    void listAcceptsOnlyListedVersions() {
        AcceptedAgentVersions versions = new AcceptedAgentVersions(List.of("1.4.2", "1.5.0"), null);

        assertThat(versions.accepts("1.5.0")).isTrue();
        assertThat(versions.accepts("1.4.1")).isFalse();
        assertThat(versions.accepts(null)).isFalse();
    }

    @Test
    void parseRejectsMalformedVersion() {
        assertThat(AcceptedAgentVersions.parse(" 1.4.2, ,1.5.0,1.4.2")).containsExactly("1.4.2", "1.5.0");
        assertThat(AcceptedAgentVersions.parse("1.4.2;1.5.0")).isNull();
        assertThat(AcceptedAgentVersions.parse("")).isEmpty();
    }

    @Test
    void capsFileOverridesListAtRunTime() throws Exception {
        Path caps = directory.resolve("caps.properties");
        AcceptedAgentVersions versions = new AcceptedAgentVersions(List.of("1.4.2"), caps);
        assertThat(versions.versions()).containsExactly("1.4.2");

        write(caps, "global-rate=0\naccepted-agent-versions=1.5.0, 1.5.1\n", 1);

        await("run-time list from the caps file").atMost(Duration.ofSeconds(5))
                .until(() -> versions.versions().equals(List.of("1.5.0", "1.5.1")));
        assertThat(versions.accepts("1.4.2")).isFalse();
    }

    @Test
    void emptyKeyInCapsFileAcceptsEveryVersion() throws Exception {
        Path caps = directory.resolve("caps.properties");
        AcceptedAgentVersions versions = new AcceptedAgentVersions(List.of("1.4.2"), caps);

        write(caps, "accepted-agent-versions=\n", 1);

        await("empty run-time list").atMost(Duration.ofSeconds(5)).until(() -> versions.accepts("0.1.0"));
    }

    @Test
    void capsFileWithoutKeyKeepsStartUpList() throws Exception {
        Path caps = directory.resolve("caps.properties");
        write(caps, "global-rate=10MB/s\n", 0);

        AcceptedAgentVersions versions = new AcceptedAgentVersions(List.of("1.4.2"), caps);

        assertThat(versions.versions()).containsExactly("1.4.2");
    }

    @Test
    void invalidCapsFileKeepsListInForce() throws Exception {
        Path caps = directory.resolve("caps.properties");
        write(caps, "accepted-agent-versions=1.5.0\n", 0);
        AcceptedAgentVersions versions = new AcceptedAgentVersions(List.of("1.4.2"), caps);
        assertThat(versions.versions()).containsExactly("1.5.0");

        write(caps, "accepted-agent-versions=1.6.0 beta\n", 1);

        await("invalid list ignored").during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5))
                .until(() -> versions.versions().equals(List.of("1.5.0")));
    }

    /** Writes the file with a modification time {@code secondsLater} after now, so a reload detects a change. */
    private static void write(Path file, String text, int secondsLater) throws Exception {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(secondsLater)));
    }
}
