package jp.kouiki.window.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.apache.activemq.artemis.api.core.client.ClientConsumer;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientProducer;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.core.server.ServerSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.BrokerSettings;
import jp.kouiki.window.broker.MessageBodies;
import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.municipality.MunicipalityCode;

/** Drains the upload queues of two municipalities on a real embedded broker with its default delivery settings. */
class QueueDrainerTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final String LABEL = "label";
    private static final long POLL_INTERVAL_MILLIS = 50;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final AtomicInteger NEXT_SERVER_ID = new AtomicInteger(7100);

    @TempDir
    Path dataDirectory;

    private WindowBroker broker;
    private QueueDrainer drainer;
    /** Labels of the messages handed to the handler, per municipality, in the order they were handed over. */
    private final Map<MunicipalityCode, List<String>> handled = new ConcurrentHashMap<>();
    /** Monotonic times in ms, from System.nanoTime, at which the handler was called, per municipality. */
    private final Map<MunicipalityCode, List<Long>> handledAt = new ConcurrentHashMap<>();

    @BeforeEach
    void startBroker() throws Exception {
        broker = new WindowBroker(BrokerSettings.defaults(dataDirectory, NEXT_SERVER_ID.getAndIncrement(),
                List.of(CHIYODA, CHUO)).withJournalType("NIO")).start();
    }

    @AfterEach
    void stopDrainerAndBroker() throws Exception {
        if (drainer != null) {
            drainer.close();
        }
        broker.close();
    }

    @Test
    void messagesArriveInSendOrder() throws Exception {
        List<String> chiyodaLabels = labels("chiyoda", 30);
        List<String> chuoLabels = labels("chuo", 30);
        send(CHIYODA, chiyodaLabels);
        send(CHUO, chuoLabels);

        start((code, message) -> new DrainOutcome.Completed("done"), 2);

        awaitHandled(CHIYODA, 30);
        awaitHandled(CHUO, 30);
        awaitQueueEmpty(CHIYODA);
        awaitQueueEmpty(CHUO);
        assertThat(handled(CHIYODA)).containsExactlyElementsOf(chiyodaLabels);
        assertThat(handled(CHUO)).containsExactlyElementsOf(chuoLabels);
        assertThat(broker.messageCount(QueueNames.deadLetter(CHIYODA))).isZero();
        assertThat(broker.messageCount(QueueNames.deadLetter(CHUO))).isZero();
    }

    @Test
    void pausedMunicipalityWaitsWhileOthersFlow() throws Exception {
        Set<MunicipalityCode> paused = ConcurrentHashMap.newKeySet();
        paused.add(CHIYODA);
        drainer = new QueueDrainer("test", broker, uploadQueues(),
                recording((code, message) -> new DrainOutcome.Completed("done")), 2, POLL_INTERVAL_MILLIS)
                .withPause(paused::contains);
        drainer.start();
        send(CHIYODA, List.of("paused-1", "paused-2"));
        send(CHUO, List.of("flowing"));

        awaitHandled(CHUO, 1);
        await("paused queue untouched").during(Duration.ofMillis(500)).atMost(TIMEOUT)
                .until(() -> handled(CHIYODA).isEmpty() && broker.messageCount(upload(CHIYODA)) == 2);

        paused.remove(CHIYODA);
        drainer.wakeUp();

        awaitHandled(CHIYODA, 2);
        assertThat(handled(CHIYODA)).containsExactly("paused-1", "paused-2");
    }

    @Test
    void workerKeepsOneSession() throws Exception {
        int count = QueueDrainer.MAX_MESSAGES_PER_TURN + 8;
        send(CHIYODA, labels("kept", count));
        Set<String> sessions = ConcurrentHashMap.newKeySet();

        start((code, message) -> {
            sessions.addAll(sessionsConsuming(upload(code)));
            return new DrainOutcome.Completed("done");
        }, 1);

        awaitHandled(CHIYODA, count);
        awaitQueueEmpty(CHIYODA);
        assertThat(handled(CHIYODA)).containsExactlyElementsOf(labels("kept", count));
        assertThat(sessions).as("server sessions with a consumer on the queue over two turns").hasSize(1);
    }

    @Test
    void scansLocateEachQueueOnce() throws Exception {
        start((code, message) -> new DrainOutcome.Completed("done"), 1);

        await("every queue located").atMost(TIMEOUT)
                .until(() -> drainer.locatedQueues() == uploadQueues().size());
        send(CHIYODA, List.of("after-locating"));
        awaitHandled(CHIYODA, 1);
        assertThat(drainer.locatedQueues()).isEqualTo(uploadQueues().size());
    }

    @Test
    void pauseEndsTurn() throws Exception {
        Set<MunicipalityCode> paused = ConcurrentHashMap.newKeySet();
        drainer = new QueueDrainer("test", broker, uploadQueues(), recording((code, message) -> {
            paused.add(code);
            return new DrainOutcome.Completed("done");
        }), 1, POLL_INTERVAL_MILLIS).withPause(paused::contains);
        send(CHIYODA, List.of("first", "second", "third"));
        drainer.start();

        awaitHandled(CHIYODA, 1);
        await("no message taken after the pause").during(Duration.ofMillis(500)).atMost(TIMEOUT)
                .until(() -> handled(CHIYODA).size() == 1 && broker.messageCount(upload(CHIYODA)) == 2);
        assertThat(handled(CHIYODA)).containsExactly("first");
    }

    @Test
    void messageSentWhileRunningIsHandled() throws Exception {
        start((code, message) -> new DrainOutcome.Completed("done"), 1);
        send(CHIYODA, List.of("late-1", "late-2"));

        awaitHandled(CHIYODA, 2);
        awaitQueueEmpty(CHIYODA);
        assertThat(handled(CHIYODA)).containsExactly("late-1", "late-2");
    }

    @Test
    void wakeUpDispatchesBeforeNextPoll() throws Exception {
        drainer = new QueueDrainer("test", broker, uploadQueues(),
                recording((code, message) -> new DrainOutcome.Completed("done")), 1, 60_000);
        drainer.start();
        // Let the first pass over the empty queues finish, so that only a wake-up can find the message.
        Thread.sleep(300);
        send(CHIYODA, List.of("woken"));

        drainer.wakeUp();

        await("message handled after wake-up, well before the 60 s poll").atMost(Duration.ofSeconds(5))
                .until(() -> handled(CHIYODA).size() == 1);
        awaitQueueEmpty(CHIYODA);
    }

    @Test
    void followUpScanFindsLateMessage() throws Exception {
        drainer = new QueueDrainer("test", broker, uploadQueues(),
                recording((code, message) -> new DrainOutcome.Completed("done")), 1, 60_000);
        drainer.start();
        Thread.sleep(300);
        // The wake-up scan runs before the message is counted, as when the count lags a commit. Only the follow-up scan
        // can find it before the 60 s poll.
        drainer.wakeUp();
        Thread.sleep(30);
        send(CHIYODA, List.of("counted-late"));

        await("message handled by the follow-up scan, well before the 60 s poll").atMost(Duration.ofSeconds(5))
                .until(() -> handled(CHIYODA).size() == 1);
        awaitQueueEmpty(CHIYODA);
    }

    @Test
    void wakeUpDuringScanIsKept() throws Exception {
        // Tens of thousands of absent queues (count 0) make each scan slow, and Chiyoda sorts first, so a scan checks
        // it at its start. The held handler returns, and its worker calls wakeUp(), while a scan that skipped busy
        // Chiyoda is still running. Only that wake-up can hand over the second message before the 60 s poll.
        Map<MunicipalityCode, String> queues = new HashMap<>(uploadQueues());
        for (int fiveDigits = 14_000; fiveDigits < 100_000; fiveDigits++) {
            MunicipalityCode absent = MunicipalityCode.fromFiveDigits(Integer.toString(fiveDigits));
            queues.put(absent, "absent." + absent);
        }
        CountDownLatch release = new CountDownLatch(1);
        drainer = new QueueDrainer("test", broker, queues, recording((code, message) -> {
            if (labelOf(message).equals("held")) {
                release.await(30, TimeUnit.SECONDS);
            }
            return new DrainOutcome.Completed("done");
        }), 2, 60_000);
        send(CHIYODA, List.of("held", "next"));
        drainer.start();
        awaitHandled(CHIYODA, 1);
        // Let the scan that dispatched the first message end, so that the dispatcher waits for the next poll.
        Thread.sleep(500);

        drainer.wakeUp();
        release.countDown();

        await("second message handed over well before the 60 s poll").atMost(Duration.ofSeconds(10))
                .until(() -> handled(CHIYODA).size() == 2);
        awaitQueueEmpty(CHIYODA);
        assertThat(handled(CHIYODA)).containsExactly("held", "next");
    }

    @Test
    void retryLaterKeepsMessageUntilDelayPasses() throws Exception {
        send(CHIYODA, List.of("first"));
        AtomicInteger calls = new AtomicInteger();
        Duration delay = Duration.ofMillis(2000);

        start((code, message) -> calls.incrementAndGet() == 1
                ? new DrainOutcome.RetryLater(delay, "line down")
                : new DrainOutcome.Completed("done"), 1);

        await("first hand-over").atMost(TIMEOUT).until(() -> calls.get() == 1);
        await("message waits out the retry delay in its queue")
                .during(Duration.ofMillis(1000)).atMost(Duration.ofMillis(1500))
                .until(() -> calls.get() == 1 && broker.messageCount(upload(CHIYODA)) == 1);
        awaitHandled(CHIYODA, 2);
        awaitQueueEmpty(CHIYODA);
        List<Long> times = handledAt(CHIYODA);
        assertThat(times.get(1) - times.get(0)).as("ms between hand-overs").isGreaterThanOrEqualTo(delay.toMillis());
        assertThat(handled(CHIYODA)).containsExactly("first", "first");
        assertThat(broker.messageCount(QueueNames.deadLetter(CHIYODA))).isZero();
    }

    @Test
    void retriedMessageStaysFirst() throws Exception {
        send(CHIYODA, List.of("m1", "m2", "m3"));
        AtomicInteger calls = new AtomicInteger();

        start((code, message) -> calls.incrementAndGet() <= 2
                ? new DrainOutcome.RetryLater(Duration.ofMillis(100), "server busy")
                : new DrainOutcome.Completed("done"), 1);

        awaitHandled(CHIYODA, 5);
        awaitQueueEmpty(CHIYODA);
        assertThat(handled(CHIYODA)).containsExactly("m1", "m1", "m1", "m2", "m3");
    }

    @Test
    void retryBeyondMaxDeliveryAttemptsKeepsMessage() throws Exception {
        int retries = broker.settings().maxDeliveryAttempts() + 3;
        send(CHIYODA, List.of("patient"));
        AtomicInteger calls = new AtomicInteger();

        start((code, message) -> calls.incrementAndGet() <= retries
                ? new DrainOutcome.RetryLater(Duration.ofMillis(10), "line down")
                : new DrainOutcome.Completed("done"), 1);

        awaitHandled(CHIYODA, retries + 1);
        awaitQueueEmpty(CHIYODA);
        assertThat(handled(CHIYODA)).hasSize(retries + 1).containsOnly("patient");
        assertThat(broker.messageCount(QueueNames.deadLetter(CHIYODA))).as("dead-letter queue").isZero();
    }

    @Test
    void rejectedMessageMovesToDeadLetterQueue() throws Exception {
        send(CHIYODA, List.of("bad", "good"));

        start((code, message) -> labelOf(message).equals("bad")
                ? new DrainOutcome.Rejected("manifest signature invalid")
                : new DrainOutcome.Completed("done"), 1);

        await("dead-letter queue of " + CHIYODA + " has the rejected message").atMost(TIMEOUT)
                .until(() -> broker.messageCount(QueueNames.deadLetter(CHIYODA)) == 1);
        awaitHandled(CHIYODA, 2);
        awaitQueueEmpty(CHIYODA);
        assertThat(broker.messageCount(upload(CHIYODA))).isZero();
        assertThat(broker.messageCount(QueueNames.deadLetter(CHIYODA))).isEqualTo(1);
        assertThat(broker.messageCount(QueueNames.deadLetter(CHUO))).isZero();
        assertThat(handled(CHIYODA)).containsExactly("bad", "good");
        drainer.close();
        drainer = null;
        assertThat(receiveFromDeadLetterQueue(CHIYODA)).containsExactly("bad", "body of bad");
    }

    @Test
    void rejectedMessageIsNotHandedAgain() throws Exception {
        send(CHIYODA, List.of("bad"));

        start((code, message) -> new DrainOutcome.Rejected("unreadable"), 1);

        await("dead-letter queue of " + CHIYODA + " has the rejected message").atMost(TIMEOUT)
                .until(() -> broker.messageCount(QueueNames.deadLetter(CHIYODA)) == 1);
        await("rejected message is not handed over again").during(Duration.ofMillis(500))
                .atMost(Duration.ofSeconds(2)).until(() -> handled(CHIYODA).size() == 1);
        assertThat(broker.messageCount(upload(CHIYODA))).isZero();
    }

    @Test
    void throwingHandlerLeadsToRetry() throws Exception {
        send(CHIYODA, List.of("fragile", "next"));
        AtomicInteger calls = new AtomicInteger();

        start((code, message) -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("handler failed on purpose");
            }
            return new DrainOutcome.Completed("done");
        }, 1);

        // The drainer waits 5 s after a handler exception.
        await("message handed over again after the handler threw").atMost(Duration.ofSeconds(15))
                .until(() -> handled(CHIYODA).size() == 3);
        awaitQueueEmpty(CHIYODA);
        assertThat(handled(CHIYODA)).containsExactly("fragile", "fragile", "next");
        List<Long> times = handledAt(CHIYODA);
        assertThat(times.get(1) - times.get(0)).as("ms between hand-overs").isGreaterThanOrEqualTo(5000);
        assertThat(broker.messageCount(QueueNames.deadLetter(CHIYODA))).isZero();
    }

    @Test
    void stuckMunicipalityDoesNotBlockOther() throws Exception {
        List<String> chuoLabels = labels("chuo", 20);
        send(CHIYODA, List.of("stuck"));
        send(CHUO, chuoLabels);

        // One worker serves both queues, and the handler returns RetryLater for Chiyoda's message every time.
        start((code, message) -> code.equals(CHIYODA)
                ? new DrainOutcome.RetryLater(Duration.ofMillis(20), "line down")
                : new DrainOutcome.Completed("done"), 1);

        awaitHandled(CHUO, 20);
        awaitQueueEmpty(CHUO);
        assertThat(handled(CHUO)).containsExactlyElementsOf(chuoLabels);
        assertThat(handled(CHIYODA)).as("Chiyoda was tried too").isNotEmpty().containsOnly("stuck");
        assertThat(broker.messageCount(upload(CHIYODA))).as("Chiyoda's message stays queued").isEqualTo(1);
    }

    @Test
    void longRetryDelayDoesNotBlockOther() throws Exception {
        send(CHIYODA, List.of("stuck"));
        send(CHUO, List.of("c1"));

        start((code, message) -> code.equals(CHIYODA)
                ? new DrainOutcome.RetryLater(Duration.ofMinutes(10), "line down")
                : new DrainOutcome.Completed("done"), 1);
        awaitHandled(CHUO, 1);
        send(CHUO, List.of("c2", "c3"));

        awaitHandled(CHUO, 3);
        awaitQueueEmpty(CHUO);
        assertThat(handled(CHUO)).containsExactly("c1", "c2", "c3");
        assertThat(handled(CHIYODA)).containsExactly("stuck");
        assertThat(broker.messageCount(upload(CHIYODA))).isEqualTo(1);
    }

    @Test
    void closeStopsHandingOver() throws Exception {
        start((code, message) -> new DrainOutcome.Completed("done"), 1);
        send(CHIYODA, List.of("before"));
        awaitHandled(CHIYODA, 1);

        drainer.close();
        drainer = null;
        send(CHIYODA, List.of("after"));

        await("no hand-over after close").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> handled(CHIYODA).size() == 1);
        assertThat(broker.messageCount(upload(CHIYODA))).isEqualTo(1);
    }

    @Test
    void messageThatKeepsFailingIsGivenUpAndDoesNotBlockTheQueue() throws Exception {
        List<String> givenUp = new CopyOnWriteArrayList<>();
        QueueDrainer.Handler failingFirst = new QueueDrainer.Handler() {
            @Override
            public DrainOutcome handle(MunicipalityCode code, ClientMessage message) {
                if (labelOf(message).equals("poison")) {
                    throw new IllegalStateException("cannot store this one");
                }
                return new DrainOutcome.Completed("done");
            }

            @Override
            public void gaveUp(MunicipalityCode code, ClientMessage message, String reason) {
                givenUp.add(labelOf(message) + ": " + reason);
            }
        };
        drainer = new QueueDrainer("test", broker, uploadQueues(), recording(failingFirst), 1, POLL_INTERVAL_MILLIS)
                .withMaxHandlerFailures(3)
                .withFailureRetryDelay(Duration.ofMillis(100));
        send(CHIYODA, List.of("poison", "good"));

        drainer.start();

        await("message after the given-up one handled").atMost(TIMEOUT)
                .until(() -> handled(CHIYODA).contains("good"));
        assertThat(handled(CHIYODA)).containsExactly("poison", "poison", "poison", "good");
        assertThat(givenUp).singleElement().asString()
                .startsWith("poison: handling failed 3 times in a row")
                .contains("cannot store this one");
        awaitQueueEmpty(CHIYODA);
        assertThat(broker.messageCount(QueueNames.deadLetter(CHIYODA))).isEqualTo(1);
    }

    @Test
    void ioFailuresAreRetriedBeyondTheLimitAndNeverDeadLettered() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        drainer = new QueueDrainer("test", broker, uploadQueues(), recording((code, message) -> {
            if (attempts.incrementAndGet() <= 5) {
                throw new java.io.IOException("union folder unavailable");
            }
            return new DrainOutcome.Completed("done");
        }), 1, POLL_INTERVAL_MILLIS).withMaxHandlerFailures(2).withFailureRetryDelay(Duration.ofMillis(20));
        send(CHIYODA, List.of("transient"));

        drainer.start();

        awaitQueueEmpty(CHIYODA);
        assertThat(handled(CHIYODA)).containsExactly("transient", "transient", "transient", "transient", "transient",
                "transient");
        assertThat(broker.messageCount(QueueNames.deadLetter(CHIYODA))).isZero();
    }

    private void start(QueueDrainer.Handler handler, int workers) {
        drainer = new QueueDrainer("test", broker, uploadQueues(), recording(handler), workers, POLL_INTERVAL_MILLIS);
        drainer.start();
    }

    private QueueDrainer.Handler recording(QueueDrainer.Handler handler) {
        return new QueueDrainer.Handler() {
            @Override
            public DrainOutcome handle(MunicipalityCode code, ClientMessage message) throws Exception {
                handledAt.computeIfAbsent(code, key -> new CopyOnWriteArrayList<>())
                        .add(System.nanoTime() / 1_000_000);
                handled.computeIfAbsent(code, key -> new CopyOnWriteArrayList<>()).add(labelOf(message));
                return handler.handle(code, message);
            }

            @Override
            public void gaveUp(MunicipalityCode code, ClientMessage message, String reason) throws Exception {
                handler.gaveUp(code, message, reason);
            }
        };
    }

    /** Returns the names of the broker's sessions that have a consumer on the queue. */
    private List<String> sessionsConsuming(String queue) {
        return broker.server().getSessions().stream()
                .filter(session -> session.getServerConsumers().stream()
                        .anyMatch(consumer -> consumer.getQueue().getName().toString().equals(queue)))
                .map(ServerSession::getName)
                .toList();
    }

    private static Map<MunicipalityCode, String> uploadQueues() {
        return Map.of(CHIYODA, upload(CHIYODA), CHUO, upload(CHUO));
    }

    private static String upload(MunicipalityCode code) {
        return QueueNames.upload(code);
    }

    private List<String> handled(MunicipalityCode code) {
        return List.copyOf(handled.getOrDefault(code, List.of()));
    }

    private List<Long> handledAt(MunicipalityCode code) {
        return List.copyOf(handledAt.getOrDefault(code, List.of()));
    }

    private void awaitHandled(MunicipalityCode code, int count) {
        await(count + " messages of " + code + " handed to the handler").atMost(TIMEOUT)
                .until(() -> handled(code).size() >= count);
    }

    private void awaitQueueEmpty(MunicipalityCode code) {
        await("upload queue of " + code + " empty").atMost(TIMEOUT)
                .until(() -> broker.messageCount(upload(code)) == 0);
    }

    private static String labelOf(ClientMessage message) {
        return message.getStringProperty(LABEL);
    }

    private static List<String> labels(String prefix, int count) {
        return IntStream.rangeClosed(1, count).mapToObj(i -> prefix + "-" + i).toList();
    }

    private void send(MunicipalityCode code, List<String> labels) throws Exception {
        try (ClientSession session = broker.openRoutesSession(true);
                ClientProducer producer = session.createProducer(upload(code))) {
            for (String label : labels) {
                ClientMessage message = session.createMessage(true);
                message.putStringProperty(LABEL, label);
                message.getBodyBuffer().writeBytes(("body of " + label).getBytes(StandardCharsets.UTF_8));
                producer.send(message);
            }
            session.commit();
        }
    }

    /** Consumes one message from the dead-letter queue and returns its label and body. */
    private List<String> receiveFromDeadLetterQueue(MunicipalityCode code) throws Exception {
        List<String> labelAndBody = new ArrayList<>();
        try (ClientSession session = broker.openRoutesSession(false)) {
            session.start();
            try (ClientConsumer consumer = session.createConsumer(QueueNames.deadLetter(code))) {
                ClientMessage message = consumer.receive(5000);
                assertThat(message).as("message in the dead-letter queue of " + code).isNotNull();
                labelAndBody.add(labelOf(message));
                try (InputStream body = MessageBodies.open(message)) {
                    labelAndBody.add(new String(body.readAllBytes(), StandardCharsets.UTF_8));
                }
                message.acknowledge();
            }
        }
        return labelAndBody;
    }
}
