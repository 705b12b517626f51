package jp.kouiki.window.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentStatusCommandTest {

    @TempDir
    Path root;

    @Test
    void freshStatusFileExitsZero() throws Exception {
        Path config = config();
        Files.writeString(root.resolve("data").resolve(StatusReport.FILE_NAME), "状態 / status\n",
                StandardCharsets.UTF_8);

        assertEquals(0, MunicipalAgent.printStatus(new String[] {"--config", config.toString(), "status"}));
    }

    @Test
    void missingOrStaleStatusFileExitsOne() throws Exception {
        Path config = config();

        assertEquals(1, MunicipalAgent.printStatus(new String[] {"status", "--config", config.toString()}));
        Path status = Files.writeString(root.resolve("data").resolve(StatusReport.FILE_NAME), "状態 / status\n",
                StandardCharsets.UTF_8);
        Files.setLastModifiedTime(status, FileTime.from(Instant.now().minusSeconds(3600)));
        assertEquals(1, MunicipalAgent.printStatus(new String[] {"status", "--config", config.toString()}));
    }

    @Test
    void unknownArgumentIsUsageError() throws Exception {
        assertEquals(2, MunicipalAgent.printStatus(new String[] {"status", "--verbose"}));
    }

    private Path config() throws Exception {
        Files.createDirectories(root.resolve("data"));
        return Files.writeString(root.resolve("agent.properties"), "agent.municipalities=131016\n"
                + "agent.folder-root=" + root.resolve("folders") + "\n"
                + "agent.data-dir=" + root.resolve("data") + "\n"
                + "agent.keys-dir=" + root.resolve("keys") + "\n", StandardCharsets.UTF_8);
    }
}
