package jp.kouiki.window.central.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.FileManifest;

/** The transfer history on a real H2 file database: steps, search, and records that survive reopening. */
class TransferHistoryTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final String FILE_ID = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path folder;

    @Test
    void reopeningCompactsTheFile() throws Exception {
        try (HistoryDatabase database = HistoryDatabase.open(folder)) {
            recordDeliveries(new TransferHistory(database), 300);
        }
        long grown = Files.size(folder.resolve("history.mv.db"));

        try (HistoryDatabase reopened = HistoryDatabase.open(folder)) {
            assertThat(new TransferHistory(reopened).find("131016", String.format("%032x", 299))).isNotNull();
            assertThat(new TransferHistory(reopened).find("131016", String.format("%032x", 0))).isNotNull();
        }
        assertThat(Files.size(folder.resolve("history.mv.db"))).as("size after reopening, from %d", grown)
                .isLessThan(grown / 2);
    }

    @Test
    void compactionWaitsForConnectionsInUse() throws Exception {
        Instant now = Instant.parse("2026-12-04T00:00:00Z");
        try (HistoryDatabase database = HistoryDatabase.open(folder)) {
            TransferHistory history = new TransferHistory(database);
            recordDeliveries(history, 300);
            long grown = Files.size(folder.resolve("history.mv.db"));

            try (Connection inUse = database.connection()) {
                assertThat(database.compactIfGrown(Duration.ofMillis(200), 1024 * 1024)).as("with a connection open")
                        .isFalse();
            }
            assertThat(database.compactIfGrown(Duration.ofSeconds(5), 1024 * 1024)).isTrue();

            assertThat(Files.size(folder.resolve("history.mv.db"))).isLessThan(grown / 2);
            assertThat(history.find("131016", String.format("%032x", 299))).isNotNull();
            history.record(TransferHistory.Step.DELIVERED, "131016", String.format("%032x", 300), "b.csv", null, 1L,
                    null, null, now);
            assertThat(history.find("131016", String.format("%032x", 300)).fileName()).isEqualTo("b.csv");
            assertThat(database.compactIfGrown(Duration.ofSeconds(5), 1024 * 1024)).as("not grown since").isFalse();
        }
    }

    @Test
    void stepsSurviveReopening() throws Exception {
        FileManifest manifest = new FileManifest(FILE_ID, "131016", "131016_JUKI_20261204.csv", 1234,
                "a".repeat(64), "JUKI", "2026-12-04T09:00:00+09:00");
        try (HistoryDatabase database = HistoryDatabase.open(folder)) {
            HistoryWriter writer = new HistoryWriter(database, new TransferHistory(database), new SimpleMeterRegistry(), 100);
            writer.announced(manifest);
            writer.stored(manifest);
            writer.delivered(CHIYODA, FILE_ID, manifest.fileName(), 1234);
            assertThat(writer.flush(Duration.ofSeconds(10))).isTrue();
            writer.close();
        }

        try (HistoryDatabase reopened = HistoryDatabase.open(folder)) {
            Transfer transfer = new TransferHistory(reopened).find("131016", FILE_ID);
            assertThat(transfer.outcome()).isEqualTo("delivered");
            assertThat(transfer.fileName()).isEqualTo("131016_JUKI_20261204.csv");
            assertThat(transfer.ifKind()).isEqualTo("JUKI");
            assertThat(transfer.size()).isEqualTo(1234L);
            assertThat(transfer.announcedAt()).isNotNull();
            assertThat(transfer.storedAt()).isNotNull();
            assertThat(transfer.deliveredAt()).isNotNull();
            assertThat(transfer.rejectedAt()).isNull();
        }
    }

    @Test
    void lateStepKeepsLaterOutcome() throws Exception {
        try (HistoryDatabase database = HistoryDatabase.open(folder)) {
            TransferHistory history = new TransferHistory(database);
            Instant now = Instant.now();
            history.record(TransferHistory.Step.ANNOUNCED, "131016", FILE_ID, "a.csv", null, null, null, null, now);
            history.record(TransferHistory.Step.DELIVERED, "131016", FILE_ID, "a.csv", null, 1L, null, null, now);

            history.record(TransferHistory.Step.STORED, "131016", FILE_ID, "a.csv", null, null, null, null, now);

            Transfer transfer = history.find("131016", FILE_ID);
            assertThat(transfer.outcome()).isEqualTo("delivered");
            assertThat(transfer.storedAt()).isNotNull();
        }
    }

    @Test
    void retryReplacesRejectionAndRejectionReplacesRetry() throws Exception {
        try (HistoryDatabase database = HistoryDatabase.open(folder)) {
            TransferHistory history = new TransferHistory(database);
            Instant now = Instant.now();
            history.record(TransferHistory.Step.REJECTED, "131016", FILE_ID, "a.csv", null, null, null, "bad", now);

            history.record(TransferHistory.Step.RETRIED, "131016", FILE_ID, null, null, null, null, "retry", now);
            assertThat(history.find("131016", FILE_ID).outcome()).isEqualTo("retried");

            history.record(TransferHistory.Step.REJECTED, "131016", FILE_ID, null, null, null, null, "bad", now);
            assertThat(history.find("131016", FILE_ID).outcome()).isEqualTo("rejected");
        }
    }

    @Test
    void searchFiltersByNameOutcomeAndTime() throws Exception {
        try (HistoryDatabase database = HistoryDatabase.open(folder)) {
            TransferHistory history = new TransferHistory(database);
            Instant now = Instant.now();
            history.record(TransferHistory.Step.ANNOUNCED, "131016", FILE_ID, "131016_JUKI_100%_x.csv", "JUKI", 1L,
                    null, null, now);
            history.record(TransferHistory.Step.REJECTED, "131016", "f".repeat(32), "131016_SHOTOKU.csv", "SHOTOKU",
                    2L, null, "does not decrypt", now.minus(Duration.ofDays(3)));

            assertThat(history.search(query(null, null, "100%", null))).hasSize(1);
            assertThat(history.search(query(null, null, "1%", null))).isEmpty();
            assertThat(history.search(query(null, null, null, "rejected"))).singleElement()
                    .extracting(Transfer::reason).isEqualTo("does not decrypt");
            assertThat(history.search(query(now.minus(Duration.ofDays(1)), null, null, null))).hasSize(1);
            assertThat(history.search(query(null, now.minus(Duration.ofDays(1)), null, null))).hasSize(1);
            assertThat(history.arrivedSince("131016", "JUKI", now.minusSeconds(1))).isTrue();
            assertThat(history.arrivedSince("131016", "SHOTOKU", now.minusSeconds(1))).isFalse();
        }
    }

    @Test
    void expireDeletesOldRecordsOnly() throws Exception {
        try (HistoryDatabase database = HistoryDatabase.open(folder)) {
            TransferHistory history = new TransferHistory(database);
            history.record(TransferHistory.Step.ANNOUNCED, "131016", FILE_ID, "new.csv", null, null, null, null,
                    Instant.now());
            history.record(TransferHistory.Step.ANNOUNCED, "131016", "f".repeat(32), "old.csv", null, null, null,
                    null, Instant.now().minus(Duration.ofDays(401)));

            assertThat(database.expire(400)).isEqualTo(1);

            assertThat(history.find("131016", FILE_ID)).isNotNull();
            assertThat(history.find("131016", "f".repeat(32))).isNull();
        }
    }

    @ParameterizedTest
    @EnumSource(value = TransferHistory.Step.class, names = {"ANNOUNCED", "STORED"})
    void reconcileTakesLedgerOutcome(TransferHistory.Step step) throws Exception {
        try (HistoryDatabase database = HistoryDatabase.open(folder)) {
            TransferHistory history = new TransferHistory(database);
            history.record(step, "131016", FILE_ID, "a.csv", null, null, null, null, Instant.now());
            Instant delivered = Instant.now();

            int changed = HistoryReconciler.reconcile(history, (code, fileId) -> FILE_ID.equals(fileId)
                    ? new HistoryReconciler.LedgerState("delivered", delivered, null) : null, List.of(CHIYODA), 30);

            assertThat(changed).isEqualTo(1);
            assertThat(history.find("131016", FILE_ID).outcome()).isEqualTo("delivered");
        }
    }

    @Test
    void cleanCloseLeavesNoTraceFile() throws Exception {
        try (HistoryDatabase database = HistoryDatabase.open(folder)) {
            new TransferHistory(database).record(TransferHistory.Step.DELIVERED, "131016", FILE_ID, "a.csv", null, 1L,
                    null, null, Instant.now());
        }

        assertThat(folder.resolve("history.trace.db")).doesNotExist();
        try (HistoryDatabase reopened = HistoryDatabase.open(folder)) {
            assertThat(new TransferHistory(reopened).find("131016", FILE_ID)).isNotNull();
        }
    }

    @Test
    void reconcileRestoresMissingRecords() throws Exception {
        String existing = "1".repeat(32);
        String lostDelivery = "2".repeat(32);
        String lostRejection = "3".repeat(32);
        String otherMunicipality = "4".repeat(32);
        Instant now = Instant.now();
        List<HistoryReconciler.Ended> ended = List.of(
                new HistoryReconciler.Ended(CHIYODA, existing, "delivered", "existing.csv", now, null),
                new HistoryReconciler.Ended(CHIYODA, lostDelivery, "delivered", "lost.csv", now, null),
                new HistoryReconciler.Ended(CHIYODA, lostRejection, "rejected", null, now, "record 3 is invalid"),
                new HistoryReconciler.Ended(MunicipalityCode.of("131024"), otherMunicipality, "delivered", "x.csv",
                        now, null));
        try (HistoryDatabase database = HistoryDatabase.open(folder)) {
            TransferHistory history = new TransferHistory(database);
            history.record(TransferHistory.Step.DELIVERED, "131016", existing, "existing.csv", null, 7L, null, null, now);
            List<Instant> requestedSince = new java.util.ArrayList<>();
            HistoryReconciler.Ledger ledger = new HistoryReconciler.Ledger() {
                @Override
                public HistoryReconciler.LedgerState status(MunicipalityCode code, String fileId) {
                    return null;
                }

                @Override
                public List<HistoryReconciler.Ended> endedSince(Instant since) {
                    requestedSince.add(since);
                    return ended;
                }
            };

            int changed = HistoryReconciler.reconcile(history, ledger, List.of(CHIYODA), 30);

            assertThat(changed).as("the two lost records of the served municipality").isEqualTo(2);
            assertThat(requestedSince).singleElement().satisfies(since -> assertThat(since).isBefore(now.minusSeconds(60)));
            assertThat(history.find("131016", existing).size()).as("existing record untouched").isEqualTo(7L);
            Transfer delivered = history.find("131016", lostDelivery);
            assertThat(delivered.outcome()).isEqualTo("delivered");
            assertThat(delivered.fileName()).isEqualTo("lost.csv");
            Transfer rejected = history.find("131016", lostRejection);
            assertThat(rejected.outcome()).isEqualTo("rejected");
            assertThat(rejected.reason()).isEqualTo("record 3 is invalid");
            assertThat(history.find("131024", otherMunicipality)).isNull();
        }
    }

    private static TransferHistory.Query query(Instant from, Instant to, String name, String outcome) {
        return new TransferHistory.Query(null, from, to, name, outcome, 100);
    }

    /** Records deliveries of files 0 to count - 1, each in a commit of its own, as files that come one at a time. */
    private static void recordDeliveries(TransferHistory history, int count) throws Exception {
        Instant now = Instant.parse("2026-12-04T00:00:00Z");
        for (int i = 0; i < count; i++) {
            history.record(TransferHistory.Step.DELIVERED, "131016", String.format("%032x", i), "a.csv", null, 1L,
                    null, null, now);
        }
    }
}
