package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.it.CrashRecoveryIT.InboundWatcher;
import jp.kouiki.window.it.GeneratedPostalFiles.Expected;
import jp.kouiki.window.it.ProcessSystem.Role;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Kills the agent and the central server with SIGKILL at random moments while the union's files flow down to the
 * municipalities, some to one municipality and some to all, and restarts each at once. Every file must still arrive in
 * its inbox exactly once and byte for byte, and no partial file may ever be visible in an inbox.
 *
 * <p>System properties: {@code window.crash.seed} replays a run (its seed is printed first),
 * {@code window.download-crash.kills} (default 10) and {@code window.download-crash.files} (default 18) size a soak run.
 */
class DownloadCrashRecoveryIT {

    private static final List<MunicipalityCode> CODES = List.of(
            MunicipalityCode.of("131016"), MunicipalityCode.of("131024"), MunicipalityCode.of("131032"));
    private static final long MIN_FILE_BYTES = 100;
    private static final long MAX_FILE_BYTES = 12L * 1024 * 1024;
    private static final Duration DELIVERY_TIMEOUT = Duration.ofMinutes(3);

    /** Kept after a failure, so that the logs of every start of both processes can be read. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;

    private ProcessSystem system;
    private InboundWatcher watcher;

    /** A file still to be placed: its folder (a code or "all"), name, size and the record it starts with. */
    private record FilePlan(String folder, MunicipalityCode recordsOf, String name, long minimumBytes,
            int firstRecord) {
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
    void everyDownloadArrivesOnceDespiteKills() throws Exception {
        long seed = Long.getLong("window.crash.seed", System.nanoTime());
        System.out.println("download crash test seed=" + seed);
        System.out.println("download crash test logs: " + root.resolve("logs"));
        int killCount = Integer.getInteger("window.download-crash.kills", 10);
        int fileCount = Integer.getInteger("window.download-crash.files", 18);
        Random random = new Random(seed);
        long started = System.nanoTime();

        system = new ProcessSystem(root, CODES);
        Map<MunicipalityCode, List<byte[]>> records = new TreeMap<>();
        for (MunicipalityCode code : CODES) {
            records.put(code, GeneratedPostalFiles.records(code));
        }
        List<FilePlan> plans = plan(random, fileCount);
        Map<String, Expected> expected = new ConcurrentHashMap<>();
        watcher = new InboundWatcher(system, system::inbox, expected);
        watcher.start();

        system.startAndAwait(Role.CENTRAL);
        system.startAndAwait(Role.AGENT);
        int placed = 0;
        int firstBatch = (fileCount + 1) / 2;
        for (; placed < firstBatch; placed++) {
            place(plans.get(placed), records, expected);
        }

        Map<Role, Integer> kills = new EnumMap<>(Role.class);
        for (int kill = 0; kill < killCount; kill++) {
            int placeUntil = firstBatch + (int) ((long) (fileCount - firstBatch) * (kill + 1) / killCount);
            for (; placed < placeUntil; placed++) {
                place(plans.get(placed), records, expected);
            }
            Role victim = random.nextBoolean() ? Role.AGENT : Role.CENTRAL;
            if (random.nextInt(5) != 0) {
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
        for (; placed < fileCount; placed++) {
            place(plans.get(placed), records, expected);
        }
        system.awaitReady(Role.CENTRAL);
        system.awaitReady(Role.AGENT);

        await("every file written into its municipality's inbox")
                .atMost(DELIVERY_TIMEOUT)
                .pollInterval(Duration.ofMillis(200))
                .failFast("a process exited on its own", system::assertAlive)
                .untilAsserted(() -> assertThat(missing(expected.values())).as("files not downloaded").isEmpty());
        await("no download queued, staged or waiting")
                .atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(leftOver()).as("queued, staged or waiting downloads").isEmpty());
        await("no further file appears in the inboxes")
                .during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(inboxNames()).as("files in the inboxes")
                        .isEqualTo(expectedNames(expected.values())));
        watcher.stop();

        assertThat(watcher.violations()).as("files seen in the inboxes that were not complete expected files")
                .isEmpty();
        assertThat(watcher.scans()).as("watcher scans").isGreaterThan(100);
        long bytes = 0;
        for (Expected file : expected.values()) {
            Path written = system.inbox(file.code()).resolve(file.name());
            assertThat(Files.size(written)).as("size of %s", written).isEqualTo(file.size());
            assertThat(GeneratedPostalFiles.sha256(written)).as("SHA-256 of %s", written).isEqualTo(file.sha256());
            bytes += file.size();
        }
        assertThat(ProcessSystem.regularFiles(root.resolve("union/outbound"))).as("files left in union/outbound")
                .isEmpty();
        assertThat(ProcessSystem.regularFiles(root.resolve("union/outbound-error"))).as("refused outbound files")
                .isEmpty();
        assertThat(ProcessSystem.regularFiles(root.resolve("union/outbound-sent"))).as("sent outbound files")
                .hasSize(fileCount);
        for (MunicipalityCode code : CODES) {
            assertThat(ProcessSystem.regularFiles(system.error(code))).as("downloads refused by the agent for %s",
                    code).isEmpty();
        }
        system.assertNoOutOfMemoryError();
        assertThat(system.linesInLogs("Download refused")).as("refused downloads").isEmpty();
        assertThat(system.linesInLogs("moved to the dead-letter queue")).as("dead-lettered downloads").isEmpty();

        System.out.printf(Locale.ROOT, "download crash test summary: seed=%d kills agent=%d central=%d files=%d"
                        + " bytes=%d seconds=%.1f watcher scans=%d%n", seed, kills.getOrDefault(Role.AGENT, 0),
                kills.getOrDefault(Role.CENTRAL, 0), expected.size(), bytes, (System.nanoTime() - started) / 1e9,
                watcher.scans());
        System.out.printf(Locale.ROOT, "download crash test recoveries: queued again at the central server=%d"
                        + " partial downloads deleted=%d offered again after being written=%d%n",
                system.countInLog(Role.CENTRAL, "Download was already queued before a restart"),
                system.countInLog(Role.AGENT, "Partial download deleted"),
                system.countInLog(Role.CENTRAL, "Download offered")
                        - system.countInLog(Role.CENTRAL, "Download acknowledged"));
    }

    /**
     * Plans files with sizes spread evenly on a log scale, the first two the smallest and the largest; every fourth
     * goes to all municipalities. The order of placing is shuffled.
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
            if (i % 4 == 3) {
                plans.add(new FilePlan("all", code, String.format(Locale.ROOT, "KYOTSU_20261204_%03d.csv", i + 1),
                        size, random.nextInt(1_000)));
            } else {
                plans.add(new FilePlan(code.value(), code, String.format(Locale.ROOT, "%s_POSTAL_20261204_%03d.csv",
                        code.value(), i + 1), size, random.nextInt(1_000)));
            }
        }
        Collections.shuffle(plans, random);
        return plans;
    }

    /** Places a planned file in its outbound folder, registering what each inbox must receive before it is visible. */
    private void place(FilePlan plan, Map<MunicipalityCode, List<byte[]>> records, Map<String, Expected> expected)
            throws IOException {
        GeneratedPostalFiles.drop(system.outbound(plan.folder()), plan.recordsOf(), plan.name(),
                records.get(plan.recordsOf()), plan.minimumBytes(), plan.firstRecord(), file -> {
                    if (plan.folder().equals("all")) {
                        for (MunicipalityCode code : CODES) {
                            String name = code + "_" + file.name();
                            expected.put(name, new Expected(code, name, file.size(), file.sha256()));
                        }
                    } else {
                        expected.put(file.name(), file);
                    }
                });
    }

    /** Sleeps for a random pause before a kill or a restart, because the test varies the moment of each kill. */
    private static void pause(long millis) throws InterruptedException {
        Thread.sleep(millis);
    }

    private List<Expected> missing(Collection<Expected> files) {
        return files.stream().filter(file -> !Files.isRegularFile(system.inbox(file.code()).resolve(file.name())))
                .toList();
    }

    private static Set<String> expectedNames(Collection<Expected> files) {
        return files.stream().map(file -> file.code().value() + "/" + file.name())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private Set<String> inboxNames() throws IOException {
        Set<String> names = new TreeSet<>();
        for (MunicipalityCode code : CODES) {
            Path folder = system.inbox(code);
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
     * Lists what would show a download written twice or never finished: files in the inboxes' staging folders, the
     * agent's pending ledger and waiting reasons, and large messages left in the central broker.
     */
    private List<Path> leftOver() throws IOException {
        List<Path> files = new ArrayList<>();
        for (MunicipalityCode code : CODES) {
            files.addAll(ProcessSystem.regularFiles(system.inbox(code).resolve(".part")));
        }
        files.addAll(ProcessSystem.regularFiles(system.agentData().resolve("downloads/pending")));
        files.addAll(ProcessSystem.regularFiles(root.resolve("agent-folders/waiting")));
        files.addAll(ProcessSystem.regularFiles(system.centralData().resolve("broker/large-messages")));
        return files;
    }
}
