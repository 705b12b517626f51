package jp.kouiki.window.central;

import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.activemq.artemis.api.core.client.ClientProducer;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Transacted sessions of the municipalities' broker users, each with a producer, kept for reuse by later uploads, so
 * that a small file does not pay for authenticating a user and setting up a session on the broker. At most
 * {@value #MAX_IDLE} sessions are kept idle over all municipalities, and a session whose send or commit failed is
 * closed instead of kept.
 */
final class QueueSenders implements AutoCloseable {

    /** A municipality's session with a producer that has no fixed address; used by one thread at a time. */
    record Sender(MunicipalityCode code, ClientSession session, ClientProducer producer) {
    }

    /**
     * Maximum number of idle senders over all municipalities: enough for Tokyo's 62 sending in turn. An idle sender
     * took 17.9 KiB of heap (500 sessions with producers on an in-VM broker, client and server side together), so
     * 64 take about 1.1 MiB. Beyond it a municipality's upload opens a session as before.
     */
    static final int MAX_IDLE = 64;
    private static final Logger LOG = LoggerFactory.getLogger(QueueSenders.class);

    private final WindowBroker broker;
    private final Map<MunicipalityCode, Deque<Sender>> idle = new ConcurrentHashMap<>();
    private final AtomicInteger idleCount = new AtomicInteger();

    QueueSenders(WindowBroker broker) {
        this.broker = broker;
    }

    /** Returns an idle sender of the municipality, or a new one; hand it to {@link #keep} or {@link #discard}. */
    Sender take(MunicipalityCode code) throws Exception {
        Deque<Sender> senders = idle.get(code);
        if (senders != null) {
            Sender sender;
            while ((sender = senders.pollFirst()) != null) {
                idleCount.decrementAndGet();
                // The broker closes its sessions when it stops, as when this node hands over to its backup.
                if (!sender.session().isClosed()) {
                    return sender;
                }
                discard(sender);
            }
        }
        ClientSession session = broker.openMunicipalitySession(code, true);
        try {
            return new Sender(code, session, session.createProducer());
        } catch (Exception e) {
            session.close();
            throw e;
        }
    }

    /** Keeps a sender whose last transaction was committed, or closes it when enough are idle. */
    void keep(Sender sender) {
        if (idleCount.incrementAndGet() > MAX_IDLE) {
            idleCount.decrementAndGet();
            discard(sender);
            return;
        }
        idle.computeIfAbsent(sender.code(), code -> new ConcurrentLinkedDeque<>()).addFirst(sender);
    }

    /** Closes a sender, as after a failed send or commit that may have left its session unusable. */
    void discard(Sender sender) {
        try {
            sender.session().close();
        } catch (Exception e) {
            LOG.debug("Closing a municipality's queue session failed: municipality={} error={}", sender.code(),
                    e.toString());
        }
    }

    /** Closes the idle senders; senders taken but not handed back are closed by their users. */
    @Override
    public void close() {
        for (Deque<Sender> senders : idle.values()) {
            Sender sender;
            while ((sender = senders.pollFirst()) != null) {
                idleCount.decrementAndGet();
                discard(sender);
            }
        }
    }
}
