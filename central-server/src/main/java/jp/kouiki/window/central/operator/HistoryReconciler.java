package jp.kouiki.window.central.operator;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Brings the history up to date with the delivery ledger at activation. The ledger is written before a delivery or
 * rejection is acknowledged, the history after it, so a process killed in between leaves a file that the history
 * shows as announced, stored, waiting or retried although the ledger has its end. Each such record gets the ledger's outcome, and
 * a file that the ledger ended recently but the history lacks gets a record.
 */
public final class HistoryReconciler {

    /** The delivery ledger's record of a file: delivered, waiting or rejected, when, and why. */
    public record LedgerState(String state, Instant at, String reason) {
    }

    /** A file that the delivery ledger records as delivered or rejected; the name is null for a rejection. */
    public record Ended(MunicipalityCode code, String fileId, String state, String fileName, Instant at,
            String reason) {
    }

    /** Looks a file up in the delivery ledger; returns null when the ledger has nothing on it. */
    @FunctionalInterface
    public interface Ledger {
        LedgerState status(MunicipalityCode code, String fileId) throws Exception;

        /** Lists the files that the ledger records as delivered or rejected since the instant. */
        default List<Ended> endedSince(Instant since) throws Exception {
            return List.of();
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(HistoryReconciler.class);
    private static final List<String> OPEN_OUTCOMES = List.of("announced", "stored", "waiting", "retried");
    private static final int MAX_RECORDS = 10_000;
    /**
     * How far before the history's latest change the ledger is searched for missing records, to allow for the writer's
     * queue and its batches.
     */
    private static final Duration RESTORE_MARGIN = Duration.ofMinutes(10);

    private HistoryReconciler() {
    }

    /** Updates open records from the ledger and returns how many changed; a failure is logged, not thrown. */
    static int reconcile(TransferHistory history, Ledger ledger, List<MunicipalityCode> codes, int retentionDays) {
        int changed = 0;
        Instant since = Instant.now().minus(Duration.ofDays(retentionDays));
        try {
            for (MunicipalityCode code : codes) {
                for (String outcome : OPEN_OUTCOMES) {
                    for (Transfer transfer : history.withOutcome(code.value(), outcome, since, MAX_RECORDS)) {
                        changed += apply(history, code, transfer, ledger.status(code, transfer.fileId()));
                    }
                }
            }
        } catch (Exception e) {
            LOG.warn("Transfer history could not be compared with the delivery ledger, some records may show an"
                    + " earlier step: error={}", e.toString());
        }
        int restored = restoreMissing(history, ledger, codes, since);
        if (changed > 0 || restored > 0) {
            LOG.info("Transfer history brought up to date from the delivery ledger: records={} restored={}", changed,
                    restored);
        }
        return changed + restored;
    }

    /**
     * Adds a record for each file that the ledger ended since shortly before the history's latest change and that the
     * history lacks. Its steps were still queued for the history writer when the process was killed. The record has
     * the ledger's name, outcome, time and reason; size, SHA-256 and kind are unknown.
     */
    private static int restoreMissing(TransferHistory history, Ledger ledger, List<MunicipalityCode> codes,
            Instant oldest) {
        int restored = 0;
        try {
            Instant latest = history.latestUpdate();
            Instant since = latest == null ? oldest : latest.minus(RESTORE_MARGIN);
            Set<MunicipalityCode> served = Set.copyOf(codes);
            for (Ended ended : ledger.endedSince(since)) {
                if (!served.contains(ended.code()) || history.find(ended.code().value(), ended.fileId()) != null) {
                    continue;
                }
                if (restored >= MAX_RECORDS) {
                    LOG.warn("Transfer history took {} missing records from the delivery ledger and left the rest for"
                            + " the next activation", restored);
                    break;
                }
                TransferHistory.Step step = "delivered".equals(ended.state()) ? TransferHistory.Step.DELIVERED
                        : TransferHistory.Step.REJECTED;
                history.record(step, ended.code().value(), ended.fileId(), ended.fileName(), null, null, null,
                        ended.reason(), ended.at());
                restored++;
            }
        } catch (Exception e) {
            LOG.warn("Transfer history could not take missing records from the delivery ledger, some delivered files"
                    + " may have no record: error={}", e.toString());
        }
        return restored;
    }

    private static int apply(TransferHistory history, MunicipalityCode code, Transfer transfer, LedgerState state)
            throws SQLException {
        if (state == null || state.at() == null) {
            return 0;
        }
        TransferHistory.Step step = switch (state.state()) {
            case "delivered" -> TransferHistory.Step.DELIVERED;
            case "rejected" -> TransferHistory.Step.REJECTED;
            default -> null;
        };
        if (step == null || (step == TransferHistory.Step.REJECTED && transfer.retriedAt() != null
                && !state.at().isAfter(transfer.retriedAt()))) {
            return 0;
        }
        history.record(step, code.value(), transfer.fileId(), null, null, null, null, state.reason(), state.at());
        return 1;
    }
}
