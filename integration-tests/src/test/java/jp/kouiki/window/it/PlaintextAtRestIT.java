package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.MessageBodies;
import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Checks that what the brokers keep on disk (journal, bindings, paging, large messages) contains only ciphertext, as
 * do the central server's partial uploads and download records and the agent's download records. A known record's
 * bytes appear in no file there, in either direction.
 */
class PlaintextAtRestIT {

    private static final MunicipalityCode MINATO = MunicipalityCode.of("131032");

    @TempDir
    Path root;

    @Test
    void downloadStaysEncryptedAtRest() throws Exception {
        byte[] content = TestFiles.postalRecords("13103");
        byte[] townName = "港区".getBytes(TestFiles.WINDOWS_31J);

        try (WindowSystem system = new WindowSystem(root, List.of(MINATO))) {
            system.startCentral();
            system.placeOutbound(MINATO.value(), "131032_POSTAL_20261204.csv", content);
            await("download queued at the central server").atMost(Duration.ofSeconds(30))
                    .until(() -> system.centralMessages(QueueNames.download(MINATO)) == 1);
            assertThat(TestFiles.countFiles(system.centralData().resolve("broker/large-messages"))).isPositive();
            assertThat(TestFiles.filesContaining(system.centralData(), townName)).isEmpty();

            system.startAgent();
            await("download written into the inbox").atMost(Duration.ofSeconds(30))
                    .until(() -> java.nio.file.Files.exists(system.inbox(MINATO).resolve("131032_POSTAL_20261204.csv")));
            await("download acknowledged").atMost(Duration.ofSeconds(10))
                    .until(() -> system.centralMessages(QueueNames.download(MINATO)) == 0);
            assertThat(TestFiles.filesContaining(system.centralData(), townName)).isEmpty();
            assertThat(TestFiles.filesContaining(system.agentData(), townName)).isEmpty();
        }
        Path logs = Path.of("target/test-logs");
        assertThat(TestFiles.filesContaining(logs, townName)).as("logs with the town name in MS932").isEmpty();
    }

    @Test
    void knownRecordNeverAppearsInEitherBrokersData() throws Exception {
        byte[] content = TestFiles.postalRecords("13103");
        byte[] townName = "港区".getBytes(TestFiles.WINDOWS_31J);
        byte[] firstRecord = TestFiles.tokyoRecords().stream()
                .filter(record -> new String(record, 0, 5, TestFiles.WINDOWS_31J).equals("13103"))
                .findFirst().orElseThrow();
        assertThat(TestFiles.indexOf(content, townName)).isNotNegative();

        // The first file is above the inline body limit, so the brokers keep it as a large message in a file of its
        // own; the second stays below it and is kept in the journal.
        int cut = TestFiles.indexOf(content, townName) + 4096;
        while (content[cut - 1] != '\n') {
            cut++;
        }
        byte[] small = java.util.Arrays.copyOf(content, cut);
        assertThat(content.length).isGreaterThan(MessageBodies.INLINE_LIMIT_BYTES);
        assertThat(small.length).isLessThan(MessageBodies.INLINE_LIMIT_BYTES);

        try (WindowSystem system = new WindowSystem(root, List.of(MINATO))) {
            system.startAgent();
            system.drop(MINATO, "131032_POSTAL_20261204.csv", content);
            system.drop(MINATO, "131032_POSTAL_20261205.csv", small);
            await("files queued at the agent").atMost(Duration.ofSeconds(30))
                    .until(() -> TestFiles.countFiles(system.sent(MINATO)) == 2);
            assertThat(TestFiles.filesContaining(system.agentData(), townName)).isEmpty();
            assertThat(TestFiles.filesContaining(system.agentData(), firstRecord)).isEmpty();

            system.startCentral(false);
            await("files stored in the central queue").atMost(Duration.ofSeconds(30))
                    .until(() -> system.centralMessages(QueueNames.upload(MINATO)) == 2);
            assertThat(TestFiles.countFiles(system.centralData().resolve("broker/large-messages"))).isPositive();
            assertThat(TestFiles.filesContaining(system.centralData(), townName)).isEmpty();
            assertThat(TestFiles.filesContaining(system.centralData(), firstRecord)).isEmpty();
            assertThat(TestFiles.filesContaining(system.agentData(), townName)).isEmpty();
        }
        Path logs = Path.of("target/test-logs");
        assertThat(TestFiles.countFiles(logs)).as("log files written by this test run").isPositive();
        assertThat(TestFiles.filesContaining(logs, townName)).as("logs with the town name in MS932").isEmpty();
        assertThat(TestFiles.filesContaining(logs, "港区".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .as("logs with the town name in UTF-8").isEmpty();
        assertThat(TestFiles.filesContaining(logs, firstRecord)).as("logs with a whole record").isEmpty();
    }
}
