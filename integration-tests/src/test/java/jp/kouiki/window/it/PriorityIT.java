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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * A daily file queued behind a bulk upload of the same municipality goes first, after one more bulk chunk at most,
 * unless the bulk file is an earlier version of its name.
 */
class PriorityIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final long KIB = 1024;
    private static final long CHUNK = 64 * KIB;

    @TempDir
    Path root;

    @Test
    void dailyFileOvertakesBulkUploadAtChunkBoundary() throws Exception {
        Properties agent = new Properties();
        agent.setProperty("agent.pacing.windows", "default 1MiB/s");
        agent.setProperty("agent.upload.chunk-size-bytes", Long.toString(CHUNK));
        agent.setProperty("agent.priority.bulk-min-bytes", Long.toString(1024 * KIB));
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startCentral();
            system.startAgent(agent);
            String localQueue = QueueNames.upload(CHIYODA);

            GeneratedPostalFiles.Expected bulk = GeneratedPostalFiles.drop(system.outbox(CHIYODA), CHIYODA,
                    "131016_POSTAL_20261201_FULL.csv", GeneratedPostalFiles.records(CHIYODA), 4096 * KIB, 0,
                    expected -> { });
            await("bulk upload under way").atMost(Duration.ofSeconds(30))
                    .until(() -> partialUploadBytes(system) >= 256 * KIB);
            GeneratedPostalFiles.Expected daily = GeneratedPostalFiles.drop(system.outbox(CHIYODA), CHIYODA,
                    "131016_POSTAL_20261202.csv", GeneratedPostalFiles.records(CHIYODA), 20 * KIB, 3,
                    expected -> { });
            await("daily file queued behind the bulk upload").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(5)).until(() -> system.agentMessages(localQueue) == 2);
            long bulkBytesWhenQueued = partialUploadBytes(system);
            await("daily file stored at the central server").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(5)).until(() -> storedUploads(system) == 1);
            long bulkBytesWhenDailyStored = partialUploadBytes(system);

            System.out.printf(Locale.ROOT, "priority: bulk upload at %d bytes when the daily file was queued, %d when"
                    + " it was stored%n", bulkBytesWhenQueued, bulkBytesWhenDailyStored);
            assertThat(bulkBytesWhenDailyStored - bulkBytesWhenQueued).as("bulk bytes sent before the daily file")
                    .isLessThanOrEqualTo(2 * CHUNK);
            assertThat(system.inbound(CHIYODA).resolve(bulk.name())).as("bulk file still on its way").doesNotExist();
            await("both files delivered").atMost(Duration.ofSeconds(60))
                    .until(() -> Files.exists(system.inbound(CHIYODA).resolve(bulk.name())));
            assertThat(GeneratedPostalFiles.sha256(system.inbound(CHIYODA).resolve(bulk.name())))
                    .isEqualTo(bulk.sha256());
            assertThat(GeneratedPostalFiles.sha256(system.inbound(CHIYODA).resolve(daily.name())))
                    .isEqualTo(daily.sha256());
        }
    }

    @Test
    void dailyVersionWaitsForBulkVersion() throws Exception {
        Properties agent = new Properties();
        agent.setProperty("agent.priority.bulk-min-bytes", Long.toString(256 * KIB));
        String name = "131016_POSTAL_20261203.csv";
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startAgent(agent);
            String localQueue = QueueNames.upload(CHIYODA);
            GeneratedPostalFiles.Expected bulk = GeneratedPostalFiles.drop(system.outbox(CHIYODA), CHIYODA, name,
                    GeneratedPostalFiles.records(CHIYODA), 512 * KIB, 0, expected -> { });
            await("bulk version queued").atMost(Duration.ofSeconds(30))
                    .until(() -> system.agentMessages(localQueue) == 1
                            && !Files.exists(system.outbox(CHIYODA).resolve(name)));
            GeneratedPostalFiles.Expected daily = GeneratedPostalFiles.drop(system.outbox(CHIYODA), CHIYODA, name,
                    GeneratedPostalFiles.records(CHIYODA), 20 * KIB, 7, expected -> { });
            await("daily version queued").atMost(Duration.ofSeconds(30))
                    .until(() -> system.agentMessages(localQueue) == 2);

            system.startCentral();
            Path delivered = system.inbound(CHIYODA).resolve(name);
            await("first version delivered").atMost(Duration.ofSeconds(60)).until(() -> Files.exists(delivered));
            assertThat(GeneratedPostalFiles.sha256(delivered)).as("the version queued first").isEqualTo(bulk.sha256());
            Files.delete(delivered);
            await("second version delivered").atMost(Duration.ofSeconds(60)).until(() -> Files.exists(delivered));
            assertThat(GeneratedPostalFiles.sha256(delivered)).isEqualTo(daily.sha256());
        }
    }

    /** Returns the size of the largest partial upload at the central server. */
    private static long partialUploadBytes(WindowSystem system) throws IOException {
        Path uploads = system.centralData().resolve("uploads").resolve(CHIYODA.value());
        if (!Files.isDirectory(uploads)) {
            return 0;
        }
        long largest = 0;
        try (Stream<Path> files = Files.list(uploads)) {
            for (Path upload : files.toList()) {
                Path ciphertext = upload.resolve("ciphertext");
                if (Files.exists(ciphertext)) {
                    largest = Math.max(largest, Files.size(ciphertext));
                }
            }
        }
        return largest;
    }

    private static long storedUploads(WindowSystem system) throws IOException {
        Path stored = system.centralData().resolve("stored").resolve(CHIYODA.value());
        return Files.isDirectory(stored) ? TestFiles.countFiles(stored) : 0;
    }
}
