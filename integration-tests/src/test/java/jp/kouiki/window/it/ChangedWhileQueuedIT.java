package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * A file that changes while the agent checks or encrypts it into its queue (appended, replaced by a rename, deleted)
 * stays in the outbox and is taken again once it is quiet, or is gone. That is an expected event on a busy share, so
 * the agent logs one WARN line about it and no error.
 */
class ChangedWhileQueuedIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final long SIZE = 96L * 1024 * 1024;
    private static final long UNCHECKED_SIZE = 64L * 1024 * 1024;

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

    @Test
    void fileReplacedByRenameIsTakenAgain() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA)); LogCapture warnings = LogCapture.warnings()) {
            system.startCentral();
            system.startAgent(shortQuietPeriod());
            String name = "131016_BULK_20261207.dat";
            // The corrected file is written first, so that the rename can follow the start of encryption at once.
            Path corrected = writeUnchecked(system.outbox(CHIYODA), ".corrected", 2);
            Path file = Files.move(writeUnchecked(system.outbox(CHIYODA), "." + name, 1),
                    system.outbox(CHIYODA).resolve(name));

            Path largeMessages = system.agentData().resolve("broker").resolve("large-messages");
            await("agent encrypting the file").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(2))
                    .until(() -> largeMessageBytes(largeMessages) > 0);
            String correctedSha256 = GeneratedPostalFiles.sha256(corrected);
            Files.move(corrected, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

            Path delivered = system.inbound(CHIYODA).resolve(name);
            await("file delivered").atMost(Duration.ofSeconds(120)).until(() -> Files.exists(delivered));
            assertThat(GeneratedPostalFiles.sha256(delivered)).as("SHA-256 of the delivered file").isEqualTo(correctedSha256);
            List<Path> sent = filesEndingWith(system.sent(CHIYODA), name);
            assertThat(sent).as("sent copies").hasSize(1);
            assertThat(GeneratedPostalFiles.sha256(sent.get(0))).as("SHA-256 of the sent copy").isEqualTo(correctedSha256);
            assertThat(warnings.linesContaining("replaced by another file of the same name")).as("lines about it")
                    .hasSize(1);
        }
    }

    @Test
    void fileAppendedDuringDigestIsTakenAgain() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA)); LogCapture warnings = LogCapture.warnings()) {
            system.startCentral();
            system.startAgent(shortQuietPeriod());
            String name = "131016_BULK_20261205.dat";
            Path file = Files.move(writeUnchecked(system.outbox(CHIYODA), "." + name, 3),
                    system.outbox(CHIYODA).resolve(name));

            // The agent logs this line once it has taken the size, as it starts the digest.
            await("agent checking the file").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(2))
                    .until(() -> !warnings.linesContaining("file=" + name + " kind=").isEmpty());
            byte[] tail = new byte[1024 * 1024];
            Files.write(file, tail, StandardOpenOption.APPEND);

            Path delivered = system.inbound(CHIYODA).resolve(name);
            await("file delivered").atMost(Duration.ofSeconds(120)).until(() -> Files.exists(delivered));
            assertThat(Files.size(delivered)).as("size of the delivered file").isEqualTo(UNCHECKED_SIZE + tail.length);
            assertThat(filesEndingWith(system.error(CHIYODA), name)).as("files in error/").isEmpty();
            assertThat(warnings.linesContaining("ERROR")).as("error lines").isEmpty();
        }
    }

    @Test
    void fileDeletedDuringCheckLogsNoError() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA)); LogCapture warnings = LogCapture.warnings()) {
            system.startCentral();
            system.startAgent(shortQuietPeriod());
            String name = "131016_BULK_20261206.dat";
            Path file = Files.move(writeUnchecked(system.outbox(CHIYODA), "." + name, 4),
                    system.outbox(CHIYODA).resolve(name));

            await("agent checking the file").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(2))
                    .until(() -> !warnings.linesContaining("file=" + name + " kind=").isEmpty());
            Files.delete(file);

            await("line about the removal").atMost(Duration.ofSeconds(30))
                    .until(() -> !warnings.linesContaining("removed from the outbox").isEmpty());
            assertThat(warnings.linesContaining("ERROR")).as("error lines").isEmpty();
            assertThat(system.inbound(CHIYODA).resolve(name)).doesNotExist();
            assertThat(filesEndingWith(system.error(CHIYODA), name)).as("files in error/").isEmpty();
        }
    }

    private static Properties shortQuietPeriod() {
        Properties agent = new Properties();
        agent.setProperty("agent.pickup.quiet-period-ms", "300");
        return agent;
    }

    /** Writes {@link #UNCHECKED_SIZE} random bytes, a file of a kind whose records the agent does not check. */
    private static Path writeUnchecked(Path folder, String name, long seed) throws Exception {
        Files.createDirectories(folder);
        Path file = folder.resolve(name);
        byte[] block = new byte[1024 * 1024];
        Random random = new Random(seed);
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long written = 0; written < UNCHECKED_SIZE; written += block.length) {
                random.nextBytes(block);
                out.write(block);
            }
        }
        return file;
    }

    private static List<Path> filesEndingWith(Path folder, String name) throws Exception {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(path -> path.getFileName().toString().endsWith(name)).toList();
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
