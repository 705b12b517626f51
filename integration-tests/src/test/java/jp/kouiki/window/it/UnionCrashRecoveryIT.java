package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.it.CrashRecoveryIT.InboundWatcher;
import jp.kouiki.window.it.GeneratedPostalFiles.Expected;
import jp.kouiki.window.it.ProcessSystem.Role;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Kills the union's agent with SIGKILL while it pulls municipalities' files from a window server in union mode and
 * sends the union's files down, and restarts it each time. Each kill waits for a partial file in the union's staging
 * folders, so it lands mid-pull. Every file must still reach the union's inbound folder and the municipalities' inboxes
 * exactly once and byte for byte, and no partial file may ever be visible in either.
 *
 * <p>System properties: {@code window.crash.seed} replays a run (its seed is printed first),
 * {@code window.union-crash.kills} (default 5) and {@code window.union-crash.files} (default 15) size a soak run.
 */
class UnionCrashRecoveryIT {

    private static final List<MunicipalityCode> CODES = List.of(
            MunicipalityCode.of("131016"), MunicipalityCode.of("131024"), MunicipalityCode.of("131032"));
    private static final long MIN_FILE_BYTES = 100;
    private static final long MAX_FILE_BYTES = 12L * 1024 * 1024;
    private static final Duration DELIVERY_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration MID_PULL_WAIT = Duration.ofSeconds(10);

