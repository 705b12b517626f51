package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.it.GeneratedPostalFiles.Expected;
import jp.kouiki.window.it.ProcessSystem.Role;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Kills the agent and the central server with SIGKILL at random moments while files of mixed sizes flow, and restarts
 * each at once. Every file must still arrive exactly once and byte for byte, and no partial file may ever be visible
 * in the union's inbound folders.
 *
 * <p>System properties: {@code window.crash.seed} replays a run (its seed is printed first), {@code window.crash.kills}
 * (default 20) and {@code window.crash.files} (default 25) size a soak run.
 */
class CrashRecoveryIT {

    private static final List<MunicipalityCode> CODES = List.of(
            MunicipalityCode.of("131016"), MunicipalityCode.of("131024"), MunicipalityCode.of("131032"));
    private static final long MIN_FILE_BYTES = 100;
    private static final long MAX_FILE_BYTES = 30L * 1024 * 1024;
    private static final Duration DELIVERY_TIMEOUT = Duration.ofMinutes(3);

    /** Kept after a failure, so that the logs of every start of both processes can be read. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;

    private ProcessSystem system;
    private InboundWatcher watcher;

    /** A file still to be written: its municipality, name, size and the record it starts with. */
    private record FilePlan(MunicipalityCode code, String name, long minimumBytes, int firstRecord) {
    }

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
    void everyFileArrivesOnceDespiteKills() throws Exception {
        long seed = Long.getLong("window.crash.seed", System.nanoTime());
        System.out.println("crash test seed=" + seed);
        System.out.println("crash test logs: " + root.resolve("logs"));
        int killCount = Integer.getInteger("window.crash.kills", 20);
        int fileCount = Integer.getInteger("window.crash.files", 25);
        Random random = new Random(seed);
        long started = System.nanoTime();

        system = new ProcessSystem(root, CODES);
        Map<MunicipalityCode, List<byte[]>> records = new TreeMap<>();
        for (MunicipalityCode code : CODES) {
            records.put(code, GeneratedPostalFiles.records(code));
        }
        List<FilePlan> plans = plan(random, fileCount);
        Map<String, Expected> expected = new ConcurrentHashMap<>();
        watcher = new InboundWatcher(system, expected);
        watcher.start();

        system.startAndAwait(Role.CENTRAL);
        system.startAndAwait(Role.AGENT);
        int dropped = 0;
        int firstBatch = (fileCount + 1) / 2;
        for (; dropped < firstBatch; dropped++) {
            drop(plans.get(dropped), records, expected);
        }

        Map<Role, Integer> kills = new EnumMap<>(Role.class);
        for (int kill = 0; kill < killCount; kill++) {
            int dropUntil = firstBatch + (int) ((long) (fileCount - firstBatch) * (kill + 1) / killCount);
            for (; dropped < dropUntil; dropped++) {
                drop(plans.get(dropped), records, expected);
            }
            Role victim = random.nextBoolean() ? Role.AGENT : Role.CENTRAL;
            boolean waitForReady = random.nextInt(5) != 0;
            if (waitForReady) {
                system.awaitReady(victim);
                pause(100 + random.nextInt(2000));
            } else {
                pause(random.nextInt(1500));
            }
            system.assertAlive();
            system.kill(victim);
            kills.merge(victim, 1, Integer::sum);
            if (random.nextBoolean()) {
                pause(random.nextInt(1000));
            }
            system.start(victim);
        }
        for (; dropped < fileCount; dropped++) {
            drop(plans.get(dropped), records, expected);
        }
        system.awaitReady(Role.CENTRAL);
        system.awaitReady(Role.AGENT);

        await("every file delivered into its municipality's inbound folder")
                .atMost(DELIVERY_TIMEOUT)
                .pollInterval(Duration.ofMillis(200))
                .failFast("a process exited on its own", system::assertAlive)
                .untilAsserted(() -> assertThat(missing(expected.values())).as("files not delivered").isEmpty());
        await("staging folders empty and no file waiting for its name")
                .atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(stagedOrWaiting()).as("staged or waiting files").isEmpty());
        await("no large message left in either broker")
                .atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(leftLargeMessages()).as("large message files").isEmpty());
        await("no further file appears in the inbound folders")
                .during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(inboundNames()).as("files in the inbound folders")
                        .isEqualTo(expectedNames(expected.values())));
        watcher.stop();

        assertThat(watcher.violations()).as("files seen in the inbound folders that were not complete expected files")
                .isEmpty();
        assertThat(watcher.scans()).as("watcher scans").isGreaterThan(100);
        long bytes = 0;
        for (Expected file : expected.values()) {
            Path delivered = system.inbound(file.code()).resolve(file.name());
            assertThat(Files.size(delivered)).as("size of %s", delivered).isEqualTo(file.size());
            assertThat(GeneratedPostalFiles.sha256(delivered)).as("SHA-256 of %s", delivered).isEqualTo(file.sha256());
            bytes += file.size();
        }
        for (MunicipalityCode code : CODES) {
            assertThat(ProcessSystem.regularFiles(system.outbox(code))).as("files left in the outbox of %s", code)
                    .isEmpty();
            assertThat(ProcessSystem.regularFiles(system.error(code))).as("files refused by the agent for %s", code)
                    .isEmpty();
            assertThat(ProcessSystem.regularFiles(system.rejected(code)))
                    .as("files refused at delivery for %s", code).isEmpty();
            assertThat(sentCopies(code, expected.values())).as("copies of each file in the sent folder of %s", code)
                    .allSatisfy((name, copies) -> assertThat(copies).as(name).isEqualTo(1));
        }
        system.assertNoOutOfMemoryError();
        assertThat(system.linesInLogs("Giving up on a message")).as("messages given up").isEmpty();
        assertThat(system.linesInLogs("moved to dead-letter queue")).as("dead-lettered messages").isEmpty();

        System.out.printf(Locale.ROOT, "crash test summary: seed=%d kills agent=%d central=%d files=%d bytes=%d"
                        + " seconds=%.1f watcher scans=%d%n", seed, kills.getOrDefault(Role.AGENT, 0),
                kills.getOrDefault(Role.CENTRAL, 0), expected.size(), bytes, (System.nanoTime() - started) / 1e9,
                watcher.scans());
        // Recovery paths that the kills reached, as the product logs them: a file queued again after a kill before
        // its move to sent/, an upload found complete at the central server, and a stored upload queued again.
        System.out.printf(Locale.ROOT, "crash test recoveries: queued again at the agent=%d already stored=%d"
                        + " queued again at the central server=%d%n",
                system.countInLog(Role.AGENT, "File was already queued before a restart"),
                system.countInLog(Role.AGENT, "File already stored at the central server"),
                system.countInLog(Role.CENTRAL, "Upload was already queued"));
    }

    /**
     * Plans files spread over the municipalities, with sizes spread evenly on a log scale from the smallest to the
     * largest size, so that there are many small files and a few that take several chunks. The first two plans are
     * the smallest and the largest size; the order of dropping is shuffled.
     */
    private static List<FilePlan> plan(Random random, int fileCount) {
        List<FilePlan> plans = new ArrayList<>();
        double logSmallest = Math.log(MIN_FILE_BYTES);
        double logLargest = Math.log(MAX_FILE_BYTES);
        for (int i = 0; i < fileCount; i++) {
            MunicipalityCode code = CODES.get(i % CODES.size());
            long size;
            if (i == 0) {
                size = MIN_FILE_BYTES;
            } else if (i == 1) {
                size = MAX_FILE_BYTES;
            } else {
                size = Math.round(Math.exp(logSmallest + random.nextDouble() * (logLargest - logSmallest)));
            }
            String name = String.format(Locale.ROOT, "%s_POSTAL_20261204_%03d.csv", code.value(), i + 1);
            plans.add(new FilePlan(code, name, size, random.nextInt(1_000)));
        }
        Collections.shuffle(plans, random);
        return plans;
    }

    private void drop(FilePlan plan, Map<MunicipalityCode, List<byte[]>> records, Map<String, Expected> expected)
            throws IOException {
        GeneratedPostalFiles.drop(system.outbox(plan.code()), plan.code(), plan.name(), records.get(plan.code()),
                plan.minimumBytes(), plan.firstRecord(), file -> expected.put(file.name(), file));
    }

    /** Sleeps for a random pause before a kill or a restart, because the test varies the moment of each kill. */
    private static void pause(long millis) throws InterruptedException {
        Thread.sleep(millis);
    }

    private List<Expected> missing(Collection<Expected> files) {
        return files.stream().filter(file -> !Files.isRegularFile(system.inbound(file.code()).resolve(file.name())))
                .toList();
    }

    private static Set<String> expectedNames(Collection<Expected> files) {
        return files.stream().map(file -> file.code().value() + "/" + file.name())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Lists every regular file directly in the inbound folders as code/name. */
    private Set<String> inboundNames() throws IOException {
        Set<String> names = new TreeSet<>();
        for (MunicipalityCode code : CODES) {
            Path folder = system.inbound(code);
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (Stream<Path> entries = Files.list(folder)) {
                entries.filter(Files::isRegularFile)
                        .forEach(file -> names.add(code.value() + "/" + file.getFileName()));
            }
        }
        return names;
    }

    /**
     * Lists files still in the central server's staging folders or recorded as waiting for a free name. A second
     * delivery of a file already in place would wait there for ever, because an existing file is never replaced.
     */
    private List<Path> stagedOrWaiting() throws IOException {
        List<Path> files = new ArrayList<>();
        for (MunicipalityCode code : CODES) {
            files.addAll(ProcessSystem.regularFiles(system.inbound(code).resolve(".part")));
        }
        files.addAll(ProcessSystem.regularFiles(system.centralData().resolve("ledger/pending")));
        return files;
    }

    /** Lists the large message files of both brokers; each belongs to a message not yet acknowledged. */
    private List<Path> leftLargeMessages() throws IOException {
        List<Path> files = new ArrayList<>(ProcessSystem.regularFiles(system.agentData().resolve(
                "broker/large-messages")));
        files.addAll(ProcessSystem.regularFiles(system.centralData().resolve("broker/large-messages")));
        return files;
    }

    /** Counts, for each expected file of a municipality, the files in its sent folder named {@code <time>_<name>}. */
    private Map<String, Integer> sentCopies(MunicipalityCode code, Collection<Expected> files)
            throws IOException {
        Map<String, Integer> copies = new TreeMap<>();
        List<Path> sent = ProcessSystem.regularFiles(system.sent(code));
        for (Expected file : files) {
            if (file.code().equals(code)) {
                copies.put(file.name(), (int) sent.stream()
                        .filter(path -> path.getFileName().toString().endsWith("_" + file.name())).count());
            }
        }
        return copies;
    }

    /**
     * Lists the inbound folders (or other destination folders, one per municipality) every 20 ms and records every
     * regular file outside {@code .part/} that is not one of the expected files with its expected size and SHA-256: a
     * partial, foreign or corrupted file that the system reading the folder could have read. A file is hashed once per
     * (file key, size, modification time).
     */
    static final class InboundWatcher {

        private static final long SCAN_INTERVAL_MS = 20;
        private static final Duration MAX_RUN_TIME = Duration.ofMinutes(15);
        private static final int MAX_VIOLATIONS = 100;

        private final ProcessSystem system;
        private final java.util.function.Function<MunicipalityCode, Path> folders;
        private final Map<String, Expected> expected;
        private final Map<Path, List<Object>> verified = new ConcurrentHashMap<>();
        private final Set<String> violations = Collections.synchronizedSet(new LinkedHashSet<>());
        private final AtomicLong scans = new AtomicLong();
        private volatile boolean running;
        private Thread thread;

        InboundWatcher(ProcessSystem system, Map<String, Expected> expected) {
            this(system, system::inbound, expected);
        }

        /** Watches the folder that {@code folders} names for each of the system's municipalities. */
        InboundWatcher(ProcessSystem system, java.util.function.Function<MunicipalityCode, Path> folders,
                Map<String, Expected> expected) {
            this.system = system;
            this.folders = folders;
            this.expected = expected;
        }

        void start() {
            running = true;
            thread = new Thread(this::watch, "inbound-watcher");
            thread.setDaemon(true);
            thread.start();
        }

        /** Stops the watcher after its current scan. */
        void stop() throws InterruptedException {
            running = false;
            if (thread != null) {
                thread.join(10_000);
            }
        }

        List<String> violations() {
            synchronized (violations) {
                return List.copyOf(violations);
            }
        }

        long scans() {
            return scans.get();
        }

        private void watch() {
            long deadline = System.nanoTime() + MAX_RUN_TIME.toNanos();
            while (running && System.nanoTime() < deadline) {
                try {
                    for (MunicipalityCode code : system.codes) {
                        scan(code);
                    }
                    scans.incrementAndGet();
                    Thread.sleep(SCAN_INTERVAL_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (IOException | RuntimeException e) {
                    record("watcher failed to scan: " + e);
                }
            }
        }

        private void scan(MunicipalityCode code) throws IOException {
            Path folder = folders.apply(code);
            if (!Files.isDirectory(folder)) {
                return;
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
                for (Path entry : entries) {
                    try {
                        check(code, entry);
                    } catch (NoSuchFileException gone) {
                        // Listed, then removed before it was read: nothing the union's system could have read either.
                    }
                }
            }
        }

        private void check(MunicipalityCode code, Path entry) throws IOException {
            BasicFileAttributes attributes = Files.readAttributes(entry, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            String name = entry.getFileName().toString();

            if (attributes.isDirectory()) {
                if (!name.equals(".part")) {
                    record("unexpected folder " + entry);
                }
                return;
            }
            if (!attributes.isRegularFile()) {
                record("not a regular file: " + entry);
                return;
            }

            List<Object> state = List.of(Objects.toString(attributes.fileKey()), attributes.size(),
                    attributes.lastModifiedTime().toMillis());
            if (state.equals(verified.get(entry))) {
                return;
            }

            Expected file = expected.get(name);
            if (file == null || !file.code().equals(code)) {
                record("unexpected file " + entry + " of " + attributes.size() + " bytes");
                return;
            }
            if (attributes.size() != file.size()) {
                record("partial or oversized file " + entry + ": " + attributes.size() + " bytes where "
                        + file.size() + " are expected");
                return;
            }

            String sha256 = GeneratedPostalFiles.sha256(entry);
            if (!sha256.equals(file.sha256())) {
                record("file with other content " + entry + ": SHA-256 " + sha256 + " where " + file.sha256()
                        + " is expected");
                return;
            }
            verified.put(entry, state);
        }

        private void record(String violation) {
            if (violations.size() < MAX_VIOLATIONS) {
                violations.add(violation);
            }
        }
    }
}
