package jp.kouiki.window.queue;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.apache.activemq.artemis.api.core.SimpleString;

import org.apache.activemq.artemis.api.core.client.ClientConsumer;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.core.filter.Filter;
import org.apache.activemq.artemis.core.filter.impl.FilterImpl;
import org.apache.activemq.artemis.core.server.MessageReference;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.activemq.artemis.utils.collections.LinkedListIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Drains many per-municipality queues with a fixed number of worker threads, so that nothing grows by a thread or a
 * consumer per municipality. Each queue is worked by at most one worker and one message at a time, which keeps each
 * municipality's files in order. A queue whose handler requested a retry waits out its delay while the other queues
 * go on.
 *
 * <p>Every message is taken in a transacted session. The acknowledgement is committed only after the handler returns
 * {@link DrainOutcome.Completed}; a crash before that leaves the message in its queue. Consumers take one message at a
 * time without a prefetch buffer, so every message not being handled stays visible in its queue, in priority order.
 * A worker keeps its session between turns and may take several messages of one queue in a turn while no other
 * queue waits for a worker.
 */
public final class QueueDrainer implements AutoCloseable {

    /** Handles one message; must not acknowledge it. */
    @FunctionalInterface
    public interface Handler {
        DrainOutcome handle(MunicipalityCode code, ClientMessage message) throws Exception;

        /**
         * Called when the drainer gives up on a message whose handling kept failing, just before the message moves to
         * the dead-letter queue, so the handler can tell the people concerned.
         */
        default void gaveUp(MunicipalityCode code, ClientMessage message, String reason) throws Exception {
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(QueueDrainer.class);
    private static final long RECEIVE_TIMEOUT_MS = 1000;
    /**
     * Delay in ms after a scan caused by a wake-up before one more scan. Right after a commit the queue's message count
     * can still read 0 (measured on Artemis 2.54: 2 of 300 commits), so a wake-up can miss the message.
     */
    private static final long FOLLOW_UP_SCAN_MS = 100;
    private static final Duration MAX_IO_RETRY_DELAY = Duration.ofMinutes(1);
    /** Maximum number of messages that a worker takes from one queue in a turn before the dispatcher chooses again. */
    static final int MAX_MESSAGES_PER_TURN = 32;
    /** Maximum time from a turn's first message in which the worker starts handling further messages of the queue. */
    private static final long TURN_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final String name;
    private final WindowBroker broker;
    private final Map<MunicipalityCode, String> queues;
    private final Handler handler;
    private final ThreadPoolExecutor workers;
    private final Map<MunicipalityCode, Long> notBefore = new ConcurrentHashMap<>();
    private final Map<MunicipalityCode, Boolean> busy = new ConcurrentHashMap<>();
    private final ThreadLocal<ClientSession> workerSessions = new ThreadLocal<>();
    private final Set<ClientSession> openSessions = ConcurrentHashMap.newKeySet();
    /**
     * Queues that the dispatcher has located, by municipality. With 1,741 municipalities, locating each queue by its
     * name at every scan took a sixth of the central server's samples in a profile. A broker activates once per process
     * and no queue is deleted, so a located queue stays valid.
     */
    private final Map<MunicipalityCode, Queue> located = new ConcurrentHashMap<>();
    /** Turns that handled at least one message, and the messages they handled, for the figures logged at close. */
    private final LongAdder turns = new LongAdder();
    private final LongAdder turnMessages = new LongAdder();
    private final Object signal = new Object();
    /**
     * A {@link #wakeUp()} not yet seen by the dispatcher, kept so that one called during a scan is not lost. Guarded
     * by {@code signal}.
     */
    private boolean wakeUpPending;
    private final AtomicBoolean running = new AtomicBoolean();
    private final Map<MunicipalityCode, Integer> handlerFailures = new ConcurrentHashMap<>();
    private final Map<MunicipalityCode, Integer> ioFailures = new ConcurrentHashMap<>();
    private final long pollIntervalMillis;
    private int maxHandlerFailures;
    private Duration failureRetryDelay = Duration.ofSeconds(5);
    private Supplier<String> consumerFilter = () -> null;
    private Predicate<MunicipalityCode> paused = code -> false;
    private Thread dispatcher;
    /** Set by {@link #addQueue} so that the dispatcher sorts its order again. */
    private volatile boolean queuesChanged;

    /**
     * @param name               a short name for thread names and logs, such as "forwarder"
     * @param queues             queue name per municipality
     * @param workerCount        worker threads shared by all queues
     * @param pollIntervalMillis how often queues are checked without a wake-up, in ms
     */
    public QueueDrainer(String name, WindowBroker broker, Map<MunicipalityCode, String> queues, Handler handler,
            int workerCount, long pollIntervalMillis) {
        this.name = name;
        this.broker = broker;
        this.queues = new ConcurrentHashMap<>(queues);
        this.handler = handler;
        this.pollIntervalMillis = pollIntervalMillis;
        this.workers = new ThreadPoolExecutor(workerCount, workerCount, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, name + "-worker");
                    thread.setDaemon(true);
                    return thread;
                });
    }

