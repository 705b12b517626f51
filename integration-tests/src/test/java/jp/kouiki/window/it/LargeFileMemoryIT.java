package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.it.GeneratedPostalFiles.Expected;
import jp.kouiki.window.it.ProcessSystem.Role;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Moves one 256 MiB file, once in each direction, through an agent and a central server that each run with a 64 MiB
 * heap. They can only survive that when every step streams the file instead of holding it in memory. Prints the time, the throughput, the
 * peak resident set size of each JVM and the heap use that their GC logs show.
 *
 * <p>System properties {@code window.large.mib} and {@code window.large.heap} size a soak run, for example a 2048 MiB
 * file with 256m heaps. The test skips unless the temporary folder has eight times the file size free.
 */
class LargeFileMemoryIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final long FILE_MIB = Long.getLong("window.large.mib", 256);
    private static final long FILE_BYTES = FILE_MIB * 1024 * 1024;
    /** Outbox copy, sent copy, queued ciphertext at both ends, staging and the delivered copy, with room to spare. */
    private static final long REQUIRED_FREE_BYTES = 8 * FILE_BYTES;
    private static final String MAX_HEAP = System.getProperty("window.large.heap", "64m");
    /** Five minutes, or longer for a larger file at 2 MiB/s. */
    private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(Math.max(300, FILE_MIB / 2));
    /** Heap sizes in a unified GC log line, such as "30M->12M(64M)". */
    private static final Pattern GC_HEAP = Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

    /** Kept after a failure for the logs; the large files are deleted in any case. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;

    private ProcessSystem system;

    /** Heap use in MiB read from a GC log: the largest heap before a collection and the largest after one. */
    private record HeapUse(long maxBeforeGcMib, long maxAfterGcMib, int collections) {
    }

    @AfterEach
    void stopAndDeleteLargeFiles() throws Exception {
        if (system != null) {
            system.close();
        }
        for (String folder : List.of("agent-folders", "agent-data", "central-data", "union")) {
            deleteTree(root.resolve(folder));
        }
    }

    @Test
    void largeFileMovesWithSmallHeaps() throws Exception {
        startWithSmallHeaps();

        moveAndMeasure("upload", system.outbox(CHIYODA), file -> system.inbound(CHIYODA).resolve(file.name()));

        assertThat(ProcessSystem.regularFiles(system.error(CHIYODA))).as("files refused by the agent").isEmpty();
        assertThat(ProcessSystem.regularFiles(system.rejected(CHIYODA))).as("files refused at delivery").isEmpty();
    }

    @Test
    void largeDownloadMovesWithSmallHeaps() throws Exception {
        startWithSmallHeaps();

        moveAndMeasure("download", system.outbound(CHIYODA.value()),
                file -> system.inbox(CHIYODA).resolve(file.name()));

        assertThat(ProcessSystem.regularFiles(system.error(CHIYODA))).as("downloads refused by the agent").isEmpty();
        assertThat(ProcessSystem.regularFiles(root.resolve("union/outbound-error"))).as("refused outbound files")
                .isEmpty();
    }

    private void startWithSmallHeaps() throws Exception {
        Path temporaryFolder = Path.of(System.getProperty("java.io.tmpdir"));
        long freeBytes = Files.getFileStore(temporaryFolder).getUsableSpace();
        Assumptions.assumeTrue(freeBytes >= REQUIRED_FREE_BYTES, String.format(Locale.ROOT,
                "skipped: needs %d MiB free in %s for the copies of a %d MiB file, has %d MiB",
                REQUIRED_FREE_BYTES >> 20, temporaryFolder, FILE_MIB, freeBytes >> 20));

        system = new ProcessSystem(root, List.of(CHIYODA));
        for (Role role : Role.values()) {
            system.maxHeap(role, MAX_HEAP);
            system.addJvmOptions(role, "-Xlog:gc:file=" + gcLog(role));
        }
        system.startAndAwait(Role.CENTRAL);
        system.startAndAwait(Role.AGENT);
    }

    /** Places the large file into {@code source}, waits for it at its destination and checks and prints the run. */
    private void moveAndMeasure(String direction, Path source, java.util.function.Function<Expected, Path> destination)
            throws Exception {
        long generationStarted = System.nanoTime();
        Expected file = GeneratedPostalFiles.drop(source, CHIYODA, "131016_POSTAL_20261204_" + FILE_MIB + "MIB.csv",
                GeneratedPostalFiles.records(CHIYODA), FILE_BYTES, 0, expected -> { });
        long dropped = System.nanoTime();
        Path delivered = destination.apply(file);
        await(FILE_MIB + " MiB file at " + delivered)
                .atMost(DELIVERY_TIMEOUT)
                .pollInterval(Duration.ofMillis(250))
                .failFast("a process failed", () -> {
                    system.assertNoOutOfMemoryError();
                    system.assertAlive();
                })
                .until(() -> Files.exists(delivered));
        double seconds = (System.nanoTime() - dropped) / 1e9;
        long agentRssKib = system.peakRssKib(Role.AGENT);
        long centralRssKib = system.peakRssKib(Role.CENTRAL);

        assertThat(Files.size(delivered)).as("size of the delivered file").isEqualTo(file.size());
        assertThat(GeneratedPostalFiles.sha256(delivered)).as("SHA-256 of the delivered file").isEqualTo(file.sha256());
        system.assertNoOutOfMemoryError();

        HeapUse agentHeap = heapUse(gcLog(Role.AGENT));
        HeapUse centralHeap = heapUse(gcLog(Role.CENTRAL));
        System.out.printf(Locale.ROOT, "large file summary (%s): size=%d bytes (%.0f MiB) generated in %.1f s,"
                        + " delivered in %.1f s, %.1f MiB/s; -Xmx%s; peak RSS agent %d MiB, central %d MiB; heap"
                        + " before/after GC max agent %d/%d MiB (%d GCs), central %d/%d MiB (%d GCs)%n", direction,
                file.size(), file.size() / 1048576.0, (dropped - generationStarted) / 1e9, seconds,
                file.size() / 1048576.0 / seconds, MAX_HEAP, agentRssKib / 1024, centralRssKib / 1024,
                agentHeap.maxBeforeGcMib(), agentHeap.maxAfterGcMib(), agentHeap.collections(),
                centralHeap.maxBeforeGcMib(), centralHeap.maxAfterGcMib(), centralHeap.collections());
    }

    private Path gcLog(Role role) {
        return system.logs().resolve(role.label + "-gc.log");
    }

    /** Reads the heap sizes of every collection in a unified GC log written with -Xlog:gc. */
    private static HeapUse heapUse(Path gcLog) throws IOException {
        long maxBefore = 0;
        long maxAfter = 0;
        int collections = 0;
        if (!Files.exists(gcLog)) {
            return new HeapUse(-1, -1, 0);
        }
        for (String line : Files.readAllLines(gcLog, StandardCharsets.UTF_8)) {
            Matcher matcher = GC_HEAP.matcher(line);
            if (matcher.find()) {
                maxBefore = Math.max(maxBefore, mebibytes(matcher.group(1), matcher.group(2)));
                maxAfter = Math.max(maxAfter, mebibytes(matcher.group(3), matcher.group(4)));
                collections++;
            }
        }
        return new HeapUse(maxBefore, maxAfter, collections);
    }

    private static long mebibytes(String amount, String unit) {
        long value = Long.parseLong(amount);
        return switch (unit) {
            case "K" -> value / 1024;
            case "G" -> value * 1024;
            default -> value;
        };
    }

    private static void deleteTree(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
