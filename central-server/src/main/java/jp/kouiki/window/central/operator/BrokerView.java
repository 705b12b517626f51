package jp.kouiki.window.central.operator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.management.QueueControl;
import org.apache.activemq.artemis.api.core.management.ResourceNames;
import org.apache.activemq.artemis.core.server.MessageReference;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.activemq.artemis.utils.collections.LinkedListIterator;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.DownloadManifest;
import jp.kouiki.window.transfer.FileManifest;

/**
 * The operators' view of the broker, and the two changes they may make. It reads queue counters and the properties of
 * queued messages (file id and signed manifest, set by the upload store) on the broker's side and never opens a
 * consumer, so no message body leaves the broker. Retry and purge go through the queues' management controls, the
 * operations the {@code window-operators} role is granted: a retry moves the message within the broker, a purge
 * deletes it.
 */
public final class BrokerView {

    /** Message property with the file id, set by the upload store. */
    static final String FILE_ID_PROPERTY = "WindowFileId";
    /** Message property with the signed manifest's JSON, set by the upload store. */
    static final String MANIFEST_PROPERTY = "WindowManifest";
    /** Most messages one listing reads, so that a long dead-letter queue does not hold a request for long. */
    static final int MAX_LISTED = 200;

    /** Messages and bytes in one queue, and the time its oldest message was queued (or null when empty). */
    public record QueueState(long messages, long bytes, Long oldestTimestamp, QueuedFile oldest) {
        static final QueueState ABSENT = new QueueState(0, 0, null, null);
    }

    /** A file in a queue, known by its message properties. */
    public record QueuedFile(String fileId, String fileName, String ifKind, long size, String sha256,
            long queuedAtMillis, boolean download) {

        /** Returns when the file was queued, ISO-8601 in Asia/Tokyo, as the API's other times; JSON "queuedAt". */
        public String getQueuedAt() {
            return Times.iso(java.time.Instant.ofEpochMilli(queuedAtMillis));
        }
    }

    private final WindowBroker broker;

    public BrokerView(WindowBroker broker) {
        this.broker = broker;
    }

    public boolean isActive() {
        return broker.isActive();
    }

    public QueueState upload(MunicipalityCode code) {
        return state(QueueNames.upload(code));
    }

    public QueueState download(MunicipalityCode code) {
        return state(QueueNames.download(code));
    }

    public QueueState deadLetters(MunicipalityCode code) {
        return state(QueueNames.deadLetter(code));
    }

    private QueueState state(String name) {
        Queue queue = broker.server().locateQueue(name);
        if (queue == null) {
            return QueueState.ABSENT;
        }
        MessageReference first = queue.peekFirstMessage();
        QueuedFile oldest = first == null ? null : file(first.getMessage());
        return new QueueState(queue.getMessageCount(), queue.getPersistentSize(),
                first == null ? null : first.getMessage().getTimestamp(), oldest);
    }

    /** Lists the files in the municipality's dead-letter queue, oldest first, at most {@value #MAX_LISTED}. */
    public List<QueuedFile> listDeadLetters(MunicipalityCode code) {
        List<QueuedFile> files = new ArrayList<>();
        Queue queue = broker.server().locateQueue(QueueNames.deadLetter(code));
        if (queue == null) {
            return files;
        }
        try (LinkedListIterator<MessageReference> references = queue.browserIterator()) {
            while (references.hasNext() && files.size() < MAX_LISTED) {
                files.add(file(references.next().getMessage()));
            }
        }
        return files;
    }

    /** The queue that a dead-lettered file went back to. */
    public enum RetriedTo {
        NOT_FOUND, UPLOAD_QUEUE, DOWNLOAD_QUEUE
    }

    /**
     * Moves one dead-lettered file back to the end of the queue it came from: a download that the municipality's agent
     * refused to its download queue, any other file to its upload queue. Duplicate detection is skipped for the move,
     * because the queue's address has seen the file's id once already.
     */
    public RetriedTo retry(MunicipalityCode code, String fileId) throws Exception {
        String filter = fileIdFilter(fileId);
        QueueControl deadLetters = control(QueueNames.deadLetter(code));
        if (deadLetters.moveMessages(MAX_LISTED, filter + " AND " + Message.HDR_ORIGINAL_QUEUE + " = '"
                + QueueNames.download(code) + "'", QueueNames.download(code), false, 1) > 0) {
            return RetriedTo.DOWNLOAD_QUEUE;
        }
        if (deadLetters.moveMessages(MAX_LISTED, filter, QueueNames.upload(code), false, 1) > 0) {
            return RetriedTo.UPLOAD_QUEUE;
        }
        return RetriedTo.NOT_FOUND;
    }

    /** Deletes every message in the municipality's dead-letter queue; returns how many. */
    public int purgeDeadLetters(MunicipalityCode code) throws Exception {
        return control(QueueNames.deadLetter(code)).removeAllMessages();
    }

    private QueueControl control(String queueName) {
        Object resource = broker.server().getManagementService().getResource(ResourceNames.QUEUE + queueName);
        if (!(resource instanceof QueueControl control)) {
            throw new IllegalStateException("queue " + queueName + " has no management control; the broker may not"
                    + " be active");
        }
        return control;
    }

    /** Returns a filter on the file id; the id was checked to be 32 hexadecimal digits, so it cannot break out. */
    private static String fileIdFilter(String fileId) {
        if (!FileManifest.isFileId(fileId)) {
            throw new IllegalArgumentException("file id '" + fileId + "' is not 32 lowercase hexadecimal digits");
        }
        return FILE_ID_PROPERTY + " = '" + fileId + "'";
    }

    private static QueuedFile file(Message message) {
        String fileId = string(message, FILE_ID_PROPERTY);
        String manifestJson = string(message, MANIFEST_PROPERTY);
        if (manifestJson == null) {
            return new QueuedFile(fileId, null, null, -1, null, message.getTimestamp(), false);
        }
        byte[] json = manifestJson.getBytes(StandardCharsets.UTF_8);
        try {
            FileManifest manifest = FileManifest.fromJson(json);
            return new QueuedFile(manifest.fileId(), manifest.fileName(), manifest.ifKind(), manifest.size(),
                    manifest.sha256(), message.getTimestamp(), false);
        } catch (IllegalArgumentException e) {
            // A download from the union has a manifest of its own kind.
        }
        try {
            DownloadManifest manifest = DownloadManifest.fromJson(json);
            return new QueuedFile(manifest.fileId(), manifest.fileName(), manifest.ifKind(), manifest.size(),
                    manifest.sha256(), message.getTimestamp(), true);
        } catch (IllegalArgumentException e) {
            return new QueuedFile(fileId, null, null, -1, null, message.getTimestamp(), false);
        }
    }

    private static String string(Message message, String name) {
        Object value = message.getObjectProperty(SimpleString.of(name));
        return value == null ? null : value.toString();
    }
}