    /**
     * Sets how many times in a row handling one message may throw before the message moves to the dead-letter queue;
     * 0, the default, retries for ever. A limit keeps one message that can never be handled, such as one whose file
     * name the destination file system cannot store, from blocking its municipality's queue. An IOException never
     * counts toward the limit: a full disk or a broken folder may clear, so such failures are retried for ever, with
     * delays doubling up to one minute.
     */
    public QueueDrainer withMaxHandlerFailures(int failures) {
        this.maxHandlerFailures = failures;
        return this;
    }

    /** Sets the delay before a message whose handling threw is tried again; 5 s by default. */
    public QueueDrainer withFailureRetryDelay(Duration delay) {
        this.failureRetryDelay = delay;
        return this;
    }

    /**
     * Sets the source of an Artemis filter expression that a message must match to be taken. The source is read at
     * every look at the queues, and null from it takes every message. Messages that do not match stay in their queue,
     * in order, until a later filter lets them through.
     */
    public QueueDrainer withConsumerFilter(Supplier<String> filter) {
        this.consumerFilter = filter;
        return this;
    }

    /**
     * Returns whether a queue with messages waits for a free worker, so that a long handler can give its worker up
     * after a step and let the other municipalities go first.
     */
    public boolean othersWaiting() {
        return !workers.getQueue().isEmpty();
    }

    /**
     * Sets the test of whether a municipality is paused; a paused municipality's messages stay in its queue while the
     * other queues go on. A message already being handled when the pause starts is finished.
     */
    public QueueDrainer withPause(Predicate<MunicipalityCode> isPaused) {
        this.paused = isPaused;
        return this;
    }

    public void start() {
        running.set(true);
        dispatcher = new Thread(this::dispatchLoop, name + "-dispatcher");
        dispatcher.setDaemon(true);
        dispatcher.start();
    }

    /**
     * Adds a municipality's queue while the drainer runs, as when a municipality is added without a restart; the
     * dispatcher takes it into its order at its next scan. Adding a municipality already drained changes nothing.
     */
    public void addQueue(MunicipalityCode code, String queueName) {
        if (queues.putIfAbsent(code, queueName) == null) {
            queuesChanged = true;
            wakeUp();
        }
    }

    /** Returns how many queues the dispatcher has located and keeps. */
    int locatedQueues() {
        return located.size();
    }

    /** Asks the dispatcher to look at the queues now instead of at the next poll. */
    public void wakeUp() {
        synchronized (signal) {
            wakeUpPending = true;
            signal.notifyAll();
        }
    }

