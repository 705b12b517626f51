package jp.kouiki.window.central.operator;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.iffile.InterfaceFileName;
import jp.kouiki.window.iffile.InterfaceFileRejectedException;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.FileManifest;

/**
 * Cancels a file that still waits at a municipality's agent, named by its file id or its file name. The cancellation
 * is recorded on the shared store and audited before the response; the agent learns of it at its next poll. A file the
 * central server has already received cannot be cancelled this way: the response is 409.
 */
final class CancelAction {

    private static final Logger LOG = LoggerFactory.getLogger(CancelAction.class);
    private static final int MAX_NOTE_LENGTH = 500;

    private final Cancellations cancellations;
    private final UploadCancellation uploads;
    /** The window endpoint's withdrawal of queued downloads, or null where the server serves none. */
    private final DownloadOperations downloads;
    private final BrokerView broker;
    private final AuditLog audit;

    CancelAction(Cancellations cancellations, UploadCancellation uploads, DownloadOperations downloads,
            BrokerView broker, AuditLog audit) {
        this.cancellations = cancellations;
        this.uploads = uploads;
        this.downloads = downloads;
        this.broker = broker;
        this.audit = audit;
    }

    /** Records the cancellation and returns it, or throws 400 for a bad request and 409 for a received file. */
    Map<String, Object> cancel(String operator, MunicipalityCode code, String fileId, String fileName, String note,
            String client) throws IOException, OperatorHttpException {
        String target = code + "/" + (fileId != null ? fileId : fileName);
        String problem = check(code, fileId, fileName, note);
        if (problem != null) {
            throw new OperatorHttpException(400, problem, "send {\"fileId\": 32 hexadecimal digits} or {\"fileName\":"
                    + " the file's name}, and at most " + MAX_NOTE_LENGTH + " characters of reason");
        }
        DownloadOperations.Withdrawn withdrawn = withdrawDownload(operator, code, fileId, fileName, note);
        if (withdrawn != null) {
            audit.record(operator, "cancel", target, "ok", "download withdrawn to the dead-letter queue, file id "
                    + withdrawn.fileId() + (note == null || note.isBlank() ? "" : " reason=" + note), client);
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("municipality", code.value());
            answer.put("fileId", withdrawn.fileId());
            answer.put("fileName", withdrawn.fileName());
            answer.put("download", true);
            answer.put("state", "withdrawn");
            answer.put("changed", true);
            answer.put("japanese", "ダウンロード " + withdrawn.fileName() + " を " + code + " のダウンロードキューから"
                    + "退避キューに移しました。retry で戻すか、purge で削除できます。");
            answer.put("english", "Download " + withdrawn.fileName() + " is withdrawn from the download queue of "
                    + code + " into its dead-letter queue; retry puts it back and purge deletes it.");
            return answer;
        }
        boolean[] created = new boolean[1];
        Cancellations.Cancellation[] recorded = new Cancellations.Cancellation[1];
        UploadCancellation.Received received = uploads.cancel(code, fileId, fileName, () -> {
            int before = cancellations.list(code).size();
            recorded[0] = cancellations.request(code, fileId, fileName, operator, note);
            created[0] = cancellations.list(code).size() > before;
            return recorded[0];
        });
        if (received != null) {
            String at = Times.iso(received.storedAt());
            String message = "file " + received.fileName() + " of municipality " + code + " was already received at"
                    + " the central server at " + at + " (file id " + received.fileId() + "); already received, so it"
                    + " cannot be cancelled at the agent";
            if (isDeadLettered(code, received.fileId())) {
                throw new OperatorHttpException(409, message + ", and it is in the dead-letter queue of " + code,
                        "it is not delivered from there: purge the dead letters of " + code + " to delete it, or"
                                + " retry it once its cause is fixed");
            }
            throw new OperatorHttpException(409, message, "the central server delivers it from its queue; pause"
                    + " municipality " + code + " to hold it there, and ask the union to delete it from inbound/"
                    + code + "/ after delivery (purge removes only dead-lettered files)");
        }
        Cancellations.Cancellation cancellation = recorded[0];
        audit.record(operator, "cancel", target, created[0] ? "ok" : "unchanged", "cancellation="
                + cancellation.id() + (note == null || note.isBlank() ? "" : " reason=" + note), client);
        if (created[0]) {
            LOG.warn("File cancelled by an operator, the agent removes it at its next poll: municipality={} {}"
                    + " cancellation={} operator={} reason={}", code, cancellation.target(), cancellation.id(),
                    operator, AuditLog.printable(note));
        }
        Map<String, Object> answer = view(cancellation);
        answer.put("changed", created[0]);
        answer.put("japanese", created[0]
                ? code + " のエージェントに取り消しを指示しました。次の問い合わせで送信待ちから外されます。"
                : "同じ取り消しがすでに指示されています。");
        answer.put("english", created[0]
                ? "The agent of " + code + " removes the file from its queue at its next poll."
                : "The same cancellation was requested already.");
        return answer;
    }

    /**
     * Withdraws the named file when it is a download that waits in the municipality's download queue. A download that
     * the agent is receiving right now may still arrive.
     */
    private boolean isDeadLettered(MunicipalityCode code, String fileId) {
        return broker.listDeadLetters(code).stream().anyMatch(file -> fileId.equals(file.fileId()));
    }

    private DownloadOperations.Withdrawn withdrawDownload(String operator, MunicipalityCode code, String fileId,
            String fileName, String note) throws IOException {
        if (downloads == null) {
            return null;
        }
        String reason = "operator " + operator + (note == null || note.isBlank() ? "" : ": " + note);
        try {
            return downloads.withdraw(code, fileId, fileName, reason);
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("download of municipality " + code + " could not be withdrawn: " + e.getMessage(),
                    e);
        }
    }

    private static String check(MunicipalityCode code, String fileId, String fileName, String note) {
        if ((fileId == null) == (fileName == null)) {
            return "name either fileId or fileName, not both and not neither";
        }
        if (fileId != null && !FileManifest.isFileId(fileId)) {
            return "fileId '" + AuditLog.printable(fileId) + "' is not 32 lowercase hexadecimal digits";
        }
        if (fileName != null) {
            try {
                InterfaceFileName.parse(fileName, code);
            } catch (InterfaceFileRejectedException | RuntimeException e) {
                return "fileName '" + AuditLog.printable(fileName) + "' is not a file name of municipality " + code
                        + ": " + e.getMessage();
            }
        }
        if (note != null && note.length() > MAX_NOTE_LENGTH) {
            return "reason has " + note.length() + " characters, more than " + MAX_NOTE_LENGTH;
        }
        return null;
    }

    /** Returns a cancellation as the API shows it. */
    static Map<String, Object> view(Cancellations.Cancellation cancellation) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("id", cancellation.id());
        map.put("municipality", cancellation.municipality());
        map.put("fileId", cancellation.fileId());
        map.put("fileName", cancellation.fileName());
        map.put("operator", cancellation.operator());
        map.put("requestedAt", Times.iso(cancellation.requestedAt()));
        map.put("reason", cancellation.note());
        map.put("state", cancellation.state());
        map.put("completedAt", Times.iso(cancellation.completedAt()));
        map.put("files", cancellation.files());
        return map;
    }
}
