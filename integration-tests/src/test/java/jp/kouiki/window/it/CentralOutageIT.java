package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;

/** Files wait in the agent's queue while the central server is not there, then flow once, none lost or doubled. */
class CentralOutageIT {

    /** How long the line to the central server is down in {@link #lineOutageDeliversBacklogInOrder}. */
    private static final Duration OUTAGE = Duration.ofSeconds(Long.getLong("window.outage.seconds", 20));

    private static final List<MunicipalityCode> CODES = List.of(
            MunicipalityCode.of("131016"), MunicipalityCode.of("131024"), MunicipalityCode.of("131032"));

    @TempDir
    Path root;

    @Test
    void filesQueuedBeforeCentralStartsArriveOnceEach() throws Exception {
        try (WindowSystem system = new WindowSystem(root, CODES)) {
            system.startAgent();
            long agentStarted = System.nanoTime();
            for (MunicipalityCode code : CODES) {
                byte[] records = TestFiles.postalRecords(code.fiveDigits());
                for (int day = 1; day <= 4; day++) {
                    system.drop(code, code + "_POSTAL_2026120" + day + ".csv", records);
                }
            }

            await("all twelve files taken into the agent's queue").atMost(Duration.ofSeconds(15))
                    .until(() -> CODES.stream().mapToLong(code -> count(system.sent(code))).sum() == 12);
            // Each failed attempt rolls its message back, and while the broker puts it back a count can read one short,
            // so the count is read once the outage has lasted, and no message may have gone to a dead-letter queue.
            await("nothing dead-lettered while the central server is down")
                    .during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(15))
                    .until(() -> CODES.stream().mapToLong(code -> system.agentMessages(QueueNames.deadLetter(code)))
                            .sum() == 0);
            await("files waiting at the agent while the central server is down").atMost(Duration.ofSeconds(5))
                    .until(() -> CODES.stream().mapToLong(code -> system.agentMessages(QueueNames.upload(code)))
                            .sum() == 12);

            Duration centralLate = Duration.ofNanos(System.nanoTime() - agentStarted);
            assertThat(centralLate).as("central server starts 10 to 30 s after the agent")
                    .isBetween(Duration.ofSeconds(10), Duration.ofSeconds(30));
            system.startCentral();
            for (MunicipalityCode code : CODES) {
                await("four files delivered for " + code).atMost(Duration.ofSeconds(60))
                        .until(() -> count(system.inbound(code)) == 4);
            }
            await("agent queues drained").atMost(Duration.ofSeconds(10))
                    .until(() -> CODES.stream().mapToLong(code -> system.agentMessages(QueueNames.upload(code)))
                            .sum() == 0);
            await("no second copy appears").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                    .until(() -> CODES.stream().mapToLong(code -> count(system.inbound(code))).sum() == 12);
            for (MunicipalityCode code : CODES) {
                byte[] records = TestFiles.postalRecords(code.fiveDigits());
                for (int day = 1; day <= 4; day++) {
                    assertThat(system.inbound(code).resolve(code + "_POSTAL_2026120" + day + ".csv"))
                            .hasBinaryContent(records);
                }
            }
        }
    }

    /**
     * Takes the central server away for {@link #OUTAGE} while files keep arriving: the agent takes every one into its
     * queue, pages the large backlog to disk and warns about it; when the line returns each municipality's files are
     * delivered once each and in the order they were dropped.
     */
    @Test
    void lineOutageDeliversBacklogInOrder() throws Exception {
        MunicipalityCode bulk = CODES.get(0);
        try (WindowSystem system = new WindowSystem(root, CODES); LogCapture warnings = LogCapture.warnings()) {
            system.startCentral();
            Properties agent = new Properties();
            agent.setProperty("agent.warn.backlog-files", "3");
            agent.setProperty("agent.warn.check-interval-ms", "500");
            agent.setProperty("agent.upload.chunk-size-bytes", Integer.toString(1024 * 1024));
            agent.setProperty("agent.pickup.quiet-period-ms", "100");
            // Pages the backlog after about 20 waiting files (64 KiB of message properties), not about 3,000.
            agent.setProperty("agent.broker.max-size-bytes", Integer.toString(64 * 1024));
            system.startAgent(agent);
            Map<MunicipalityCode, List<String>> dropped = new LinkedHashMap<>();
            Map<String, byte[]> contents = new LinkedHashMap<>();
            int sequence = 0;
            for (MunicipalityCode code : CODES) {
                dropped.put(code, new ArrayList<>());
                sequence = dropNumbered(system, code, sequence, 50_000, dropped, contents);
            }
            await("files delivered while the line is up").atMost(Duration.ofSeconds(30))
                    .until(() -> CODES.stream().mapToLong(code -> count(system.inbound(code))).sum() == 3);

            system.stopCentral();
            long outageEnds = System.nanoTime() + OUTAGE.toNanos();
            boolean paged = false;
            while (System.nanoTime() < outageEnds) {
                // Many small files fill one municipality's queue until it pages, and another municipality gets a
                // 2 MiB file that spans several chunks.
                for (int i = 0; i < 3; i++) {
                    sequence = dropNumbered(system, bulk, sequence, 60_000, dropped, contents);
                }
                sequence = dropNumbered(system, CODES.get(1), sequence, 2 * 1024 * 1024, dropped, contents);
                sequence = dropNumbered(system, CODES.get(2), sequence, 50_000, dropped, contents);
                paged |= system.agentBroker().server().getPagingManager()
                        .getPageStore(org.apache.activemq.artemis.api.core.SimpleString.of(QueueNames.upload(bulk)))
                        .isPaging();
            }
            long droppedCount = contents.size();
            await("every file dropped during the outage taken into the agent's queue").atMost(Duration.ofSeconds(30))
                    .until(() -> CODES.stream().mapToLong(code -> taken(system.sent(code))).sum() == droppedCount);
            assertThat(CODES.stream().mapToLong(code -> count(system.inbound(code))).sum())
                    .as("files delivered during the outage").isEqualTo(3);
            assertThat(paged).as("queue of %s paged to disk during the outage", bulk).isTrue();
            assertThat(warnings.linesContaining("Backlog growing: municipality=" + bulk))
                    .as("backlog warnings").isNotEmpty();
            // Download requests back off from the 200 ms poll interval to the 1 s retry maximum while the line is
            // down, so each municipality sends about one request a second instead of five. The agent logs the 1st,
            // 2nd, 4th, 8th ... failure in a row, so the last line's count is at least half of the requests sent.
            List<Integer> failedPolls = warnings.linesContaining("Download failed, trying again").stream()
                    .filter(line -> line.contains("municipality=" + bulk + " "))
                    .map(line -> Integer.parseInt(line.replaceAll(".*failuresInRow=([0-9]+).*", "$1")))
                    .toList();
            assertThat(failedPolls).as("failures in a row logged for %s during the outage", bulk)
                    .isNotEmpty().allMatch(count -> Integer.bitCount(count) == 1, "a power of two");
            assertThat(failedPolls.get(failedPolls.size() - 1)).as("failed download requests of %s", bulk)
                    .isLessThanOrEqualTo((int) OUTAGE.toSeconds() + 5);

            system.startCentral();
            await("every file delivered after the outage").atMost(Duration.ofSeconds(120))
                    .until(() -> CODES.stream().mapToLong(code -> count(system.inbound(code))).sum() == droppedCount);
            await("no second copy appears").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .until(() -> CODES.stream().mapToLong(code -> count(system.inbound(code))).sum() == droppedCount);
            for (MunicipalityCode code : CODES) {
                for (String name : dropped.get(code)) {
                    assertThat(system.inbound(code).resolve(name)).hasBinaryContent(contents.get(name));
                }
                assertThat(deliveryOrder(system, code)).as("delivery order of %s", code)
                        .isEqualTo(dropped.get(code));
            }
            System.out.printf(java.util.Locale.ROOT, "line outage: %d s, %d files, %d of them dropped during the"
                    + " outage%n", OUTAGE.toSeconds(), droppedCount, droppedCount - 3);
        }
    }

    /** Drops one file of at least {@code bytes} bytes named with the next sequence number and waits until it is taken. */
    private static int dropNumbered(WindowSystem system, MunicipalityCode code, int sequence, int bytes,
            Map<MunicipalityCode, List<String>> dropped, Map<String, byte[]> contents) throws Exception {
        int next = sequence + 1;
        String name = String.format(java.util.Locale.ROOT, "%s_POSTAL_20261204_%04d.csv", code, next);
        byte[] records = TestFiles.postalRecords(code.fiveDigits());
        java.io.ByteArrayOutputStream content = new java.io.ByteArrayOutputStream();
        do {
            content.writeBytes(records);
        } while (content.size() < bytes);
        byte[] file = content.toByteArray();
        long takenBefore = taken(system.sent(code));
        system.drop(code, name, file);
        // One at a time, so that the drop order is the pickup order even when modification times tie.
        await("file " + name + " taken").atMost(Duration.ofSeconds(30))
                .until(() -> taken(system.sent(code)) > takenBefore);
        dropped.get(code).add(name);
        contents.put(name, file);
        return next;
    }

    /** Returns the names of a municipality's delivered files in the order the central server's ledger recorded them. */
    private static List<String> deliveryOrder(WindowSystem system, MunicipalityCode code) throws Exception {
        Path delivered = system.centralData().resolve("ledger/delivered").resolve(code.value());
        Map<java.time.Instant, String> byTime = new java.util.TreeMap<>();
        try (Stream<Path> entries = Files.list(delivered)) {
            for (Path entry : entries.toList()) {
                List<String> lines = Files.readAllLines(entry);
                byTime.put(java.time.Instant.parse(lines.get(1)), lines.get(0));
            }
        }
        return new ArrayList<>(byTime.values());
    }

    /** Counts the files in a sent folder, leaving out the receipts written beside them. */
    private static long taken(Path sent) {
        if (!Files.isDirectory(sent)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(sent)) {
            return files.filter(file -> Files.isRegularFile(file) && !file.toString().endsWith(".receipt")).count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long count(Path folder) {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(Files::isRegularFile).count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
