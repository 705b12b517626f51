package jp.kouiki.window.central;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.BrokerSettings;
import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.municipality.MunicipalityCode;

/** Reuse of the municipalities' broker sessions that queue uploads. */
class QueueSendersTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");

    @TempDir
    Path dataDirectory;

    private WindowBroker broker;
    private QueueSenders senders;

    @BeforeEach
    void startBroker() throws Exception {
        broker = new WindowBroker(BrokerSettings.defaults(dataDirectory, 94, List.of(CHIYODA, CHUO))).start();
        senders = new QueueSenders(broker);
    }

    @AfterEach
    void stopBroker() throws Exception {
        senders.close();
        broker.close();
    }

    @Test
    void committedSessionIsReused() throws Exception {
        QueueSenders.Sender first = senders.take(CHIYODA);
        send(first, CHIYODA, "first");
        senders.keep(first);

        QueueSenders.Sender second = senders.take(CHIYODA);
        send(second, CHIYODA, "second");

        assertThat(second.session()).isSameAs(first.session());
        awaitMessages(CHIYODA, 2);
        senders.discard(second);
    }

    @Test
    void sessionsStayPerMunicipality() throws Exception {
        QueueSenders.Sender chiyoda = senders.take(CHIYODA);
        senders.keep(chiyoda);

        QueueSenders.Sender chuo = senders.take(CHUO);
        send(chuo, CHUO, "chuo");

        assertThat(chuo.session()).isNotSameAs(chiyoda.session());
        awaitMessages(CHUO, 1);
        senders.discard(chuo);
    }

    @Test
    void discardedSessionIsClosedAndReplaced() throws Exception {
        QueueSenders.Sender failed = senders.take(CHIYODA);
        senders.discard(failed);

        QueueSenders.Sender next = senders.take(CHIYODA);

        assertThat(failed.session().isClosed()).isTrue();
        assertThat(next.session()).isNotSameAs(failed.session());
        senders.discard(next);
    }

    @Test
    void closedSessionIsNotReused() throws Exception {
        QueueSenders.Sender idle = senders.take(CHIYODA);
        senders.keep(idle);
        idle.session().close();

        QueueSenders.Sender next = senders.take(CHIYODA);
        send(next, CHIYODA, "after close");

        assertThat(next.session()).isNotSameAs(idle.session());
        awaitMessages(CHIYODA, 1);
        senders.discard(next);
    }

    @Test
    void idleSessionsAreBounded() throws Exception {
        List<QueueSenders.Sender> taken = new ArrayList<>();
        for (int i = 0; i < QueueSenders.MAX_IDLE + 4; i++) {
            taken.add(senders.take(CHIYODA));
        }
        taken.forEach(senders::keep);

        long open = taken.stream().filter(sender -> !sender.session().isClosed()).count();

        assertThat(open).isEqualTo(QueueSenders.MAX_IDLE);
    }

    @Test
    void closeEndsIdleSessions() throws Exception {
        QueueSenders.Sender idle = senders.take(CHIYODA);
        senders.keep(idle);

        senders.close();

        assertThat(idle.session().isClosed()).isTrue();
    }

    /** Waits for the count, because the broker's message count can lag a commit by a moment. */
    private void awaitMessages(MunicipalityCode code, int count) {
        await("messages in the upload queue of " + code).atMost(Duration.ofSeconds(5))
                .until(() -> broker.messageCount(QueueNames.upload(code)) == count);
    }

    private static void send(QueueSenders.Sender sender, MunicipalityCode code, String text) throws Exception {
        ClientMessage message = sender.session().createMessage(true);
        message.getBodyBuffer().writeString(text);
        sender.producer().send(QueueNames.upload(code), message);
        sender.session().commit();
    }
}
