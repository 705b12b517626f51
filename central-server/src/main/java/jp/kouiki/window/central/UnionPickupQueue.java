package jp.kouiki.window.central;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.api.core.client.ClientConsumer;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.core.server.Queue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;

import jp.kouiki.window.broker.MessageBodies;
import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.central.operator.TransferEvents;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.FileManifest;

/**
 * Serves a municipality's stored uploads to the union's agent when the union's folders are remote
 * ({@code central.union.delivery=remote}). {@link #next} browses the first message of
 * {@code municipality.<code>.upload} without taking it, in a session of the municipality's own broker user, and offers
 * its ciphertext as the municipality encrypted it, with the municipality's signed manifest. The file therefore stays
 * encrypted on this server and on the line, and the union's agent can check who sent it. {@link #acknowledge} records
 * the delivery in the ledger, which the municipality's agent reads for its receipt, and only then removes the message;
 * a refusal by the union's agent records the reason and moves the message to the dead-letter queue.
 */
final class UnionPickupQueue implements DownloadRequests.Source {

    private static final Logger LOG = LoggerFactory.getLogger(UnionPickupQueue.class);
    private static final long RECEIVE_TIMEOUT_MS = 2000;
    private static final long RECHECK_MS = 250;
    private static final int LOCK_STRIPES = 64;

    private final WindowBroker broker;
    private final DeliveryLedger ledger;
    private final MeterRegistry metrics;
    private final Predicate<MunicipalityCode> paused;
    private final ReentrantLock[] locks = new ReentrantLock[LOCK_STRIPES];
    private volatile TransferEvents events = TransferEvents.NONE;

    UnionPickupQueue(WindowBroker broker, DeliveryLedger ledger, MeterRegistry metrics,
            Predicate<MunicipalityCode> paused) {
        this.broker = broker;
        this.ledger = ledger;
        this.metrics = metrics;
        this.paused = paused;
        for (int i = 0; i < LOCK_STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    /** Sets where deliveries and rejections are reported, for the transfer history. */
    void setTransferEvents(TransferEvents events) {
        this.events = events;
    }

    /**
     * Returns the first stored file of the municipality, waiting up to {@code waitMillis} for one, or null. A
     * municipality paused by an operator offers nothing. The caller must close the offer's stream.
     */
    @Override
    public DownloadQueue.Offer next(MunicipalityCode code, long waitMillis) throws Exception {
        String queue = QueueNames.upload(code);
        long deadline = System.currentTimeMillis() + waitMillis;
        while (true) {
            if (!paused.test(code) && broker.messageCount(queue) > 0) {
                DownloadQueue.Offer offer = browseFirst(code, queue);
                if (offer != null) {
                    return offer;
                }
            }
            long remaining = deadline - System.currentTimeMillis();
            if (remaining <= 0) {
                return null;
            }
            Thread.sleep(Math.min(remaining, RECHECK_MS));
        }
    }

    private DownloadQueue.Offer browseFirst(MunicipalityCode code, String queue) throws Exception {
        ClientSession session = broker.openMunicipalitySession(code, false);
        try {
            session.start();
            // A window of 0, as for downloads: the broker sends only the message received here.
            ClientConsumer browser = session.createConsumer(SimpleString.of(queue), null, 0, -1, true);
            ClientMessage message = browser.receive(RECEIVE_TIMEOUT_MS);
            if (message == null) {
                session.close();
                return null;
            }
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
            return new DownloadQueue.Offer(message.getStringProperty(UploadStore.FILE_ID),
                    message.getStringProperty(UploadStore.MANIFEST), message.getStringProperty(UploadStore.SIGNATURE),
                    MessageBodies.size(message), body);
        } catch (Exception e) {
            session.close();
            throw e;
        }
    }

    /**
     * Records the file as delivered and removes it, or with a refusal reason records the rejection and dead-letters it.
     * Repeating an acknowledgement changes nothing and reports what the first one did.
     */
    @Override
    public DownloadQueue.Acknowledgement acknowledge(MunicipalityCode code, String fileId, String refusal,
            boolean offered) throws Exception {
        ReentrantLock lock = locks[Math.floorMod((code.value() + fileId).hashCode(), LOCK_STRIPES)];
        lock.lock();
        try (ClientSession session = broker.openMunicipalitySession(code, true)) {
            session.start();
            ClientConsumer consumer = session.createConsumer(QueueNames.upload(code),
                    UploadStore.FILE_ID + " = '" + fileId + "'");
            ClientMessage message = consumer.receive(RECEIVE_TIMEOUT_MS);
            if (message == null) {
                consumer.close();
                return earlier(code, fileId);
            }
            if (!offered) {
                consumer.close();
                session.rollback();
                return DownloadQueue.Acknowledgement.NOT_OFFERED;
            }
            FileManifest manifest = FileManifest.fromJson(message.getStringProperty(UploadStore.MANIFEST)
                    .getBytes(StandardCharsets.UTF_8));
            if (refusal == null) {
                ledger.recordDelivered(code, fileId, manifest.fileName());
                message.acknowledge();
                session.commit();
                LOG.info("File delivered to the union's agent: municipality={} file={} fileId={} size={}", code,
                        manifest.fileName(), fileId, manifest.size());
                metrics.counter("window.delivery.delivered", "municipality", code.value()).increment();
                events.delivered(code, fileId, manifest.fileName(), manifest.size());
                return DownloadQueue.Acknowledgement.REMOVED;
            }
            long messageId = message.getMessageID();
            consumer.close();
            session.rollback();
            ledger.recordRejected(code, fileId, refusal);
            events.rejected(manifest, refusal);
            deadLetter(code, messageId);
            metrics.counter("window.delivery.rejected", "municipality", code.value(), "reason", "union-agent")
                    .increment();
            LOG.warn("File refused by the union's agent and moved to the dead-letter queue: municipality={} file={}"
                    + " fileId={} reason={}", code, manifest.fileName(), fileId, refusal);
            return DownloadQueue.Acknowledgement.DEAD_LETTERED;
        } finally {
            lock.unlock();
        }
    }

    private DownloadQueue.Acknowledgement earlier(MunicipalityCode code, String fileId) throws IOException {
        DeliveryLedger.Status status = ledger.status(code, fileId);
        if (status == null || status.state().equals("waiting")) {
            return DownloadQueue.Acknowledgement.UNKNOWN;
        }
        return status.state().equals("rejected") ? DownloadQueue.Acknowledgement.ALREADY_REFUSED
                : DownloadQueue.Acknowledgement.ALREADY_ACKNOWLEDGED;
    }

    private void deadLetter(MunicipalityCode code, long messageId) throws Exception {
        Queue queue = broker.server().locateQueue(QueueNames.upload(code));
        if (queue == null || !queue.sendMessageToDeadLetterAddress(messageId)) {
            throw new IllegalStateException("upload message " + messageId + " of municipality " + code
                    + " could not be moved to the dead-letter queue");
        }
    }
}
