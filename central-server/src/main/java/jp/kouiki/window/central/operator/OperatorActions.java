package jp.kouiki.window.central.operator;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * The actions of operators with the actor role: pausing and resuming a municipality's delivery, moving a
 * dead-lettered file back to its upload queue, purging a municipality's dead letters, and cancelling a file that still
 * waits at an agent. Every action is audited with its result before it
 * returns, and wakes the delivery so that a resumed or retried file moves at once.
 */
public final class OperatorActions {

    /** The outcome of an action: whether it changed something, and a sentence in Japanese and English. */
    public record Result(boolean changed, String japanese, String english) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(OperatorActions.class);

    private final PauseFlags pauses;
    private final BrokerView broker;
    private final AuditLog audit;
    private final HistoryWriter history;
    private final Runnable wakeDelivery;
    private final CancelAction cancel;

    OperatorActions(PauseFlags pauses, BrokerView broker, AuditLog audit, HistoryWriter history,
            Runnable wakeDelivery, CancelAction cancel) {
        this.cancel = cancel;
        this.pauses = pauses;
        this.broker = broker;
        this.audit = audit;
        this.history = history;
        this.wakeDelivery = wakeDelivery;
    }

    public Result pause(String operator, MunicipalityCode code, String reason, String client) throws IOException {
        boolean changed = pauses.pause(code, operator, reason);
        audit.record(operator, "pause", code.value(), changed ? "ok" : "unchanged", reason, client);
        if (changed) {
            LOG.warn("Municipality paused by an operator, its files wait in its queue: municipality={} operator={}"
                    + " reason={}", code, operator, AuditLog.printable(reason));
            return new Result(true, code + " の配信を一時停止しました。", "Delivery for " + code + " is paused.");
        }
        return new Result(false, code + " はすでに一時停止中です。", code + " was paused already.");
    }

    public Result resume(String operator, MunicipalityCode code, String client) throws IOException {
        boolean changed = pauses.resume(code);
        audit.record(operator, "resume", code.value(), changed ? "ok" : "unchanged", null, client);
        if (changed) {
            LOG.info("Municipality resumed by an operator: municipality={} operator={}", code, operator);
            wakeDelivery.run();
            return new Result(true, code + " の配信を再開しました。", "Delivery for " + code + " is resumed.");
        }
        return new Result(false, code + " は一時停止していません。", code + " was not paused.");
    }

    /**
     * Moves one dead-lettered file back to the end of the queue it came from: its upload queue, or for a download the
     * municipality's agent refused, its download queue.
     */
    public Result retry(String operator, MunicipalityCode code, String fileId, String client) throws Exception {
        BrokerView.RetriedTo moved = broker.retry(code, fileId);
        String target = code + "/" + fileId;
        if (moved == BrokerView.RetriedTo.NOT_FOUND) {
            throw new OperatorHttpException(404, "file " + fileId + " is not in the dead-letter queue of " + code
                    + " (ファイル " + fileId + " は " + code + " の退避キューにありません)", "list the dead letters"
                    + " with GET /operator/api/municipalities/" + code + "/dead-letters and retry one of their file"
                    + " ids");
        }
        audit.record(operator, "retry", target, "ok", null, client);
        if (moved == BrokerView.RetriedTo.DOWNLOAD_QUEUE) {
            LOG.info("Dead-lettered download moved back to its download queue by an operator: municipality={}"
                    + " fileId={} operator={}", code, fileId, operator);
            return new Result(true, "ファイル " + fileId + " を " + code + " のダウンロードキューに戻しました。"
                    + "エージェントが次の取得で受け取ります。",
                    "File " + fileId + " is back in the download queue of " + code + "; the agent takes it at its"
                            + " next poll.");
        }
        history.retried(code, fileId, operator);
        LOG.info("Dead-lettered file moved back to its upload queue by an operator: municipality={} fileId={}"
                + " operator={}", code, fileId, operator);
        wakeDelivery.run();
        return new Result(true, "ファイル " + fileId + " を配信キューに戻しました。",
                "File " + fileId + " is back in the upload queue of " + code + ".");
    }

    /** Cancels a file that waits at the municipality's agent, named by its file id or its name. */
    public Map<String, Object> cancel(String operator, MunicipalityCode code, String fileId, String fileName,
            String reason, String client) throws IOException, OperatorHttpException {
        return cancel.cancel(operator, code, fileId, fileName, reason, client);
    }

    /** Deletes every dead letter of the municipality; the caller has checked the confirmation. */
    public Result purge(String operator, MunicipalityCode code, String client) throws Exception {
        // The files are listed just before the purge, so that the audit trail names the files it destroyed.
        // NOTE: the listing stops at 200 files, and the audit table keeps 2,000 characters of detail (about 55 ids).
        // The OPERATOR-AUDIT log line keeps every id listed.
        List<String> fileIds = broker.listDeadLetters(code).stream().map(BrokerView.QueuedFile::fileId).toList();
        int removed = broker.purgeDeadLetters(code);
        audit.record(operator, "purge", code.value(), "ok", "removed=" + removed + " fileIds=" + fileIds, client);
        LOG.warn("Dead letters purged by an operator: municipality={} removed={} fileIds={} operator={}", code,
                removed, fileIds, operator);
        return new Result(removed > 0, code + " の退避キューから " + removed + " 件を削除しました。",
                removed + " dead letters of " + code + " were deleted.");
    }
}
