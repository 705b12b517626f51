package jp.kouiki.window.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Objects;

import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.ActiveMQExceptionType;
import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientProducer;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.crypto.DigitalSignatureConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.broker.MessageBodies;
import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.queue.QueueDrainer;
import jp.kouiki.window.transfer.FileIds;
import jp.kouiki.window.transfer.FileManifest;

/**
 * Encrypts a picked-up file as it streams into a durable message on the agent's local queue, and commits only when
 * the bytes read match the manifest's SHA-256. The file id is the message's duplicate-detection id, so a file picked
 * up again after a crash between the commit and the move to {@code sent/} is not queued twice.
 */
final class LocalQueueWriter implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(LocalQueueWriter.class);

    private final WindowBroker broker;
    private final PayloadCipher cipher;
    private final PacingSettings pacing;
    private final QueueInspector queues;
    /** The receipt tracker's folder, whose entries name the sent path of each uploaded file. */
    private final Path receipts;
    private QueueDrainer forwarder;

    LocalQueueWriter(WindowBroker broker, PayloadCipher cipher, PacingSettings pacing, QueueInspector queues,
            Path receipts) {
        this.broker = broker;
        this.cipher = cipher;
        this.pacing = pacing;
        this.queues = queues;
        this.receipts = receipts;
    }

    void wakeUpAfterCommit(QueueDrainer drainer) {
        this.forwarder = drainer;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        MunicipalityCode code = exchange.getProperty(OutboxPickup.CODE, MunicipalityCode.class);
        Path file = exchange.getProperty(OutboxPickup.FILE, Path.class);
        FileManifest manifest = exchange.getProperty(OutboxPickup.MANIFEST, FileManifest.class);
        BasicFileAttributes picked = exchange.getProperty(OutboxPickup.ATTRIBUTES, BasicFileAttributes.class);
        String signature = exchange.getMessage().getHeader(DigitalSignatureConstants.SIGNATURE, String.class);
        String sentPath = exchange.getMessage().getHeader(OutboxPickup.TARGET_HEADER, String.class);

        PriorityClass fileClass = behindEarlierOfName(code, manifest, pacing.priority().classify(manifest));
        ScheduleRule schedule = pacing.scheduleFor(code, manifest, fileClass);
        MessageDigest digest = FileIds.sha256();
        try (ClientSession session = broker.openRoutesSession(true);
                ClientProducer producer = session.createProducer(QueueNames.upload(code));
                InputStream plaintext = new DigestInputStream(Files.newInputStream(file), digest);
                InputStream ciphertext = cipher.encryptedView(plaintext, code, manifest.fileId())) {
            ClientMessage message = session.createMessage(true);
            message.putStringProperty(Message.HDR_DUPLICATE_DETECTION_ID, manifest.fileId());
            message.putStringProperty(QueuedFile.FILE_ID, manifest.fileId());
            message.putStringProperty(QueuedFile.MANIFEST, new String(manifest.toJson(),
                    StandardCharsets.UTF_8));
            message.putStringProperty(QueuedFile.SIGNATURE, signature);
            message.putStringProperty(QueuedFile.SENT_PATH, sentPath);
            Path confirmation = exchange.getProperty(OutboxPickup.CONFIRMATION, Path.class);
            if (confirmation != null) {
                message.putBooleanProperty(QueuedFile.RESUBMISSION_CONFIRMED, true);
            }
            message.setPriority(fileClass.messagePriority());
            message.putStringProperty(QueuedFile.PRIORITY_CLASS, fileClass.label());
            message.putLongProperty(QueuedFile.SIZE, manifest.size());
            if (schedule != null) {
                message.putStringProperty(QueuedFile.SCHEDULE, schedule.schedule().name());
            }
            MessageBodies.setBody(message, ciphertext);
            producer.send(message);

            String read = FileIds.hex(digest.digest());
            String change = read.equals(manifest.sha256()) ? changeSince(file, picked)
                    : "SHA-256 " + read + " where the manifest states " + manifest.sha256();
            if (change != null) {
                session.rollback();
                LOG.warn("File changed while it was being queued, taken again once it is quiet: municipality={}"
                        + " file={} fileId={} change={}", code, manifest.fileName(), manifest.fileId(), change);
                throw new FileChangedException("file " + file + " changed while it was being queued (" + change
                        + "); it stays in the outbox and is taken again once it is quiet");
            }
            if (!commit(session, code, manifest, fileClass, schedule)) {
                keepEarlierSentPath(exchange, code, manifest);
            }
        }
        Path confirmation = exchange.getProperty(OutboxPickup.CONFIRMATION, Path.class);
        if (confirmation != null) {
            Files.deleteIfExists(confirmation);
        }
        if (forwarder != null) {
            forwarder.wakeUp();
        }
        // NOTE: a file replaced between this check and the move to sent/ that follows is still moved in place of the
        // version queued. The window is the time of one rename.
        String late = changeSince(file, picked);
        if (late != null) {
            LOG.warn("File changed just after it was queued; the queued version is sent, and a file now in its place"
                    + " is taken as another file once it is quiet: municipality={} file={} fileId={} change={}", code,
                    manifest.fileName(), manifest.fileId(), late);
            throw new FileChangedException("file " + file + " changed just after it was queued (" + late + ")");
        }
    }

    /**
     * Returns how the file differs from its attributes at pickup: removed, replaced by another file of the same name
     * (another inode), or another size or modification time. Returns null when it is unchanged.
     */
    static String changeSince(Path file, BasicFileAttributes picked) throws IOException {
        BasicFileAttributes now;
        try {
            now = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return "removed from the outbox";
        }
        if (!Objects.equals(now.fileKey(), picked.fileKey())) {
            return "replaced by another file of the same name";
        }
        if (now.size() != picked.size()) {
            return "size " + now.size() + " bytes where the manifest states " + picked.size();
        }
        if (!now.lastModifiedTime().equals(picked.lastModifiedTime())) {
            return "modified at " + now.lastModifiedTime() + " after the pickup at " + picked.lastModifiedTime();
        }
        return null;
    }

    /**
     * Returns BULK for a daily file while an earlier file of the same name waits or is being sent as a bulk file.
     * Daily files go ahead of bulk ones, but a later version of a name must not overtake an earlier one, or the
     * union's system would apply the older data last.
     */
    private PriorityClass behindEarlierOfName(MunicipalityCode code, FileManifest manifest, PriorityClass fileClass) {
        if (fileClass != PriorityClass.DAILY) {
            return fileClass;
        }
        // NOTE: this reads every message of the municipality's queue once per daily file, so a backlog of n files
        // costs n reads per pickup. Only bulk messages have their manifest parsed.
        for (Message message : queues.messages(code)) {
            if (message.getPriority() != PriorityClass.BULK.messagePriority()) {
                continue;
            }
            String json = message.getStringProperty(QueuedFile.MANIFEST);
            if (json != null && FileManifest.fromJson(json.getBytes(StandardCharsets.UTF_8)).fileName()
                    .equals(manifest.fileName())) {
                LOG.info("File queued as bulk behind an earlier bulk file of its name: municipality={} file={}"
                        + " fileId={} earlierFileId={}", code, manifest.fileName(), manifest.fileId(),
                        message.getStringProperty(QueuedFile.FILE_ID));
                return PriorityClass.BULK;
            }
        }
        return fileClass;
    }

    /**
     * Moves a file queued before a restart to the sent path its queued message already names, so that the receipt,
     * a hold or a cancellation finds it there. A crash between the commit and the move leaves the file in the outbox,
     * and its second pickup would otherwise give it a new time stamp.
     */
    private void keepEarlierSentPath(Exchange exchange, MunicipalityCode code, FileManifest manifest)
            throws IOException {
        String earlier = earlierSentPath(code, manifest.fileId());
        String current = exchange.getMessage().getHeader(OutboxPickup.TARGET_HEADER, String.class);
        if (earlier == null || earlier.equals(current) || Files.exists(Path.of(earlier), LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        exchange.getMessage().setHeader(OutboxPickup.TARGET_HEADER, earlier);
        LOG.info("File queued before a restart keeps its first sent name: municipality={} file={} fileId={}"
                + " sentPath={}", code, manifest.fileName(), manifest.fileId(), earlier);
    }

    /**
     * Returns the sent path recorded for the file: in its message while it is queued or being sent, or in the receipt
     * tracker's entry once it was uploaded. Returns null when neither has it.
     */
    private String earlierSentPath(MunicipalityCode code, String fileId) throws IOException {
        for (Message message : queues.messages(code)) {
            if (fileId.equals(message.getStringProperty(QueuedFile.FILE_ID))) {
                return message.getStringProperty(QueuedFile.SENT_PATH);
            }
        }
        Path entry = receipts.resolve(code.value()).resolve(fileId);
        return Files.isRegularFile(entry) ? Files.readString(entry, StandardCharsets.UTF_8) : null;
    }

    /** Commits the queued file and returns true, or returns false when it was queued before a restart. */
    private static boolean commit(ClientSession session, MunicipalityCode code, FileManifest manifest,
            PriorityClass fileClass, ScheduleRule schedule) throws ActiveMQException {
        try {
            session.commit();
            LOG.info("File queued: municipality={} file={} fileId={} size={} class={} schedule={}", code,
                    manifest.fileName(), manifest.fileId(), manifest.size(), fileClass.label(),
                    schedule == null ? "none" : schedule.schedule().name());
            if (manifest.size() == 0) {
                LOG.warn("Empty file queued: municipality={} file={} fileId={}; a file of 0 bytes is sent as it is,"
                        + " so check that the system that wrote it did not fail", code, manifest.fileName(),
                        manifest.fileId());
            }
        } catch (ActiveMQException e) {
            if (e.getType() != ActiveMQExceptionType.DUPLICATE_ID_REJECTED) {
                throw e;
            }
            LOG.info("File was already queued before a restart: municipality={} file={} fileId={}", code,
                    manifest.fileName(), manifest.fileId());
            return false;
        }
        return true;
    }
}
