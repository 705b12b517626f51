package jp.kouiki.window.central.operator;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import jp.kouiki.window.municipality.MunicipalityDirectory;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.FileManifest;

/**
 * Measures the history's queries on a large table and the writer's rate; run by hand, because surefire's default
 * includes do not match the class name: {@code mvn -o verify -pl central-server -am -Dtest=HistoryScaleMeasurement
 * -Dsurefire.failIfNoSpecifiedTests=false -Drows=100000 -Dfiles=3000}. It prints lines starting with MEASURE.
 */
class HistoryScaleMeasurement {

    @TempDir
    Path folder;

    @Test
    void measureQueriesAndWriter() throws Exception {
        int rows = Integer.getInteger("rows", 100_000);
        List<String> codes = MunicipalityDirectory.bundled().members().stream().map(m -> m.code().value()).toList();
        Random random = new Random(1);
        try (HistoryDatabase database = HistoryDatabase.open(folder)) {
            long started = System.nanoTime();
            try (Connection connection = database.connection();
                    PreparedStatement insert = connection.prepareStatement("INSERT INTO transfer (municipality,"
                            + " file_id, file_name, if_kind, size_bytes, sha256, first_at, announced_at, stored_at,"
                            + " delivered_at, outcome, updated_at) VALUES (?, ?, ?, 'JUKI', ?, ?, ?, ?, ?, ?, ?, ?)")) {
                connection.setAutoCommit(false);
                Instant now = Instant.now();
                for (int i = 0; i < rows; i++) {
                    String code = codes.get(i % codes.size());
                    Instant at = now.minus(Duration.ofMinutes(random.nextInt(400 * 24 * 60)));
                    boolean delivered = random.nextInt(1000) != 0;
                    insert.setString(1, code);
                    insert.setString(2, String.format("%032x", i));
                    insert.setString(3, code + "_JUKI_" + i + ".csv");
                    insert.setLong(4, 1000 + random.nextInt(100_000));
                    insert.setString(5, "a".repeat(64));
                    insert.setObject(6, HistoryDatabase.timestamp(at));
                    insert.setObject(7, HistoryDatabase.timestamp(at));
                    insert.setObject(8, HistoryDatabase.timestamp(at));
                    insert.setObject(9, delivered ? HistoryDatabase.timestamp(at.plusSeconds(2)) : null);
                    insert.setString(10, delivered ? "delivered" : "waiting");
                    insert.setObject(11, HistoryDatabase.timestamp(at));
                    insert.addBatch();
                    if (i % 5000 == 4999) {
                        insert.executeBatch();
                        connection.commit();
                    }
                }
                insert.executeBatch();
                connection.commit();
            }
            System.out.printf("MEASURE loaded %d rows for %d municipalities in %d ms%n", rows, codes.size(),
                    (System.nanoTime() - started) / 1_000_000);
            TransferHistory history = new TransferHistory(database);
            for (int round = 0; round < 3; round++) {
                time("deliveredSince(today)", () -> history.deliveredSince(Times.startOfToday()).size());
                time("lastDelivered", () -> history.lastDelivered().size());
                time("openCounts", () -> history.openCounts(Instant.now().minus(Duration.ofDays(7)),
                        Instant.now().minus(Duration.ofDays(30))).size());
                time("search name contains, limit 200", () -> history.search(new TransferHistory.Query(null, null,
                        null, "_JUKI_12345", null, 200)).size());
                time("search municipality + 7 days", () -> history.search(new TransferHistory.Query("131016",
                        Instant.now().minus(Duration.ofDays(7)), Instant.now(), null, null, 200)).size());
            }
            HistoryWriter writer = new HistoryWriter(database, history, new SimpleMeterRegistry(), 10_000);
            int files = Integer.getInteger("files", 3000);
            long writeStart = System.nanoTime();
            for (int i = 0; i < files; i++) {
                String code = codes.get(i % codes.size());
                FileManifest manifest = new FileManifest(String.format("f%031x", i), code, code + "_X_" + i + ".csv",
                        100, "b".repeat(64), "X", "2026-12-04T09:00:00+09:00");
                writer.announced(manifest);
                writer.stored(manifest);
                writer.delivered(MunicipalityCode.of(code), manifest.fileId(), manifest.fileName(), 100);
            }
            writer.flush(Duration.ofMinutes(5));
            long writeMillis = (System.nanoTime() - writeStart) / 1_000_000;
            System.out.printf("MEASURE history writer: %d files x 3 steps in %d ms = %.0f steps/s%n", files,
                    writeMillis, files * 3 * 1000.0 / writeMillis);
            writer.close();
        }
    }

    private interface Action {
        int run() throws Exception;
    }

    private static void time(String name, Action action) throws Exception {
        long started = System.nanoTime();
        int size = action.run();
        System.out.printf("MEASURE %s: %d ms (%d results)%n", name, (System.nanoTime() - started) / 1_000_000, size);
    }
}
