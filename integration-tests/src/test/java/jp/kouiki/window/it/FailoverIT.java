package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.it.GeneratedPostalFiles.Expected;
import jp.kouiki.window.it.ProcessSystem.Role;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;

/**
 * Runs the central server as a primary/backup pair of JVMs on one shared data directory, with an agent configured
 * with both URLs. Kills the primary with SIGKILL while uploads stream: the backup takes over the journal, the partial uploads and
 * the delivery ledger, the agent switches to it, and every file arrives exactly once and byte for byte. The old
 * primary, started again, stays on standby beside the active backup, then takes over in turn when the backup is
 * killed. Prints the time from each kill to the first file delivered by the other node.
 */
class FailoverIT {

    private static final List<MunicipalityCode> CODES = List.of(
            MunicipalityCode.of("131016"), MunicipalityCode.of("131024"), MunicipalityCode.of("131032"));
    private static final Duration DELIVERY_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration TAKEOVER_TIMEOUT = Duration.ofSeconds(90);
    private static final String STANDBY_LINE = "Central window server on standby";

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;

    private ProcessSystem system;
    private CrashRecoveryIT.InboundWatcher watcher;
    private final Map<String, Expected> expected = new ConcurrentHashMap<>();
    private final Map<MunicipalityCode, List<byte[]>> records = new TreeMap<>();
    private final Random random = new Random(20261204);
    private int fileNumber;

    @AfterEach
    void stopEverything() throws Exception {
        if (watcher != null) {
            watcher.stop();
        }
        if (system != null) {
            system.close();
        }
    }

    @Test
    void backupTakesOverAndEveryFileArrivesOnce() throws Exception {
        System.out.println("failover test logs: " + root.resolve("logs"));
        system = new ProcessSystem(root, CODES);
        system.enableBackup();
        for (MunicipalityCode code : CODES) {
            records.put(code, GeneratedPostalFiles.records(code));
        }
        watcher = new CrashRecoveryIT.InboundWatcher(system, expected);
        watcher.start();

        system.startAndAwait(Role.CENTRAL);
        system.start(Role.BACKUP);
        awaitStandby(Role.BACKUP);
        assertThat(status(Role.BACKUP)).as("HTTP status of the backup on standby").isEqualTo(503);
        system.startAndAwait(Role.AGENT);

        dropFiles(12);
        await("a first file delivered by the primary").atMost(DELIVERY_TIMEOUT)
                .failFast("a process exited on its own", system::assertAlive)
                .until(() -> inboundCount() > 0);
        long primaryToBackupMs = killAndMeasureTakeover(Role.CENTRAL, Role.BACKUP);
        dropFiles(6);
        awaitAllDelivered();

        // The old primary comes back while the backup is active: it must wait, never serve beside it.
        system.start(Role.CENTRAL);
        awaitStandby(Role.CENTRAL);
        dropFiles(6);
        awaitAllDelivered();
        assertThat(status(Role.CENTRAL)).as("HTTP status of the old primary while the backup is active")
                .isEqualTo(503);
        assertThat(system.countSinceStart(Role.CENTRAL, Role.CENTRAL.readyLine))
                .as("start lines of the old primary while the backup is active").isZero();

        long backupToPrimaryMs = killAndMeasureTakeover(Role.BACKUP, Role.CENTRAL);
        dropFiles(6);
        awaitAllDelivered();
        await("no further file appears in the inbound folders")
                .during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                .until(() -> inboundCount() == expected.size());
        watcher.stop();

        assertThat(watcher.violations()).as("files seen in the inbound folders that were not complete expected files")
                .isEmpty();
        long bytes = 0;
        for (Expected file : expected.values()) {
            Path delivered = system.inbound(file.code()).resolve(file.name());
            assertThat(GeneratedPostalFiles.sha256(delivered)).as("SHA-256 of %s", delivered).isEqualTo(file.sha256());
            bytes += file.size();
        }
        for (MunicipalityCode code : CODES) {
            assertThat(ProcessSystem.regularFiles(system.error(code))).as("files refused by the agent for %s", code)
                    .isEmpty();
            assertThat(ProcessSystem.regularFiles(system.rejected(code))).as("files refused at delivery for %s", code)
                    .isEmpty();
        }
        assertThat(system.linesInLogs("Switching central window server")).as("agent switches between the nodes")
                .hasSizeGreaterThanOrEqualTo(2);
        System.out.printf(Locale.ROOT, "failover summary: files=%d bytes=%d kill-to-first-delivery"
                + " primary->backup=%d ms backup->primary=%d ms%n", expected.size(), bytes, primaryToBackupMs, backupToPrimaryMs);
    }