    private void dispatchLoop() {
        List<MunicipalityCode> order = queues.keySet().stream().sorted().toList();
        // Whether the scan about to run was caused by a wake-up, so that one more scan follows it shortly.
        boolean followUpDue = false;
        while (running.get()) {
            if (queuesChanged) {
                queuesChanged = false;
                order = queues.keySet().stream().sorted().toList();
            }
            long now = System.currentTimeMillis();
            Filter filter = currentFilter();
            for (MunicipalityCode code : order) {
                if (!running.get()) {
                    return;
                }
                if (busy.containsKey(code) || notBefore.getOrDefault(code, 0L) > now || paused.test(code)) {
                    continue;
                }
                if (hasMessages(code, filter) && busy.putIfAbsent(code, Boolean.TRUE) == null) {
                    workers.execute(() -> drainOne(code));
                }
            }
            synchronized (signal) {
                try {
                    if (!wakeUpPending) {
                        signal.wait(followUpDue ? Math.min(FOLLOW_UP_SCAN_MS, pollIntervalMillis) : pollIntervalMillis);
                    }
                    followUpDue = wakeUpPending;
                    wakeUpPending = false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private Filter currentFilter() {
        String expression = consumerFilter.get();
        if (expression == null) {
            return null;
        }
        try {
            return FilterImpl.createFilter(expression);
        } catch (Exception e) {
            throw new IllegalStateException("consumer filter '" + expression + "' is invalid", e);
        }
    }

    /** Returns whether the queue has a message the filter lets through; any message when the filter is null. */
    private boolean hasMessages(MunicipalityCode code, Filter filter) {
        Queue queue = located.get(code);
        if (queue == null) {
            queue = broker.server().locateQueue(queues.get(code));
            if (queue == null) {
                return false;
            }
            located.put(code, queue);
        }
        if (queue.getMessageCount() == 0) {
            return false;
        }
        if (filter == null) {
            return true;
        }
        try (LinkedListIterator<MessageReference> references = queue.browserIterator()) {
            while (references.hasNext()) {
                if (filter.match(references.next().getMessage())) {
                    return true;
                }
            }
        }
        return false;
    }

    private void drainOne(MunicipalityCode code) {
        String filter = consumerFilter.get();
        ClientSession session = null;
        try {
            session = workerSession();
            try (ClientConsumer consumer = session.createConsumer(SimpleString.of(queues.get(code)),
                    filter == null ? null : SimpleString.of(filter), 0, -1, false)) {
                ClientMessage message = consumer.receive(RECEIVE_TIMEOUT_MS);
                if (message == null) {
                    // Counted but not deliverable (paused, or held by another consumer): look again at the next poll.
                    notBefore.put(code, System.currentTimeMillis() + pollIntervalMillis);
                    return;
                }
                long turnEnds = System.nanoTime() + TURN_NANOS;
                int handled = 0;
                while (message != null) {
                    DrainOutcome outcome = handleSafely(code, message);
                    settle(code, session, consumer, message, outcome);
                    handled++;
                    if (!(outcome instanceof DrainOutcome.Completed)) {
                        break;
                    }
                    // Lets the dispatcher queue the other municipalities, so that the turn ends if any waits.
                    wakeUp();
                    if (!mayContinue(code, filter, handled, turnEnds)) {
                        break;
                    }
                    message = consumer.receiveImmediate();
                }
                turns.increment();
                turnMessages.add(handled);
            }
        } catch (Exception e) {
            LOG.warn("Queue drain failed, retrying in 5 s: drainer={} municipality={} error={}", name, code,
                    e.toString());
            notBefore.put(code, System.currentTimeMillis() + 5000);
            dropWorkerSession(session);
        } finally {
            busy.remove(code);
            wakeUp();
        }
    }

    /**
     * Returns the calling worker's transacted session, opened on the worker's own connection so that a handler that
     * reads a large body slowly does not hold the other sessions' calls. The session is kept for the worker's next
     * turns instead of being authenticated and set up on the broker for every message. Every turn ends with a commit
     * or a rollback, so a kept session carries no open transaction.
     */
    private ClientSession workerSession() throws Exception {
        ClientSession session = workerSessions.get();
        if (session == null || session.isClosed()) {
            session = broker.openRoutesSessionOnOwnConnection(true);
            session.start();
            workerSessions.set(session);
            openSessions.add(session);
        }
        return session;
    }

    /** Closes a worker's session after a failure, so that its next turn opens a new one. */
    private void dropWorkerSession(ClientSession session) {
        if (session == null) {
            return;
        }
        workerSessions.remove();
        openSessions.remove(session);
        try {
            session.close();
        } catch (Exception e) {
            LOG.debug("Closing a failed worker session failed: drainer={} error={}", name, e.toString());
        }
    }

    /**
     * Returns whether the worker may take the queue's next message with the consumer it has open, instead of closing
     * it and waiting for the dispatcher's next scan. A turn takes up to {@link #MAX_MESSAGES_PER_TURN} messages within
     * {@link #TURN_NANOS}. It ends sooner when another queue waits for a worker, when the drainer stops, or when a
     * pause or a new filter applies to the queue.
     */
    private boolean mayContinue(MunicipalityCode code, String filter, int handled, long turnEnds) {
        return handled < MAX_MESSAGES_PER_TURN
                && System.nanoTime() - turnEnds < 0
                && running.get()
                && !othersWaiting()
                && !paused.test(code)
                && Objects.equals(filter, consumerFilter.get());
    }

    private DrainOutcome handleSafely(MunicipalityCode code, ClientMessage message) {
        try {
            DrainOutcome outcome = handler.handle(code, message);
            handlerFailures.remove(code);
            ioFailures.remove(code);
            return outcome;
        } catch (IOException e) {
            // A disk, folder or line problem outside the message: it may clear, so retry for ever, more slowly.
            int failures = ioFailures.merge(code, 1, Integer::sum);
            Duration delay = failureRetryDelay.multipliedBy(1L << Math.min(failures - 1, 6));
            if (delay.compareTo(MAX_IO_RETRY_DELAY) > 0) {
                delay = MAX_IO_RETRY_DELAY;
            }
            LOG.warn("Handler failed on I/O, retrying in {} ms: drainer={} municipality={} failures={} error={}",
                    delay.toMillis(), name, code, failures, e.toString());
            return new DrainOutcome.RetryLater(delay, e.toString());
        } catch (Exception e) {
            int failures = handlerFailures.merge(code, 1, Integer::sum);
            if (maxHandlerFailures > 0 && failures >= maxHandlerFailures) {
                handlerFailures.remove(code);
                String reason = "handling failed " + failures + " times in a row, last with " + e;
                LOG.error("Giving up on a message: drainer={} municipality={} messageId={} failures={}", name, code,
                        message.getMessageID(), failures, e);
                try {
                    handler.gaveUp(code, message, reason);
                } catch (Exception reportFailure) {
                    LOG.warn("Could not report the message given up: drainer={} municipality={} error={}", name, code,
                            reportFailure.toString());
                }
                return new DrainOutcome.Rejected(reason);
            }
            LOG.warn("Handler failed, retrying in {} ms: drainer={} municipality={} failures={} error={}",
                    failureRetryDelay.toMillis(), name, code, failures, e.toString(), e);
            return new DrainOutcome.RetryLater(failureRetryDelay, e.toString());
        }
    }

    private void settle(MunicipalityCode code, ClientSession session, ClientConsumer consumer, ClientMessage message,
            DrainOutcome outcome) throws Exception {
        if (outcome instanceof DrainOutcome.Completed) {
            message.acknowledge();
            session.commit();
            notBefore.remove(code);
        } else if (outcome instanceof DrainOutcome.RetryLater retry) {
            session.rollback();
            notBefore.put(code, System.currentTimeMillis() + retry.delay().toMillis());
        } else if (outcome instanceof DrainOutcome.Rejected rejected) {
            deadLetter(code, session, consumer, message, rejected.reason());
            notBefore.remove(code);
        }
    }

    /**
     * Moves the message to the municipality's dead-letter queue on the server side, which keeps a large body as it is
     * instead of copying it through the client.
     */
    private void deadLetter(MunicipalityCode code, ClientSession session, ClientConsumer consumer,
            ClientMessage message, String reason) throws Exception {
        long messageId = message.getMessageID();
        consumer.close();
        session.rollback();
        Queue queue = broker.server().locateQueue(queues.get(code));
        if (queue == null || !queue.sendMessageToDeadLetterAddress(messageId)) {
            throw new IllegalStateException("message " + messageId + " of " + queues.get(code)
                    + " could not be moved to the dead-letter queue");
        }
        LOG.warn("Message moved to dead-letter queue: drainer={} municipality={} messageId={} reason={}", name, code,
                messageId, reason);
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        wakeUp();
        if (dispatcher != null) {
            dispatcher.join(5000);
        }
        workers.shutdown();
        if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
            workers.shutdownNow();
        }
        for (ClientSession session : openSessions) {
            try {
                session.close();
            } catch (Exception e) {
                LOG.debug("Closing a worker session failed: drainer={} error={}", name, e.toString());
            }
        }
        openSessions.clear();
        LOG.info("Queue drainer stopped: drainer={} turns={} messages={}", name, turns.sum(), turnMessages.sum());
    }
}
