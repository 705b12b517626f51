package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.Municipality;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;

/**
 * All 179 members of Hokkaido's union burst at once through one agent under a cap. Every municipality starts early
 * and finishes close to the others. If the files went one after another, the first ones would finish early and the
 * last ones would wait for all the rest. The files wait in the agent's queue while the central server is
 * down, so that all 179 start together when it comes up. Each file is two chunks, and a bulk upload gives its worker
 * up after each chunk while others wait.
 */
class FairShareIT {

    private static final int FILE_BYTES = 128 * 1024;
    private static final int CHUNK_BYTES = 64 * 1024;

    @TempDir
    Path root;

    @Test
    void hokkaidoBurstFinishesTogether() throws Exception {
        List<MunicipalityCode> codes = MunicipalityDirectory.bundled().membersOfPrefecture("01").stream()
                .map(Municipality::code).toList();
        assertThat(codes).hasSize(179);
        try (WindowSystem system = new WindowSystem(root, codes)) {
            system.startAgent(agentSettings());
            for (MunicipalityCode code : codes) {
                system.drop(code, fileName(code), content(code));
            }
            await("all 179 files in the agent's queue").atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> codes.stream().allMatch(code -> system.agentMessages(QueueNames.upload(code)) == 1));

            system.startCentral();
            long startedAt = System.nanoTime();
            Map<MunicipalityCode, Long> firstByteMillis = new ConcurrentHashMap<>();
            Map<MunicipalityCode, Long> finishedMillis = new ConcurrentHashMap<>();
            await("all 179 files delivered").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        record(system, codes, startedAt, firstByteMillis, finishedMillis);
                        return finishedMillis.size() == codes.size();
                    });

            List<Long> finished = sorted(finishedMillis);
            List<Long> started = sorted(firstByteMillis);
            long median = finished.get(finished.size() / 2);
            long last = finished.get(finished.size() - 1);
            System.out.printf(Locale.ROOT, "fair share, 179 municipalities: first byte min %d ms, max %d ms;"
                    + " finished min %d ms, median %d ms, max %d ms, max/median %.2f%n", started.get(0),
                    started.get(started.size() - 1), finished.get(0), median, last, (double) last / median);
            long tenthFinished = finished.get(codes.size() / 10 - 1);
            long startedByThen = started.stream().filter(millis -> millis <= tenthFinished).count();
            System.out.printf(Locale.ROOT, "fair share: %d municipalities had sent their first bytes when the %dth"
                    + " file arrived%n", startedByThen, codes.size() / 10);
            assertThat(started).as("municipalities whose first bytes were received").hasSize(179);
            // Files sent one after another by the 16 workers start about 16 more municipalities than have finished:
            // 32 when the 17th file arrived in a run without turns. Runs with turns had started all 179 by then.
            assertThat(startedByThen).as("municipalities started when a tenth of the files had arrived")
                    .isGreaterThanOrEqualTo(codes.size() / 2);
            assertThat(last).as("last finisher, ms after the burst").isLessThanOrEqualTo(median * 3 / 2);
        }
    }

    private static Properties agentSettings() {
        Properties agent = new Properties();
        agent.setProperty("agent.pacing.windows", "default 2MiB/s");
        agent.setProperty("agent.upload.chunk-size-bytes", Integer.toString(CHUNK_BYTES));
        agent.setProperty("agent.upload.workers", "16");
        agent.setProperty("agent.upload.time-slice-ms", "100");
        agent.setProperty("agent.priority.bulk-min-bytes", Integer.toString(CHUNK_BYTES));
        return agent;
    }

    /** Notes, for each municipality, when its first bytes reached the central server and when its file arrived. */
    private static void record(WindowSystem system, List<MunicipalityCode> codes, long startedAt,
            Map<MunicipalityCode, Long> firstByte, Map<MunicipalityCode, Long> finished) {
        long now = (System.nanoTime() - startedAt) / 1_000_000;
        for (MunicipalityCode code : codes) {
            if (!firstByte.containsKey(code) && Files.isDirectory(system.centralData().resolve("uploads")
                    .resolve(code.value()))) {
                firstByte.put(code, now);
            }
            if (!finished.containsKey(code) && Files.exists(system.inbound(code).resolve(fileName(code)))) {
                finished.put(code, now);
                firstByte.putIfAbsent(code, now);
            }
        }
    }

    private static List<Long> sorted(Map<MunicipalityCode, Long> times) {
        List<Long> values = new ArrayList<>(times.values());
        Collections.sort(values);
        return values;
    }

    private static String fileName(MunicipalityCode code) {
        return code + "_KYUFU_20261204.csv";
    }

    /** Returns CSV records that name the municipality, with CRLF, of about {@link #FILE_BYTES}. */
    private static byte[] content(MunicipalityCode code) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(FILE_BYTES + 64);
        for (int record = 0; out.size() < FILE_BYTES; record++) {
            out.writeBytes(String.format(Locale.ROOT, "%s,%08d,KYUFU\r\n", code, record)
                    .getBytes(StandardCharsets.US_ASCII));
        }
        return out.toByteArray();
    }
}