    /** Kept after a failure, so that the logs of every start of the three processes can be read. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path root;

    private ProcessSystem system;
    private final List<InboundWatcher> watchers = new ArrayList<>();

    @AfterEach
    void stopEverything() throws Exception {
        for (InboundWatcher watcher : watchers) {
            watcher.stop();
        }
        if (system != null) {
            system.close();
        }
    }

    @Test
    void everyFileCrossesOnceDespiteKills() throws Exception {
        long seed = Long.getLong("window.crash.seed", System.nanoTime());
        System.out.println("union crash test seed=" + seed);
        System.out.println("union crash test logs: " + root.resolve("logs"));
        int killCount = Integer.getInteger("window.union-crash.kills", 5);
        int fileCount = Integer.getInteger("window.union-crash.files", 15);
        Random random = new Random(seed);
        long started = System.nanoTime();

        system = new ProcessSystem(root, CODES);
        system.properties(Role.CENTRAL).setProperty("central.union.delivery", "remote");
        Map<MunicipalityCode, List<byte[]>> records = new TreeMap<>();
        for (MunicipalityCode code : CODES) {
            records.put(code, GeneratedPostalFiles.records(code));
        }
        Map<String, Expected> up = new ConcurrentHashMap<>();
        Map<String, Expected> down = new ConcurrentHashMap<>();
        Function<MunicipalityCode, Path> unionInbound = code -> system.unionSite().resolve("inbound")
                .resolve(code.value());
        watchers.add(new InboundWatcher(system, unionInbound, up));
        watchers.add(new InboundWatcher(system, system::inbox, down));
        watchers.forEach(InboundWatcher::start);

        system.startAndAwait(Role.CENTRAL);
        system.startAndAwait(Role.AGENT);
        system.startAndAwait(Role.UNION);
        for (int i = 0; i < fileCount; i++) {
            MunicipalityCode code = CODES.get(i % CODES.size());
            // The first two are the smallest and the largest; the others are spread evenly on a log scale.
            long size = Math.round(Math.exp(Math.log(MIN_FILE_BYTES)
                    + random.nextDouble() * (Math.log(MAX_FILE_BYTES) - Math.log(MIN_FILE_BYTES))));
            if (i == 0) {
                size = MIN_FILE_BYTES;
            } else if (i == 1) {
                size = MAX_FILE_BYTES;
            }
            String upName = String.format(Locale.ROOT, "%s_POSTAL_20261204_%03d.csv", code.value(), i + 1);
            GeneratedPostalFiles.drop(system.outbox(code), code, upName, records.get(code), size,
                    random.nextInt(1_000), file -> up.put(file.name(), file));
            String downName = String.format(Locale.ROOT, "%s_KYUFU_20261204_%03d.csv", code.value(), i + 1);
            GeneratedPostalFiles.drop(system.unionSite().resolve("outbound").resolve(code.value()), code, downName,
                    records.get(code), size / 2 + MIN_FILE_BYTES, random.nextInt(1_000),
                    file -> down.put(file.name(), file));
        }

        int midPull = 0;
        for (int kill = 0; kill < killCount; kill++) {
            system.awaitReady(Role.UNION);
            long deadline = System.nanoTime() + MID_PULL_WAIT.toNanos();
            boolean staging = false;
            while (!staging && System.nanoTime() < deadline) {
                staging = !partialFiles(unionInbound).isEmpty();
                if (!staging) {
                    Thread.sleep(2);
                }
            }
            system.assertAlive();
            system.kill(Role.UNION);
            if (staging) {
                midPull++;
            }
            if (random.nextBoolean()) {
                Thread.sleep(random.nextInt(1000));
            }
            system.start(Role.UNION);
        }
        system.awaitReady(Role.UNION);

        await("every file in the union's inbound folders and the municipalities' inboxes")
                .atMost(DELIVERY_TIMEOUT)
                .pollInterval(Duration.ofMillis(200))
                .failFast("a process exited on its own", system::assertAlive)
                .untilAsserted(() -> {
                    assertThat(missing(up.values(), unionInbound)).as("files not in the union's folders").isEmpty();
                    assertThat(missing(down.values(), system::inbox)).as("files not in the inboxes").isEmpty();
                });
        await("no further file appears")
                .during(Duration.ofSeconds(2))
                .atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> {
                    assertThat(names(unionInbound)).as("files in the union's folders").isEqualTo(keys(up.values()));
                    assertThat(names(system::inbox)).as("files in the inboxes").isEqualTo(keys(down.values()));
                });
        for (InboundWatcher watcher : watchers) {
            watcher.stop();
            assertThat(watcher.violations()).as("files seen that were not complete expected files").isEmpty();
        }
        assertThat(partialFiles(unionInbound)).as("partial files left in the union's staging folders").isEmpty();
        assertThat(ProcessSystem.regularFiles(system.unionSite().resolve("outbound"))).as("files left to send")
                .isEmpty();
        assertThat(ProcessSystem.regularFiles(system.unionSite().resolve("outbound-error"))).as("refused files")
                .isEmpty();
        assertThat(ProcessSystem.regularFiles(system.unionSite().resolve("rejected"))).as("files refused at delivery")
                .isEmpty();
        assertThat(ProcessSystem.regularFiles(root.resolve("union/inbound")))
                .as("files the window server wrote into its own union folder").isEmpty();
        assertThat(midPull).as("kills while a file was being written into a staging folder").isPositive();
        system.assertNoOutOfMemoryError();

        System.out.printf(Locale.ROOT, "union crash test summary: seed=%d kills=%d midPull=%d files up=%d down=%d"
                + " seconds=%.1f%n", seed, killCount, midPull, up.size(), down.size(),
                (System.nanoTime() - started) / 1e9);
        System.out.printf(Locale.ROOT, "union crash test recoveries: partial files deleted=%d offers=%d"
                + " deliveries=%d downloads already queued=%d%n",
                system.countInLog(Role.UNION, "Partial file deleted"),
                system.countInLog(Role.CENTRAL, "File offered to the union's agent"),
                system.countInLog(Role.CENTRAL, "File delivered to the union's agent"),
                system.countInLog(Role.CENTRAL, "Download was already queued before a restart"));
    }

    private static List<Path> partialFiles(Function<MunicipalityCode, Path> folders) throws IOException {
        List<Path> parts = new ArrayList<>();
        for (MunicipalityCode code : CODES) {
            parts.addAll(ProcessSystem.regularFiles(folders.apply(code).resolve(".part")));
        }
        return parts;
    }

    private static List<String> missing(Collection<Expected> expected, Function<MunicipalityCode, Path> folders)
            throws IOException {
        List<String> missing = new ArrayList<>();
        for (Expected file : expected) {
            Path written = folders.apply(file.code()).resolve(file.name());
            if (!Files.exists(written) || Files.size(written) != file.size()
                    || !GeneratedPostalFiles.sha256(written).equals(file.sha256())) {
                missing.add(file.code() + "/" + file.name());
            }
        }
        return missing;
    }

    private static Set<String> keys(Collection<Expected> files) {
        Set<String> keys = new TreeSet<>();
        files.forEach(file -> keys.add(file.code() + "/" + file.name()));
        return keys;
    }

    private static Set<String> names(Function<MunicipalityCode, Path> folders) throws IOException {
        Set<String> names = new TreeSet<>();
        for (MunicipalityCode code : CODES) {
            Path folder = folders.apply(code);
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (var files = Files.list(folder)) {
                files.filter(Files::isRegularFile).forEach(file -> names.add(code + "/" + file.getFileName()));
            }
        }
        return names;
    }
}
