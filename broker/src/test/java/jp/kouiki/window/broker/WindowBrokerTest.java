package jp.kouiki.window.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.ActiveMQExceptionType;
import org.apache.activemq.artemis.api.core.ActiveMQNotConnectedException;
import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.client.ClientConsumer;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientProducer;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.spi.core.protocol.RemotingConnection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.Municipality;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;

class WindowBrokerTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");

    @TempDir
    Path dataDirectory;

    private BrokerSettings settings() {
        return BrokerSettings.defaults(dataDirectory, 91, List.of(CHIYODA, CHUO));
    }

    @Test
    void largeBodySurvivesRestartByteForByte() throws Exception {
        byte[] body = new byte[5 * 1024 * 1024 + 17];
        new Random(7).nextBytes(body);
        try (WindowBroker broker = new WindowBroker(settings()).start();
                ClientSession session = broker.openRoutesSession(true);
                ClientProducer producer = session.createProducer(QueueNames.upload(CHIYODA))) {
            ClientMessage message = session.createMessage(true);
            message.setBodyInputStream(new ByteArrayInputStream(body));
            producer.send(message);
            session.commit();
        }

        try (WindowBroker broker = new WindowBroker(settings()).start();
                ClientSession session = broker.openRoutesSession(true)) {
            assertEquals(1, broker.messageCount(QueueNames.upload(CHIYODA)));
            session.start();
            try (ClientConsumer consumer = session.createConsumer(QueueNames.upload(CHIYODA))) {
                ClientMessage received = consumer.receive(5000);
                assertEquals(body.length, MessageBodies.size(received));
                byte[] read;
                try (InputStream in = MessageBodies.open(received)) {
                    read = in.readAllBytes();
                }
                assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(body),
                        MessageDigest.getInstance("SHA-256").digest(read));
                received.acknowledge();
                session.commit();
            }
        }
    }

    @Test
    void streamMatchesWithSlowReader() throws Exception {
        byte[] body = new byte[9 * 1024 * 1024 + 5];
        new Random(13).nextBytes(body);
        try (WindowBroker broker = new WindowBroker(settings()).start();
                ClientSession session = broker.openRoutesSession(true)) {
            send(session, body);
            session.start();
            try (ClientConsumer consumer = session.createConsumer(QueueNames.upload(CHIYODA))) {
                ClientMessage received = consumer.receive(5000);
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                try (InputStream in = MessageBodies.stream(received)) {
                    // Pauses longer than the broker needs to fill the buffer, so that the client waits for the reader.
                    byte[] block = new byte[1024 * 1024];
                    int read;
                    while ((read = in.read(block)) > 0) {
                        digest.update(block, 0, read);
                        Thread.sleep(50);
                    }
                }
                assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(body), digest.digest());
                received.acknowledge();
                session.commit();
            }
            assertEquals(0, broker.messageCount(QueueNames.upload(CHIYODA)));
        }
    }

    @Test
    void earlyCloseKeepsMessageQueued() throws Exception {
        byte[] body = new byte[6 * 1024 * 1024];
        new Random(17).nextBytes(body);
        try (WindowBroker broker = new WindowBroker(settings()).start()) {
            try (ClientSession session = broker.openRoutesSession(true)) {
                send(session, body);
            }
            try (ClientSession session = broker.openRoutesSession(true)) {
                session.start();
                try (ClientConsumer consumer = session.createConsumer(QueueNames.upload(CHIYODA))) {
                    ClientMessage received = consumer.receive(5000);
                    try (InputStream in = MessageBodies.stream(received)) {
                        assertEquals(1024, in.readNBytes(1024).length);
                    }
                    session.rollback();
                }
            }
            try (ClientSession session = broker.openRoutesSession(true)) {
                session.start();
                try (ClientConsumer consumer = session.createConsumer(QueueNames.upload(CHIYODA))) {
                    ClientMessage received = consumer.receive(5000);
                    try (InputStream in = MessageBodies.stream(received)) {
                        assertArrayEquals(body, in.readAllBytes());
                    }
                    received.acknowledge();
                    session.commit();
                }
            }
            assertEquals(0, broker.messageCount(QueueNames.upload(CHIYODA)));
        }
    }

    private static void send(ClientSession session, byte[] body) throws Exception {
        try (ClientProducer producer = session.createProducer(QueueNames.upload(CHIYODA))) {
            ClientMessage message = session.createMessage(true);
            MessageBodies.setBody(message, new ByteArrayInputStream(body));
            producer.send(message);
            session.commit();
        }
    }

    @Test
    void setBodyKeepsSmallBodiesInTheJournal() throws Exception {
        int[] sizes = {0, 1, MessageBodies.INLINE_LIMIT_BYTES, MessageBodies.INLINE_LIMIT_BYTES + 1, 300 * 1024};
        List<byte[]> bodies = new java.util.ArrayList<>();
        try (WindowBroker broker = new WindowBroker(settings()).start();
                ClientSession session = broker.openRoutesSession(true);
                ClientProducer producer = session.createProducer(QueueNames.upload(CHIYODA))) {
            Random random = new Random(11);
            for (int size : sizes) {
                byte[] body = new byte[size];
                random.nextBytes(body);
                bodies.add(body);
                ClientMessage message = session.createMessage(true);
                MessageBodies.setBody(message, new ByteArrayInputStream(body));
                producer.send(message);
            }
            session.commit();
        }
        long largeMessageFiles;
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(dataDirectory.resolve("large-messages"))) {
            largeMessageFiles = files.count();
        }
        assertEquals(2, largeMessageFiles, "bodies above the inline limit get a large message file each");

        try (WindowBroker broker = new WindowBroker(settings()).start();
                ClientSession session = broker.openRoutesSession(true)) {
            session.start();
            try (ClientConsumer consumer = session.createConsumer(QueueNames.upload(CHIYODA))) {
                for (byte[] body : bodies) {
                    ClientMessage received = consumer.receive(5000);
                    assertEquals(body.length, MessageBodies.size(received));
                    try (InputStream in = MessageBodies.open(received)) {
                        assertArrayEquals(body, in.readAllBytes());
                    }
                    received.acknowledge();
                }
                session.commit();
            }
        }
    }

    @Test
    void duplicateIdInTransactionIsRejectedAtCommit() throws Exception {
        try (WindowBroker broker = new WindowBroker(settings()).start();
                ClientSession session = broker.openRoutesSession(true);
                ClientProducer producer = session.createProducer(QueueNames.upload(CHIYODA))) {
            for (int attempt = 0; attempt < 2; attempt++) {
                ClientMessage message = session.createMessage(true);
                message.putStringProperty(Message.HDR_DUPLICATE_DETECTION_ID, "0123456789abcdef0123456789abcdef");
                producer.send(message);
                if (attempt == 0) {
                    session.commit();
                } else {
                    assertThatThrownBy(session::commit)
                            .isInstanceOfSatisfying(ActiveMQException.class,
                                    e -> assertEquals(ActiveMQExceptionType.DUPLICATE_ID_REJECTED, e.getType()));
                }
            }
            assertEquals(1, broker.messageCount(QueueNames.upload(CHIYODA)));
        }
    }

    @Test
    void rejectedLargeDuplicateLeavesNoFile() throws Exception {
        byte[] body = new byte[300 * 1024];
        new Random(7).nextBytes(body);
        try (WindowBroker broker = new WindowBroker(settings()).start();
                ClientSession session = broker.openRoutesSession(true);
                ClientProducer producer = session.createProducer(QueueNames.upload(CHIYODA))) {
            for (int attempt = 0; attempt < 2; attempt++) {
                ClientMessage message = session.createMessage(true);
                message.putStringProperty(Message.HDR_DUPLICATE_DETECTION_ID, "0123456789abcdef0123456789abcdef");
                MessageBodies.setBody(message, new ByteArrayInputStream(body));
                producer.send(message);
                if (attempt == 0) {
                    session.commit();
                } else {
                    assertThatThrownBy(session::commit).isInstanceOf(ActiveMQException.class);
                }
            }
            session.start();
            try (ClientConsumer consumer = session.createConsumer(QueueNames.upload(CHIYODA))) {
                ClientMessage received = consumer.receive(5000);
                try (InputStream in = MessageBodies.open(received)) {
                    assertArrayEquals(body, in.readAllBytes());
                }
                received.acknowledge();
                session.commit();
            }
            Path largeMessages = dataDirectory.resolve("large-messages");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(largeMessages)) {
                    assertThat(files.toList()).as("large message files after the only message was consumed")
                            .isEmpty();
                }
            });
        }
    }

    @Test
    void addedMunicipalityGetsOwnQueues() throws Exception {
        MunicipalityCode minato = MunicipalityCode.of("131032");
        try (WindowBroker broker = new WindowBroker(settings()).start()) {
            broker.addMunicipality(minato);
            broker.addMunicipality(minato);

            try (ClientSession added = broker.openMunicipalitySession(minato, false);
                    ClientProducer producer = added.createProducer(QueueNames.upload(minato))) {
                producer.send(added.createMessage(true));
                await("message of the added municipality counted").atMost(java.time.Duration.ofSeconds(5))
                        .until(() -> broker.messageCount(QueueNames.upload(minato)) == 1);
                assertThatThrownBy(() -> added.createConsumer(QueueNames.upload(CHIYODA)))
                        .isInstanceOf(ActiveMQException.class);
            }
            try (ClientSession other = broker.openMunicipalitySession(CHIYODA, false)) {
                assertThatThrownBy(() -> other.createConsumer(QueueNames.upload(minato)))
                        .isInstanceOf(ActiveMQException.class);
            }
            assertThat(broker.server().locateQueue(QueueNames.deadLetter(minato))).isNotNull();
        }
    }

    @Test
    void municipalityUserReachesOnlyItsOwnQueues() throws Exception {
        try (WindowBroker broker = new WindowBroker(settings()).start();
                ClientSession own = broker.openMunicipalitySession(CHIYODA, false)) {
            try (ClientProducer producer = own.createProducer(QueueNames.upload(CHIYODA))) {
                producer.send(own.createMessage(true));
            }
            await("own message counted in the queue").atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> broker.messageCount(QueueNames.upload(CHIYODA)) == 1);

            assertThatThrownBy(() -> {
                try (ClientProducer producer = own.createProducer(QueueNames.upload(CHUO))) {
                    producer.send(own.createMessage(true));
                }
            }).isInstanceOf(ActiveMQException.class);
            assertThatThrownBy(() -> own.createConsumer(QueueNames.upload(CHUO)))
                    .isInstanceOf(ActiveMQException.class);
            assertThat(broker.messageCount(QueueNames.upload(CHUO))).isZero();
        }
    }

    @Test
    void brokerHeapGrowsLittlePerMunicipality() throws Exception {
        List<MunicipalityCode> members = MunicipalityDirectory.bundled().members().stream()
                .map(Municipality::code)
                .toList();
        long tokyoMib = retainedHeapMib(members.stream().filter(code -> code.value().startsWith("13")).toList(), 93);
        long allMib = retainedHeapMib(members, 94);

        long perMunicipalityKib = ((allMib - tokyoMib) << 10) / (members.size() - 62);
        System.out.printf("broker heap after GC: Tokyo %d MiB, all %d MiB, %d KiB per municipality%n", tokyoMib,
                allMib, perMunicipalityKib);
        // Measured on JDK 17 with Artemis 2.54: 54 KiB, and 150 KiB with Artemis's default queue buffer of 8,192
        // references, when 1,741 municipalities did not fit a 256 MiB central server.
        assertThat(perMunicipalityKib).as("heap retained per municipality, KiB").isLessThan(100);
    }

    @Test
    void duplicateIdCachesStaySmallPerAddress() throws Exception {
        List<MunicipalityCode> members = MunicipalityDirectory.bundled().members().stream()
                .map(Municipality::code)
                .limit(300)
                .toList();
        try (WindowBroker broker = new WindowBroker(BrokerSettings.defaults(dataDirectory, 95, members)).start();
                ClientSession session = broker.openRoutesSession(true)) {
            long before = heapAfterGcMib();
            for (MunicipalityCode code : members) {
                try (ClientProducer producer = session.createProducer(QueueNames.upload(code))) {
                    ClientMessage message = session.createMessage(true);
                    message.putStringProperty(Message.HDR_DUPLICATE_DETECTION_ID, "file-of-" + code);
                    producer.send(message);
                }
            }
            session.commit();
            long grownKib = (heapAfterGcMib() - before) << 10;

            System.out.printf("broker heap after one message with a duplicate id to each of %d addresses: %d KiB%n",
                    members.size(), grownKib);
            // Artemis allocates an address's id list at its first id. Measured on JDK 17 with Artemis 2.54: 37 KiB per
            // address with 2,000 ids, 232 KiB with 50,000.
            assertThat(grownKib / members.size()).as("heap per address after its first message, KiB").isLessThan(60);
            assertThat(broker.messageCount(QueueNames.upload(members.get(299)))).isEqualTo(1);
        }
    }

    @Test
    void slowBodyReaderBlocksOnlyItsConnection() throws Exception {
        byte[] body = new byte[8 * 1024 * 1024];
        new Random(11).nextBytes(body);
        ExecutorService worker = Executors.newSingleThreadExecutor();
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (WindowBroker broker = new WindowBroker(settings()).start()) {
            try (ClientSession session = broker.openRoutesSession(true);
                    ClientProducer producer = session.createProducer(QueueNames.upload(CHIYODA))) {
                ClientMessage message = session.createMessage(true);
                message.setBodyInputStream(new ByteArrayInputStream(body));
                producer.send(message);
                session.commit();
            }
            Future<byte[]> slow = worker.submit(() -> {
                try (ClientSession session = broker.openRoutesSessionOnOwnConnection(true);
                        ClientConsumer consumer = session.createConsumer(QueueNames.upload(CHIYODA))) {
                    session.start();
                    ClientMessage message = consumer.receive(10_000);
                    try (InputStream in = MessageBodies.stream(message)) {
                        byte[] first = in.readNBytes(1);
                        reading.countDown();
                        release.await(60, TimeUnit.SECONDS);
                        byte[] rest = in.readAllBytes();
                        session.rollback();
                        byte[] whole = Arrays.copyOf(first, 1 + rest.length);
                        System.arraycopy(rest, 0, whole, 1, rest.length);
                        return whole;
                    }
                }
            });
            assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
            // The broker client's thread of the reader's connection fills the body buffer and waits for the reader.
            Thread.sleep(1000);

            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                try (ClientSession other = broker.openRoutesSession(true);
                        ClientProducer producer = other.createProducer(QueueNames.upload(CHUO))) {
                    producer.send(other.createMessage(true));
                    other.commit();
                }
            }, "a session on the shared connection while another connection's reader waits");

            release.countDown();
            assertArrayEquals(body, slow.get(60, TimeUnit.SECONDS));
            assertEquals(1, broker.messageCount(QueueNames.upload(CHUO)));
        } finally {
            release.countDown();
            worker.shutdownNow();
        }
    }

    @Test
    void manySlowBodyReadersHoldNoOtherSession() throws Exception {
        // More readers than the broker client's default global thread pool has threads (8 per core), up to 8 cores.
        int readers = 8 * Math.min(Runtime.getRuntime().availableProcessors(), 8) + 4;
        List<MunicipalityCode> codes = MunicipalityDirectory.bundled().members().stream()
                .map(Municipality::code)
                .limit(readers + 1)
                .toList();
        byte[] body = new byte[3 * 1024 * 1024];
        new Random(13).nextBytes(body);
        ExecutorService workers = Executors.newFixedThreadPool(readers);
        CountDownLatch reading = new CountDownLatch(readers);
        CountDownLatch release = new CountDownLatch(1);
        try (WindowBroker broker = new WindowBroker(BrokerSettings.defaults(dataDirectory, 92, codes)).start()) {
            try (ClientSession session = broker.openRoutesSession(true)) {
                for (MunicipalityCode code : codes.subList(0, readers)) {
                    try (ClientProducer producer = session.createProducer(QueueNames.upload(code))) {
                        ClientMessage message = session.createMessage(true);
                        message.setBodyInputStream(new ByteArrayInputStream(body));
                        producer.send(message);
                    }
                }
                session.commit();
            }
            List<Future<Long>> slow = new java.util.ArrayList<>();
            for (MunicipalityCode code : codes.subList(0, readers)) {
                slow.add(workers.submit(() -> {
                    try (ClientSession session = broker.openRoutesSessionOnOwnConnection(true);
                            ClientConsumer consumer = session.createConsumer(QueueNames.upload(code))) {
                        session.start();
                        ClientMessage message = consumer.receive(10_000);
                        try (InputStream in = MessageBodies.stream(message)) {
                            long first = in.readNBytes(1).length;
                            reading.countDown();
                            release.await(60, TimeUnit.SECONDS);
                            long rest = in.transferTo(java.io.OutputStream.nullOutputStream());
                            session.rollback();
                            return first + rest;
                        }
                    }
                }));
            }
            assertThat(reading.await(30, TimeUnit.SECONDS)).as("every reader started").isTrue();
            Thread.sleep(1000);

            MunicipalityCode last = codes.get(readers);
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                try (ClientSession other = broker.openRoutesSession(true);
                        ClientProducer producer = other.createProducer(QueueNames.upload(last))) {
                    producer.send(other.createMessage(true));
                    other.commit();
                }
            }, "a session on the shared connection while " + readers + " readers wait");

            release.countDown();
            for (Future<Long> reader : slow) {
                assertEquals(body.length, reader.get(60, TimeUnit.SECONDS));
            }
        } finally {
            release.countDown();
            workers.shutdownNow();
        }
    }

    private long retainedHeapMib(List<MunicipalityCode> codes, int inVmId) throws Exception {
        long before = heapAfterGcMib();
        try (WindowBroker broker = new WindowBroker(BrokerSettings.defaults(dataDirectory.resolve("heap-" + inVmId),
                inVmId, codes)).start()) {
            return heapAfterGcMib() - before;
        }
    }

    private static long heapAfterGcMib() {
        System.gc();
        return java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20;
    }

    @Test
    void everyMemberGetsItsOwnSettingsAndRole() throws Exception {
        List<MunicipalityCode> members = MunicipalityDirectory.bundled().members().stream()
                .map(Municipality::code)
                .toList();
        MunicipalityCode first = members.get(0);
        MunicipalityCode last = members.get(members.size() - 1);

        try (WindowBroker broker = new WindowBroker(BrokerSettings.defaults(dataDirectory, 92, members)).start();
                ClientSession own = broker.openMunicipalitySession(last, false)) {
            for (MunicipalityCode code : List.of(first, last)) {
                for (String address : QueueNames.addresses(code)) {
                    assertThat(broker.server().getAddressSettingsRepository().getMatch(address)
                            .getDeadLetterAddress().toString())
                            .as("dead-letter address of " + address)
                            .isEqualTo(QueueNames.deadLetter(code));
                }
            }
            try (ClientProducer producer = own.createProducer(QueueNames.upload(last))) {
                producer.send(own.createMessage(true));
            }
            await("own message counted in the queue").atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> broker.messageCount(QueueNames.upload(last)) == 1);
            assertThatThrownBy(() -> {
                try (ClientProducer producer = own.createProducer(QueueNames.upload(first))) {
                    producer.send(own.createMessage(true));
                }
            }).isInstanceOf(ActiveMQException.class);
            assertThat(members).hasSize(1741);
        }
    }

    @Test
    void sessionsWorkAgainAfterConnectionFailure() throws Exception {
        try (WindowBroker broker = new WindowBroker(settings()).start()) {
            for (RemotingConnection connection : broker.server().getRemotingService().getConnections()) {
                connection.fail(new ActiveMQNotConnectedException("connection failed in a test"));
            }

            await("a session that can send again").atMost(java.time.Duration.ofSeconds(10))
                    .ignoreExceptions()
                    .until(() -> {
                        try (ClientSession session = broker.openRoutesSession(false);
                                ClientProducer producer = session.createProducer(QueueNames.upload(CHIYODA))) {
                            producer.send(session.createMessage(true));
                            return true;
                        }
                    });
            assertThat(broker.messageCount(QueueNames.upload(CHIYODA))).isEqualTo(1);
        }
    }

    @Test
    void operatorMayBrowseButNotSendOrConsume() throws Exception {
        try (WindowBroker broker = new WindowBroker(settings()).start();
                ClientSession routes = broker.openRoutesSession(false);
                ClientProducer producer = routes.createProducer(QueueNames.upload(CHIYODA));
                ClientSession operator = broker.openOperatorSession()) {
            producer.send(routes.createMessage(true));
            operator.start();

            try (ClientConsumer browser = operator.createConsumer(QueueNames.upload(CHIYODA), true)) {
                assertThat(browser.receive(5000)).isNotNull();
            }
            assertThatThrownBy(() -> operator.createConsumer(QueueNames.upload(CHIYODA)))
                    .isInstanceOf(ActiveMQException.class);
            assertThatThrownBy(() -> {
                try (ClientProducer operatorProducer = operator.createProducer(QueueNames.upload(CHIYODA))) {
                    operatorProducer.send(operator.createMessage(true));
                }
            }).isInstanceOf(ActiveMQException.class);
            assertEquals(1, broker.messageCount(QueueNames.upload(CHIYODA)));
        }
    }

    @Test
    void guestAndWrongPasswordAreRefused() throws Exception {
        try (WindowBroker broker = new WindowBroker(settings()).start()) {
            assertThatThrownBy(() -> broker.openSession(null, null).close()).isInstanceOf(ActiveMQException.class);
            assertThatThrownBy(() -> broker.openSession(QueueNames.municipalityUser(CHIYODA), "guess").close())
                    .isInstanceOf(ActiveMQException.class);
        }
    }
}
