package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * An agent's bandwidth cap is kept over real HTTPS. The rate is measured where the bytes arrive: the growth of the
 * central server's partial upload between 1 MiB and 7 MiB, which leaves out connection set-up and the final store.
 * Meanwhile the agent's status file shows the upload's progress.
 */
class PacingIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path root;

    @Test
    void agentCapOfOneMibPerSecondHoldsWithinTenPercent() throws Exception {
        Properties agent = new Properties();
        agent.setProperty("agent.pacing.windows", "default 1MiB/s");
        agent.setProperty("agent.upload.chunk-size-bytes", Long.toString(2 * MIB));
        agent.setProperty("agent.status.interval-ms", "500");
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startCentral(false);
            system.startAgent(agent);

            GeneratedPostalFiles.drop(system.outbox(CHIYODA), CHIYODA, "131016_POSTAL_20261204.csv",
                    GeneratedPostalFiles.records(CHIYODA), 8 * MIB, 0, expected -> { });
            long firstMibAt = awaitReceived(system, MIB);
            long sevenMibAt = awaitReceived(system, 7 * MIB);
            double seconds = (sevenMibAt - firstMibAt) / 1e9;
            Path status = system.agentData().resolve("status.txt");
            String sending = Files.readString(status, java.nio.charset.StandardCharsets.UTF_8);
            assertThat(sending).as("status file while sending")
                    .containsPattern("131016: 送信中 131016_POSTAL_20261204\\.csv [0-9.]+ MB / 8\\.[0-9] MB")
                    .containsPattern("sending 131016_POSTAL_20261204\\.csv: [0-9.]+ MB of 8\\.[0-9] MB \\([0-9]+ %\\),"
                            + " [0-9.]+ MB/s, [0-9:?]+ left");
            await("file stored at the central server").atMost(Duration.ofSeconds(30))
                    .until(() -> system.centralMessages(QueueNames.upload(CHIYODA)) == 1);

            double rate = 6 * MIB / seconds;
            System.out.printf(Locale.ROOT, "pacing: 6 MiB received in %.2f s, %.3f MiB/s at a cap of 1 MiB/s%n",
                    seconds, rate / MIB);
            assertThat(rate).as("upload rate in bytes per second").isBetween(0.9 * MIB, 1.1 * MIB);
        }
    }

    @Test
    void pacedUploadStopsAndResumes() throws Exception {
        Properties paced = new Properties();
        paced.setProperty("agent.pacing.windows", "default 256KiB/s");
        paced.setProperty("agent.upload.chunk-size-bytes", Long.toString(4 * MIB));
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA)); LogCapture warnings = LogCapture.warnings()) {
            system.startCentral();
            system.startAgent(paced);
            GeneratedPostalFiles.Expected expected = GeneratedPostalFiles.drop(system.outbox(CHIYODA), CHIYODA,
                    "131016_POSTAL_20261204.csv", GeneratedPostalFiles.records(CHIYODA), 16 * MIB, 0, file -> { });
            // The worker has read its first 4 MiB chunk, and the broker client has filled the body buffer behind it.
            awaitReceived(system, 512 * 1024);

            long stopping = System.nanoTime();
            system.stopAgent();
            double stopSeconds = (System.nanoTime() - stopping) / 1e9;
            System.out.printf(Locale.ROOT, "pacing: agent stopped %.2f s into a stop request during a paced upload%n",
                    stopSeconds);
            // The upload workers get 30 s to finish before they are interrupted. A stop blocked by a full body buffer
            // would take at least that long.
            assertThat(stopSeconds).as("seconds to stop the agent").isLessThan(25);
            // The stop cuts the chunk in the middle of its body. Each end logs one line about it, and neither logs a
            // failure or an error.
            await("central server's line about the cut-off chunk").atMost(Duration.ofSeconds(10))
                    .until(() -> !warnings.linesContaining("Chunk cut off by the sender").isEmpty());
            assertThat(warnings.linesContaining("Upload failed")).as("agent warnings of a failed upload").isEmpty();
            assertThat(warnings.linesContaining("Window request failed")).as("central server errors").isEmpty();

            system.startAgent();
            Path delivered = system.inbound(CHIYODA).resolve(expected.name());
            await("file delivered after the restart").atMost(Duration.ofSeconds(60))
                    .until(() -> Files.exists(delivered));
            assertThat(GeneratedPostalFiles.sha256(delivered)).as("SHA-256 of the delivered file")
                    .isEqualTo(expected.sha256());
            try (Stream<Path> files = Files.list(system.inbound(CHIYODA))) {
                assertThat(files.filter(Files::isRegularFile).count()).as("files in the union's folder").isEqualTo(1);
            }
        }
    }

    @Test
    void slowUploadHoldsNoOtherFile() throws Exception {
        Properties slow = new Properties();
        slow.setProperty("agent.pacing.windows", "default 32KiB/s");
        slow.setProperty("agent.upload.chunk-size-bytes", Long.toString(4 * MIB));
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA, CHUO))) {
            system.startCentral();
            system.startAgent(slow);
            GeneratedPostalFiles.drop(system.outbox(CHIYODA), CHIYODA, "131016_POSTAL_20261204.csv",
                    GeneratedPostalFiles.records(CHIYODA), 12 * MIB, 0, file -> { });
            awaitReceived(system, 64 * 1024);
            // By now the broker client's thread of the upload has filled the body buffer and waits for the upload,
            // which reads its next chunk only after about 128 s. On a shared connection every other session waited
            // with it until the 30 s call timeout.
            Thread.sleep(3000);

            long dropped = System.nanoTime();
            GeneratedPostalFiles.Expected other = GeneratedPostalFiles.drop(system.outbox(CHUO), CHUO,
                    "131024_POSTAL_20261204.csv", GeneratedPostalFiles.records(CHUO), 4096, 0, file -> { });
            Path delivered = system.inbound(CHUO).resolve(other.name());
            try {
                await("file of another municipality delivered during the slow upload").atMost(Duration.ofSeconds(20))
                        .until(() -> Files.exists(delivered));
            } catch (ConditionTimeoutException e) {
                throw new AssertionError("other file not delivered within 20 s: " + whereIs(system, CHUO), e);
            }
            System.out.printf(Locale.ROOT, "pacing: another municipality's file delivered %.2f s after its drop,"
                    + " during an upload at 32 KiB/s%n", (System.nanoTime() - dropped) / 1e9);
            assertThat(GeneratedPostalFiles.sha256(delivered)).as("SHA-256 of the other file")
                    .isEqualTo(other.sha256());
        }
    }

    /**
     * Describes which stage a municipality's file has reached, and counts the threads that wait for a slow reader of a
     * large body, for the message of a test that timed out.
     */
    private static String whereIs(WindowSystem system, MunicipalityCode code) throws IOException {
        long waitingWriters = Thread.getAllStackTraces().values().stream()
                .filter(stack -> Stream.of(stack).anyMatch(frame -> frame.getClassName().endsWith("LargeBodyPipe")
                        && frame.getMethodName().equals("offer")))
                .count();
        try (Stream<Path> outbox = Files.list(system.outbox(code))) {
            return "outbox files " + outbox.filter(Files::isRegularFile).count() + ", agent queue "
                    + system.agentMessages(QueueNames.upload(code)) + ", central queue "
                    + system.centralMessages(QueueNames.upload(code)) + ", body writers waiting " + waitingWriters;
        }
    }

    /** Waits until the central server's partial upload contains at least {@code bytes}, then returns System.nanoTime(). */
    private static long awaitReceived(WindowSystem system, long bytes) {
        await("central server received " + bytes + " bytes").atMost(Duration.ofSeconds(60))
                .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                .until(() -> partialUploadBytes(system) >= bytes);
        return System.nanoTime();
    }

    private static long partialUploadBytes(WindowSystem system) throws IOException {
        Path uploads = system.centralData().resolve("uploads").resolve(CHIYODA.value());
        if (!Files.isDirectory(uploads)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(uploads)) {
            long largest = 0;
            for (Path upload : files.toList()) {
                Path ciphertext = upload.resolve("ciphertext");
                if (Files.exists(ciphertext)) {
                    largest = Math.max(largest, Files.size(ciphertext));
                }
            }
            return largest;
        }
    }
}
