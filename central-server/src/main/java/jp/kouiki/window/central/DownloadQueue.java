package jp.kouiki.window.central;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.client.ClientConsumer;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.core.server.MessageReference;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.activemq.artemis.utils.collections.LinkedListIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.broker.MessageBodies;
import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.central.operator.DownloadOperations;
import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.DownloadManifest;

/**
 * Serves a municipality's download queue to its agent. {@link #next} browses the first message without taking it, in
 * a session of the municipality's own broker user, so a download broken off halfway or never acknowledged is simply
 * offered again. {@link #acknowledge} removes the message only when the agent reports that the file is durably
 * written, or moves it to the municipality's dead-letter queue when the agent refused it.
 */
final class DownloadQueue implements DownloadRequests.Source, DownloadOperations {

    /** One offered download: its manifest, signature and a ciphertext stream that releases the session on close. */
    record Offer(String fileId, String manifest, String signature, long ciphertextBytes, InputStream ciphertext) {
    }

    /** Result of an acknowledgement. */
    enum Acknowledgement {
        /** The message was removed now. */
        REMOVED,
        /** The message was moved to the dead-letter queue now. */
        DEAD_LETTERED,
        /** The message had already been removed by an earlier acknowledgement. */
        ALREADY_ACKNOWLEDGED,
        /** The message had already been dead-lettered by an earlier refusal. */
        ALREADY_REFUSED,
        /** No message of this file id was ever acknowledged here, or its record has expired. */
        UNKNOWN,
        /** The message waits, but it was not offered since this server started, so it stays. */
        NOT_OFFERED
    }

    private static final Logger LOG = LoggerFactory.getLogger(DownloadQueue.class);
    private static final long RECEIVE_TIMEOUT_MS = 2000;
    private static final long RECHECK_MS = 500;
    private static final int LOCK_STRIPES = 64;
    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

    private final WindowBroker broker;
    private final DownloadSignals signals;
    private final DownloadLedger ledger;
    private final CentralSettings settings;
    private final ReentrantLock[] locks = new ReentrantLock[LOCK_STRIPES];

