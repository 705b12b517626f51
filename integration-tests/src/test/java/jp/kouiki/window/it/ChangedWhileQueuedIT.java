package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * A file that changes while the agent encrypts it into its queue stays in the outbox and is taken again once it is
 * quiet. That is an expected event on a busy share, so the agent logs one WARN line about it and no error.
 */
class ChangedWhileQueuedIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final long SIZE = 96L * 1024 * 1024;

    @TempDir
    Path root;

    @Test
    void fileChangedDuringQueueingIsTakenAgain() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA)); LogCapture warnings = LogCapture.warnings()) {
            system.startCentral();
            Properties agent = new Properties();
            agent.setProperty("agent.pickup.quiet-period-ms", "300");
            system.startAgent(agent);
            GeneratedPostalFiles.Expected first = GeneratedPostalFiles.drop(system.outbox(CHIYODA), CHIYODA,
                    "131016_POSTAL_20261204.csv", GeneratedPostalFiles.records(CHIYODA), SIZE, 0, file -> { });
            Path file = system.outbox(CHIYODA).resolve(first.name());

            // The agent writes the ciphertext into its broker's large-message folder as it reads the file.
            Path largeMessages = system.agentData().resolve("broker").resolve("large-messages");
            await("agent encrypting the file").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                    .until(() -> largeMessageBytes(largeMessages) > 0);
            byte[] records = GeneratedPostalFiles.records(CHIYODA).get(0);
            Files.write(file, records, StandardOpenOption.APPEND);

            Path delivered = system.inbound(CHIYODA).resolve(first.name());
            await("file delivered after it became quiet").atMost(Duration.ofSeconds(120))
                    .until(() -> Files.exists(delivered));
            assertThat(Files.size(delivered)).as("size of the delivered file").isEqualTo(first.size() + records.length);
            assertThat(warnings.linesContaining("changed while it was being queued")).as("lines about the change")
                    .hasSize(1);
            assertThat(warnings.linesContaining("ERROR")).as("error lines").isEmpty();
        }
    }

    private static long largeMessageBytes(Path folder) throws Exception {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(Files::isRegularFile).mapToLong(path -> path.toFile().length()).sum();
        }
    }
}
