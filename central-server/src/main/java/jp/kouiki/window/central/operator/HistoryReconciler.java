package jp.kouiki.window.central.operator;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Brings the history up to date with the delivery ledger at activation. The ledger is written before a delivery or
 * rejection is acknowledged, the history after it, so a process killed in between leaves a file that the history
 * shows as stored, waiting or retried although the ledger has its end. Each such record gets the ledger's outcome.
 */
public final class HistoryReconciler {

    /** The delivery ledger's record of a file: delivered, waiting or rejected, when, and why. */
    public record LedgerState(String state, Instant at, String reason) {
    }

    /** Looks a file up in the delivery ledger; returns null when the ledger has nothing on it. */
    @FunctionalInterface
    public interface Ledger {
        LedgerState status(MunicipalityCode code, String fileId) throws Exception;
    }

    private static final Logger LOG = LoggerFactory.getLogger(HistoryReconciler.class);
    private static final List<String> OPEN_OUTCOMES = List.of("stored", "waiting", "retried");
    private static final int MAX_RECORDS = 10_000;

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
        if (changed > 0) {
            LOG.info("Transfer history brought up to date from the delivery ledger: records={}", changed);
        }
        return changed;
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