    /**
     * Drops more files, kills the active node while they are in flight and measures the time until the next file
     * appears in an inbound folder, which only the other node can then deliver.
     */
    private long killAndMeasureTakeover(Role active, Role standby) throws Exception {
        dropFiles(6);
        // Three chunks: small files go in one request each and may all be delivered before the poll below finds one.
        dropFile(12L << 20);
        // Kill while a file is part-way through its upload, when the test catches one; at least while files wait.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline && partialUploads() == 0) {
            Thread.sleep(5);
        }
        assertThat(missing(expected.values())).as("files not yet delivered at the kill").isNotEmpty();
        system.assertAlive();
        system.kill(active);
        long killed = System.nanoTime();
        int deliveredAtKill = inboundCount();
        await(standby.label + " takes over").atMost(TAKEOVER_TIMEOUT).pollInterval(Duration.ofMillis(20))
                .failFast("a process exited on its own", this::assertSurvivorsAlive)
                .until(() -> inboundCount() > deliveredAtKill);
        long takeoverMs = (System.nanoTime() - killed) / 1_000_000;
        system.awaitReady(standby);
        System.out.printf(Locale.ROOT, "failover: killed %s, %s delivered its first file %d ms later%n",
                active.label, standby.label, takeoverMs);
        return takeoverMs;
    }

    private void assertSurvivorsAlive() throws IOException {
        for (Role role : List.of(Role.AGENT, Role.CENTRAL, Role.BACKUP)) {
            Process process = system.process(role);
            if (process != null && !process.isAlive() && process.exitValue() != 137 && process.exitValue() != 9) {
                throw new AssertionError(role.label + " exited on its own with code " + process.exitValue()
                        + ":\n" + system.lastLines(role, 40));
            }
        }
    }

    private void awaitStandby(Role role) {
        await(role.label + " on standby").atMost(TAKEOVER_TIMEOUT)
                .failFast(role.label + " exited", () -> !system.process(role).isAlive())
                .until(() -> system.countSinceStart(role, STANDBY_LINE) > 0 && status(role) == 503);
    }

    /** Sends a status request as the first municipality and returns the HTTP status, or -1 when no response arrives. */
    private int status(Role role) throws Exception {
        MunicipalityCode code = CODES.get(0);
        HttpClient client = new DirectUploader(new KeyMaterialLayout(system.keys()), system.port(role)).client(code);
        try {
            return client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + system.port(role)
                                    + "/window/v1/municipalities/" + code + "/uploads/0123456789abcdef"))
                            .method("HEAD", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        }
    }

    /** Drops files of 100 bytes to 6 MiB, spread over the municipalities, so that larger ones span several chunks. */
    private void dropFiles(int count) throws IOException {
        for (int i = 0; i < count; i++) {
            dropFile(Math.round(Math.exp(Math.log(100) + random.nextDouble() * (Math.log(6 << 20) - Math.log(100)))));
        }
    }

    /** Drops one file of the given size for the next municipality in turn. */
    private void dropFile(long size) throws IOException {
        MunicipalityCode code = CODES.get(fileNumber % CODES.size());
        fileNumber++;
        String name = String.format(Locale.ROOT, "%s_POSTAL_20261204_%03d.csv", code.value(), fileNumber);
        GeneratedPostalFiles.drop(system.outbox(code), code, name, records.get(code), size, random.nextInt(1_000),
                file -> expected.put(file.name(), file));
    }

    private void awaitAllDelivered() {
        await("every file delivered").atMost(DELIVERY_TIMEOUT).pollInterval(Duration.ofMillis(200))
                .failFast("a process exited on its own", this::assertSurvivorsAlive)
                .untilAsserted(() -> assertThat(missing(expected.values())).as("files not delivered").isEmpty());
    }

    private List<Expected> missing(Collection<Expected> files) {
        return files.stream().filter(file -> !Files.isRegularFile(system.inbound(file.code()).resolve(file.name())))
                .toList();
    }

    /** Counts the uploads that the central side has in part: some ciphertext received, the file not yet queued. */
    private long partialUploads() throws IOException {
        Path uploads = system.centralData().resolve("uploads");
        List<Path> files;
        try {
            files = ProcessSystem.regularFiles(uploads);
        } catch (java.io.UncheckedIOException e) {
            return 0;
        }
        long count = 0;
        for (Path file : files) {
            try {
                if (file.getFileName().toString().equals("ciphertext") && Files.size(file) > 0) {
                    count++;
                }
            } catch (IOException e) {
                // Gone while listing: queued or cleaned up meanwhile.
            }
        }
        return count;
    }

    private int inboundCount() throws IOException {
        int count = 0;
        for (MunicipalityCode code : CODES) {
            Path folder = system.inbound(code);
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (Stream<Path> entries = Files.list(folder)) {
                count += (int) entries.filter(Files::isRegularFile).count();
            }
        }
        return count;
    }
}
