package jp.kouiki.window.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentInstanceTest {

    @TempDir
    Path dataDirectory;

    @Test
    void createdOnceAndKept() throws Exception {
        String first = AgentInstance.loadOrCreate(dataDirectory);

        String second = AgentInstance.loadOrCreate(dataDirectory);

        assertThat(first).matches("[0-9a-f]{32}");
        assertEquals(first, second);
        assertEquals(first + "\n", Files.readString(dataDirectory.resolve(AgentInstance.FILE_NAME)));
    }

    @Test
    void invalidFileIsReplaced() throws Exception {
        Files.writeString(dataDirectory.resolve(AgentInstance.FILE_NAME), "not an id", StandardCharsets.US_ASCII);

        String id = AgentInstance.loadOrCreate(dataDirectory);

        assertThat(id).matches("[0-9a-f]{32}");
        assertEquals(id + "\n", Files.readString(dataDirectory.resolve(AgentInstance.FILE_NAME)));
    }

    @Test
    void separateInstallationsDiffer() throws Exception {
        String one = AgentInstance.loadOrCreate(dataDirectory.resolve("one"));
        String other = AgentInstance.loadOrCreate(dataDirectory.resolve("other"));

        assertThat(one).isNotEqualTo(other);
    }
}