    DownloadQueue(WindowBroker broker, DownloadSignals signals, DownloadLedger ledger, CentralSettings settings) {
        this.broker = broker;
        this.signals = signals;
        this.ledger = ledger;
        this.settings = settings;
        for (int i = 0; i < LOCK_STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    /**
     * Returns the first download waiting for the municipality, waiting up to {@code waitMillis} for one to arrive, or
     * null when none did. The caller must close the offer's stream, which closes the broker session.
     */
    @Override
    public Offer next(MunicipalityCode code, long waitMillis) throws Exception {
        String queue = QueueNames.download(code);
        long deadline = System.currentTimeMillis() + waitMillis;
        while (true) {
            if (broker.messageCount(queue) > 0) {
                Offer offer = browseFirst(code, queue);
                if (offer != null) {
                    return offer;
                }
            }
            long remaining = deadline - System.currentTimeMillis();
            if (remaining <= 0) {
                return null;
            }
            signals.await(code, Math.min(remaining, RECHECK_MS));
        }
    }

    private Offer browseFirst(MunicipalityCode code, String queue) throws Exception {
        ClientSession session = broker.openMunicipalitySession(code, false);
        try {
            session.start();
            // A window of 0 makes the broker send only the message received here. With a window it would push the next
            // messages ahead, and Artemis 2.54 throws while delivering a large message to a browser closed meanwhile,
            // which leaves that message's file behind after it is acknowledged.
            ClientConsumer browser = session.createConsumer(SimpleString.of(queue), null, 0, -1, true);
            ClientMessage message = browser.receive(RECEIVE_TIMEOUT_MS);
            if (message == null) {
                session.close();
                return null;
            }
            // TODO: a download broken off while the broker still sends the large body may meet the same Artemis fault
            // when the session closes. The crash tests have not shown it. Check again after an Artemis upgrade.
            InputStream body = new FilterInputStream(MessageBodies.open(message)) {
                private boolean closed;

                @Override
                public void close() throws IOException {
                    if (closed) {
                        return;
                    }
                    closed = true;
                    try {
                        session.close();
                    } catch (Exception e) {
                        throw new IOException("broker session of municipality " + code + " did not close", e);
                    }
                }
            };
            return new Offer(message.getStringProperty(DownloadQueueWriter.FILE_ID),
                    message.getStringProperty(DownloadQueueWriter.MANIFEST),
                    message.getStringProperty(DownloadQueueWriter.SIGNATURE), MessageBodies.size(message), body);
        } catch (Exception e) {
            session.close();
            throw e;
        }
    }

    /**
     * Removes the download with the file id from the municipality's queue, or with a refusal reason moves it to the
     * dead-letter queue and writes the reason into {@code union/outbound-error/<code>/}. Repeating an
     * acknowledgement changes nothing and reports what the first one did.
     */
    @Override
    public Acknowledgement acknowledge(MunicipalityCode code, String fileId, String refusal, boolean offered)
            throws Exception {
        ReentrantLock lock = lockFor(code, fileId);
        lock.lock();
        try (ClientSession session = broker.openMunicipalitySession(code, true)) {
            session.start();
            ClientConsumer consumer = consumerOf(session, code, fileId);
            ClientMessage message = consumer.receive(RECEIVE_TIMEOUT_MS);
            if (message == null) {
                consumer.close();
                return earlier(code, fileId);
            }
            if (!offered) {
                consumer.close();
                session.rollback();
                return Acknowledgement.NOT_OFFERED;
            }
            DownloadManifest manifest = DownloadManifest.fromJson(message.getStringProperty(
                    DownloadQueueWriter.MANIFEST).getBytes(StandardCharsets.UTF_8));
            if (refusal == null) {
                ledger.recordAcknowledged(manifest);
                message.acknowledge();
                session.commit();
                LOG.info("Download acknowledged: municipality={} file={} fileId={} size={}", code,
                        manifest.fileName(), fileId, manifest.size());
                return Acknowledgement.REMOVED;
            }
            deadLetter(consumer, session, message, manifest, refusal, "団体のエージェントが受け取りを拒否しました /"
                    + " the municipality's agent refused the download: " + refusal);
            LOG.warn("Download refused by the municipality and moved to the dead-letter queue: municipality={}"
                    + " file={} fileId={} reason={}", code, manifest.fileName(), fileId, refusal);
            return Acknowledgement.DEAD_LETTERED;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Withdrawn withdraw(MunicipalityCode code, String fileId, String fileName, String reason) throws Exception {
        String id = fileId != null ? fileId : waitingFileId(code, fileName);
        if (id == null) {
            return null;
        }
        ReentrantLock lock = lockFor(code, id);
        lock.lock();
        try (ClientSession session = broker.openMunicipalitySession(code, true)) {
            session.start();
            ClientConsumer consumer = consumerOf(session, code, id);
            ClientMessage message = consumer.receive(RECEIVE_TIMEOUT_MS);
            if (message == null) {
                consumer.close();
                return null;
            }
            DownloadManifest manifest = DownloadManifest.fromJson(message.getStringProperty(
                    DownloadQueueWriter.MANIFEST).getBytes(StandardCharsets.UTF_8));
            deadLetter(consumer, session, message, manifest, reason, "窓口サーバの運用者が取り下げました /"
                    + " withdrawn by an operator of the window server: " + reason);
            LOG.warn("Download withdrawn by an operator and moved to the dead-letter queue: municipality={} file={}"
                    + " fileId={} reason={}", code, manifest.fileName(), id, reason);
            return new Withdrawn(id, manifest.fileName());
        } finally {
            lock.unlock();
        }
    }

    /** Returns the file id of the oldest waiting download with the name, or null when none waits. */
    private String waitingFileId(MunicipalityCode code, String fileName) {
        for (DownloadManifest manifest : waitingManifests(code, Integer.MAX_VALUE)) {
            if (manifest.fileName().equals(fileName)) {
                return manifest.fileId();
            }
        }
        return null;
    }

    /** Returns the manifests of the downloads waiting in the municipality's queue, oldest first, at most limit. */
    private List<DownloadManifest> waitingManifests(MunicipalityCode code, int limit) {
        List<DownloadManifest> manifests = new ArrayList<>();
        Queue queue = broker.server().locateQueue(QueueNames.download(code));
        if (queue == null) {
            return manifests;
        }
        try (LinkedListIterator<MessageReference> references = queue.browserIterator()) {
            while (references.hasNext() && manifests.size() < limit) {
                Object json = references.next().getMessage().getObjectProperty(DownloadQueueWriter.MANIFEST);
                if (json != null) {
                    manifests.add(DownloadManifest.fromJson(json.toString().getBytes(StandardCharsets.UTF_8)));
                }
            }
        }
        return manifests;
    }

    @Override
    public List<Recorded> downloads(MunicipalityCode code, int limit) throws IOException {
        List<Recorded> downloads = new ArrayList<>();
        Set<String> listed = new HashSet<>();
        for (DownloadManifest manifest : waitingManifests(code, limit)) {
            downloads.add(new Recorded(manifest.fileId(), manifest.fileName(), manifest.size(), "queued",
                    OffsetDateTime.parse(manifest.queuedAt()).toInstant(), null));
            listed.add(manifest.fileId());
        }
        // A download refused or withdrawn and then retried has older records; only its latest state is listed.
        for (Recorded recorded : ledger.recent(code, limit)) {
            if (downloads.size() < limit && listed.add(recorded.fileId())) {
                downloads.add(recorded);
            }
        }
        return downloads;
    }

    /** Returns the lock that orders the acknowledgements and withdrawals of one file. */
    private ReentrantLock lockFor(MunicipalityCode code, String fileId) {
        return locks[Math.floorMod((code.value() + fileId).hashCode(), LOCK_STRIPES)];
    }

    /** Opens a consumer of the municipality's download queue that takes only the file's message. */
    private static ClientConsumer consumerOf(ClientSession session, MunicipalityCode code, String fileId)
            throws ActiveMQException {
        return session.createConsumer(QueueNames.download(code), DownloadQueueWriter.FILE_ID + " = '" + fileId + "'");
    }

    private Acknowledgement earlier(MunicipalityCode code, String fileId) throws IOException {
        DownloadLedger.Status status = ledger.status(code, fileId);
        if (status == null) {
            return Acknowledgement.UNKNOWN;
        }
        return status.state().equals("refused") ? Acknowledgement.ALREADY_REFUSED
                : Acknowledgement.ALREADY_ACKNOWLEDGED;
    }

    /**
     * Moves a received download to the dead-letter queue: releases it, records the refusal in the ledger and its
     * reason in the outbound error folder, and moves the message.
     */
    private void deadLetter(ClientConsumer consumer, ClientSession session, ClientMessage message,
            DownloadManifest manifest, String ledgerReason, String reasonText) throws Exception {
        long messageId = message.getMessageID();
        consumer.close();
        session.rollback();
        ledger.recordRefused(manifest, ledgerReason);
        writeReason(manifest, reasonText);
        deadLetter(MunicipalityCode.of(manifest.municipality()), messageId);
    }

    /** Moves the message on the server side, which keeps a large body as it is instead of copying it. */
    private void deadLetter(MunicipalityCode code, long messageId) throws Exception {
        Queue queue = broker.server().locateQueue(QueueNames.download(code));
        if (queue == null || !queue.sendMessageToDeadLetterAddress(messageId)) {
            throw new IllegalStateException("download message " + messageId + " of municipality " + code
                    + " could not be moved to the dead-letter queue");
        }
    }

    private void writeReason(DownloadManifest manifest, String reason) throws IOException {
        Path folder = AtomicFiles.createDirectories(settings.outboundError(manifest.municipality()));
        String text = "file: " + manifest.fileName() + "\nfileId: " + manifest.fileId() + "\nmunicipality: "
                + manifest.municipality() + "\nsize: " + manifest.size() + "\nsha256: " + manifest.sha256()
                + "\nreason: " + reason + "\n";
        String name = ZonedDateTime.now(TOKYO).format(STAMP) + "_" + manifest.fileId() + ".reason";
        AtomicFiles.writeAtomically(folder.resolve(name), text.getBytes(StandardCharsets.UTF_8));
    }
}
