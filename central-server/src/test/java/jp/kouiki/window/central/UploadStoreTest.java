package jp.kouiki.window.central;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.apache.activemq.artemis.api.core.client.ClientConsumer;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.BrokerSettings;
import jp.kouiki.window.broker.MessageBodies;
import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.FileManifest;

/** Chunks into the staging folder, the synced offset, and the queue copy during and after an upload. */
class UploadStoreTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final int CHUNK = 3 * 1024 * 1024;
    /** Artemis's default minimum large message size, the size of each body packet. */
    private static final int PACKET = 100 * 1024;

    @TempDir
    Path dataDirectory;

    private WindowBroker broker;
    private UploadStore store;

    @BeforeEach
    void startBroker() throws Exception {
        broker = new WindowBroker(BrokerSettings.defaults(dataDirectory.resolve("broker"), 93, List.of(CHIYODA)))
                .start();
    }

    @AfterEach
    void stopBroker() throws Exception {
        if (store != null) {
            store.close();
        }
        broker.close();
    }

    private UploadStore store(long syncIntervalBytes, long feedIdleMillis) {
        store = new UploadStore(dataDirectory, broker, () -> { }, new SubmissionIndex(dataDirectory.resolve("ledger"),
                Duration.ofHours(1)), new DeliveryLedger(dataDirectory.resolve("ledger")), syncIntervalBytes,
                feedIdleMillis);
        return store;
    }

    @Test
    void largeUploadCopiedWhileChunksArrive() throws Exception {
        UploadStore uploads = store(UploadStore.SYNC_INTERVAL_BYTES, UploadStore.FEED_IDLE_MILLIS);
        byte[] ciphertext = random(3 * CHUNK + 12_345, 1);
        FileManifest manifest = announce(uploads, "0123456789abcdef0123456789abcdef", ciphertext.length);

        send(uploads, manifest, ciphertext, 0, CHUNK, false);
        assertThat(uploads.isCopying(CHIYODA, manifest.fileId())).isTrue();
        send(uploads, manifest, ciphertext, CHUNK, 2 * CHUNK, false);
        // The broker writes the copy into a large-message file of its own before anything is committed. The broker
        // client holds back the last packet it has not filled yet.
        await().atMost(Duration.ofSeconds(20)).until(() -> largeMessageBytes() >= 2L * CHUNK - PACKET);
        assertThat(broker.messageCount(QueueNames.upload(CHIYODA))).isZero();

        send(uploads, manifest, ciphertext, 2 * CHUNK, 3 * CHUNK, false);
        UploadStore.Progress done = send(uploads, manifest, ciphertext, 3 * CHUNK, ciphertext.length, true);

        assertThat(done.stored()).isTrue();
        assertThat(queuedBody(manifest.fileId())).isEqualTo(ciphertext);
    }

    @Test
    void idleCopyDroppedAndNotStartedAgain() throws Exception {
        UploadStore uploads = store(UploadStore.SYNC_INTERVAL_BYTES, 300);
        byte[] ciphertext = random(2 * CHUNK + 99, 2);
        FileManifest manifest = announce(uploads, "1123456789abcdef0123456789abcdef", ciphertext.length);

        send(uploads, manifest, ciphertext, 0, CHUNK, false);
        await().atMost(Duration.ofSeconds(20)).until(() -> largeMessageBytes() >= CHUNK - PACKET);
        // Past the idle limit the copy gives up, and its uncommitted large-message file goes with it.
        await().atMost(Duration.ofSeconds(20)).until(() -> largeMessageBytes() == 0);

        // No second copy starts: on a slow line each one would copy the staged file again from its start.
        send(uploads, manifest, ciphertext, CHUNK, 2 * CHUNK, false);
        assertThat(uploads.isCopying(CHIYODA, manifest.fileId())).isFalse();
        UploadStore.Progress done = send(uploads, manifest, ciphertext, 2 * CHUNK, ciphertext.length, true);

        assertThat(done.stored()).isTrue();
        assertThat(queuedBody(manifest.fileId())).isEqualTo(ciphertext);
        assertThat(broker.messageCount(QueueNames.upload(CHIYODA))).isZero();
    }

    @Test
    void activationCutsBackToSyncedChunk() throws Exception {
        UploadStore uploads = store(2L * CHUNK, UploadStore.FEED_IDLE_MILLIS);
        byte[] ciphertext = random(4 * CHUNK, 3);
        FileManifest manifest = announce(uploads, "2123456789abcdef0123456789abcdef", ciphertext.length);

        send(uploads, manifest, ciphertext, 0, CHUNK, false);
        send(uploads, manifest, ciphertext, CHUNK, 2 * CHUNK, false);
        send(uploads, manifest, ciphertext, 2 * CHUNK, 3 * CHUNK, false);
        assertThat(uploads.progress(CHIYODA, manifest.fileId()).offset()).isEqualTo(3L * CHUNK);
        uploads.close();

        // The next active node (or this one after a restart) starts from the second chunk's end, which was synced.
        UploadStore next = store(2L * CHUNK, UploadStore.FEED_IDLE_MILLIS);
        assertThat(next.cutBackToSyncedOffsets()).isEqualTo(1);
        assertThat(next.progress(CHIYODA, manifest.fileId()).offset()).isEqualTo(2L * CHUNK);
        assertThat(next.cutBackToSyncedOffsets()).isZero();

        send(next, manifest, ciphertext, 2 * CHUNK, 3 * CHUNK, false);
        UploadStore.Progress done = send(next, manifest, ciphertext, 3 * CHUNK, ciphertext.length, true);
        assertThat(done.stored()).isTrue();
        assertThat(queuedBody(manifest.fileId())).isEqualTo(ciphertext);
    }

    @Test
    void unsyncedUploadRestartsFromZero() throws Exception {
        UploadStore uploads = store(UploadStore.SYNC_INTERVAL_BYTES, UploadStore.FEED_IDLE_MILLIS);
        byte[] ciphertext = random(3 * CHUNK, 4);
        FileManifest manifest = announce(uploads, "3123456789abcdef0123456789abcdef", ciphertext.length);
        send(uploads, manifest, ciphertext, 0, CHUNK, false);
        uploads.close();

        UploadStore next = store(UploadStore.SYNC_INTERVAL_BYTES, UploadStore.FEED_IDLE_MILLIS);
        assertThat(next.cutBackToSyncedOffsets()).isEqualTo(1);
        assertThat(next.progress(CHIYODA, manifest.fileId()).offset()).isZero();
    }

    @Test
    void activationDeletesLeftOverFolders() throws Exception {
        UploadStore uploads = store(UploadStore.SYNC_INTERVAL_BYTES, UploadStore.FEED_IDLE_MILLIS);
        byte[] ciphertext = random(CHUNK, 5);
        FileManifest stored = announce(uploads, "4123456789abcdef0123456789abcdef", ciphertext.length);
        send(uploads, stored, ciphertext, 0, CHUNK, true);
        FileManifest partial = announce(uploads, "5123456789abcdef0123456789abcdef", ciphertext.length);
        uploads.close();
        Path folder = dataDirectory.resolve("uploads").resolve(CHIYODA.value());
        // What a kill leaves: a stored file's folder emptied halfway, an emptied folder, an unfinished announce.
        Files.createDirectories(folder.resolve(stored.fileId()));
        Files.createDirectories(folder.resolve("6123456789abcdef0123456789abcdef"));
        Files.createDirectories(folder.resolve(".7123456789abcdef0123456789abcdef.new"));
        Files.writeString(folder.resolve(".7123456789abcdef0123456789abcdef.new").resolve("manifest.json"), "{}");

        UploadStore next = store(UploadStore.SYNC_INTERVAL_BYTES, UploadStore.FEED_IDLE_MILLIS);
        next.cutBackToSyncedOffsets();

        try (Stream<Path> left = Files.list(folder)) {
            assertThat(left.map(path -> path.getFileName().toString())).containsExactly(partial.fileId());
        }
        assertThat(next.progress(CHIYODA, partial.fileId()).offset()).isZero();
        assertThat(next.progress(CHIYODA, stored.fileId()).stored()).isTrue();
    }

    @Test
    void secondAnnounceWithAnotherManifestIsRejected() throws Exception {
        UploadStore uploads = store(UploadStore.SYNC_INTERVAL_BYTES, UploadStore.FEED_IDLE_MILLIS);
        FileManifest first = announce(uploads, "8123456789abcdef0123456789abcdef", 1000);
        FileManifest other = new FileManifest(first.fileId(), CHIYODA.value(), "131016_POSTAL_20261205_x.csv", 2000,
                "1".repeat(64), "POSTAL", first.pickedUpAt());

        assertThat(uploads.announce(first, first.toJson(), "signature", false).offset()).as("offset on a resume")
                .isZero();
        assertThatThrownBy(() -> uploads.announce(other, other.toJson(), "signature", false))
                .isInstanceOf(WindowHttpException.class)
                .hasMessageContaining("was announced with another manifest");
    }

    @Test
    void wholeSmallFileQueuedOnce() throws Exception {
        UploadStore uploads = store(UploadStore.SYNC_INTERVAL_BYTES, UploadStore.FEED_IDLE_MILLIS);
        byte[] ciphertext = random(4_200, 7);
        FileManifest manifest = manifest("a123456789abcdef0123456789abcdef", ciphertext.length, "a".repeat(64));

        UploadStore.Progress first = sendWhole(uploads, manifest, ciphertext, false);
        UploadStore.Progress repeated = sendWhole(uploads, manifest, ciphertext, false);

        assertThat(first.stored()).isTrue();
        assertThat(first.offset()).isEqualTo(ciphertext.length);
        assertThat(repeated.stored()).isTrue();
        assertThat(uploads.progress(CHIYODA, manifest.fileId()).stored()).isTrue();
        assertThat(broker.messageCount(QueueNames.upload(CHIYODA))).isEqualTo(1);
        assertThat(queuedBody(manifest.fileId())).isEqualTo(ciphertext);
    }

    @Test
    void wholeFileCompletesPartialUpload() throws Exception {
        UploadStore uploads = store(UploadStore.SYNC_INTERVAL_BYTES, UploadStore.FEED_IDLE_MILLIS);
        byte[] ciphertext = random(5_000, 8);
        FileManifest manifest = announce(uploads, "b123456789abcdef0123456789abcdef", ciphertext.length);
        send(uploads, manifest, ciphertext, 0, 1_000, false);

        UploadStore.Progress done = sendWhole(uploads, manifest, ciphertext, false);

        assertThat(done.stored()).isTrue();
        assertThat(queuedBody(manifest.fileId())).isEqualTo(ciphertext);
    }

    @Test
    void repeatedBytesHeldUntilConfirmed() throws Exception {
        UploadStore uploads = store(UploadStore.SYNC_INTERVAL_BYTES, UploadStore.FEED_IDLE_MILLIS);
        byte[] ciphertext = random(3_000, 9);
        FileManifest first = manifest("c123456789abcdef0123456789abcdef", ciphertext.length, "c".repeat(64));
        FileManifest again = new FileManifest("d123456789abcdef0123456789abcdef", CHIYODA.value(),
                first.fileName(), first.size(), first.sha256(), "POSTAL", first.pickedUpAt());
        sendWhole(uploads, first, ciphertext, false);

        assertThatThrownBy(() -> sendWhole(uploads, again, ciphertext, false))
                .isInstanceOfSatisfying(WindowHttpException.class, e -> assertThat(e.status()).isEqualTo(409))
                .hasMessageContaining("possible duplicate");
        assertThat(broker.messageCount(QueueNames.upload(CHIYODA))).isEqualTo(1);
        assertThat(sendWhole(uploads, again, ciphertext, true).stored()).isTrue();
        assertThat(broker.messageCount(QueueNames.upload(CHIYODA))).isEqualTo(2);
    }

    @Test
    void cutOffWholeFileKeepsNothing() throws Exception {
        UploadStore uploads = store(UploadStore.SYNC_INTERVAL_BYTES, UploadStore.FEED_IDLE_MILLIS);
        byte[] ciphertext = random(6_000, 10);
        FileManifest manifest = manifest("e123456789abcdef0123456789abcdef", ciphertext.length, "e".repeat(64));
        InputStream cutOff = new java.io.SequenceInputStream(new ByteArrayInputStream(ciphertext, 0, 2_000),
                new InputStream() {
                    @Override
                    public int read() throws java.io.IOException {
                        throw new java.io.EOFException("line broke");
                    }
                });

        assertThatThrownBy(() -> uploads.receiveWhole(manifest, manifest.toJson(), "signature", false,
                ciphertext.length, cutOff))
                .isInstanceOfSatisfying(WindowHttpException.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessageContaining("ended early");
        assertThat(uploads.progress(CHIYODA, manifest.fileId())).isNull();
        assertThat(broker.messageCount(QueueNames.upload(CHIYODA))).isZero();
        assertThat(sendWhole(uploads, manifest, ciphertext, false).stored()).isTrue();
        assertThat(queuedBody(manifest.fileId())).isEqualTo(ciphertext);
    }

    @Test
    void bodyLongerThanItsRangeIsRejected() throws Exception {
        UploadStore uploads = store(UploadStore.SYNC_INTERVAL_BYTES, UploadStore.FEED_IDLE_MILLIS);
        byte[] ciphertext = random(5_000, 11);
        byte[] longer = java.util.Arrays.copyOf(ciphertext, ciphertext.length + 10);
        FileManifest whole = manifest("a023456789abcdef0123456789abcdef", ciphertext.length, "b".repeat(64));
        FileManifest chunked = announce(uploads, "b023456789abcdef0123456789abcdef", ciphertext.length);

        assertThatThrownBy(() -> uploads.receiveWhole(whole, whole.toJson(), "signature", false, ciphertext.length,
                new ByteArrayInputStream(longer)))
                .isInstanceOfSatisfying(WindowHttpException.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessageContaining("longer than the 5000 bytes");
        assertThatThrownBy(() -> uploads.receive(CHIYODA, chunked.fileId(), 0, 1_000, -1,
                new ByteArrayInputStream(longer, 0, 1_010)))
                .isInstanceOfSatisfying(WindowHttpException.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessageContaining("longer than the 1000 bytes");
        assertThat(uploads.progress(CHIYODA, chunked.fileId()).offset()).as("offset after the rejected chunk").isZero();
        assertThat(broker.messageCount(QueueNames.upload(CHIYODA))).isZero();
    }

    private static FileManifest manifest(String fileId, long ciphertextBytes, String sha256) {
        return new FileManifest(fileId, CHIYODA.value(), "131016_POSTAL_20261205_" + fileId.charAt(0) + ".csv",
                plaintextBytes(ciphertextBytes), sha256, "POSTAL", "2026-12-05T09:00:00+09:00");
    }

    /** Returns a plaintext size whose ciphertext bounds admit the given size: the tests send random bytes. */
    private static long plaintextBytes(long ciphertextBytes) {
        return ciphertextBytes - 50;
    }

    private static UploadStore.Progress sendWhole(UploadStore uploads, FileManifest manifest, byte[] ciphertext,
            boolean confirmed) throws Exception {
        return uploads.receiveWhole(manifest, manifest.toJson(), "signature", confirmed, ciphertext.length,
                new ByteArrayInputStream(ciphertext));
    }

    @Test
    void ciphertextShorterThanThePlaintextIsRejected() throws Exception {
        UploadStore uploads = store(UploadStore.SYNC_INTERVAL_BYTES, UploadStore.FEED_IDLE_MILLIS);
        FileManifest manifest = announce(uploads, "f123456789abcdef0123456789abcdef", 5_000);

        assertThatThrownBy(() -> uploads.receive(CHIYODA, manifest.fileId(), 0, 0, 0, InputStream.nullInputStream()))
                .isInstanceOfSatisfying(WindowHttpException.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessageContaining("ciphertext total of 0 bytes is shorter");
        assertThatThrownBy(() -> sendWhole(uploads, manifest(manifest.fileId().replace('f', '9'), 5_000, "9".repeat(64)),
                new byte[100], false))
                .isInstanceOfSatisfying(WindowHttpException.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessageContaining("ciphertext total of 100 bytes is shorter");
        assertThat(broker.messageCount(QueueNames.upload(CHIYODA))).isZero();
    }

    private static FileManifest announce(UploadStore uploads, String fileId, long ciphertextBytes) throws Exception {
        String fileName = "131016_POSTAL_20261205_" + fileId.charAt(0) + ".csv";
        FileManifest manifest = new FileManifest(fileId, CHIYODA.value(), fileName, plaintextBytes(ciphertextBytes),
                "0".repeat(64), "POSTAL", "2026-12-05T09:00:00+09:00");
        assertThat(uploads.announce(manifest, manifest.toJson(), "signature", false).offset()).isZero();
        return manifest;
    }

    private static UploadStore.Progress send(UploadStore uploads, FileManifest manifest, byte[] ciphertext, int from,
            int to, boolean last) throws Exception {
        InputStream body = new ByteArrayInputStream(ciphertext, from, to - from);
        return uploads.receive(CHIYODA, manifest.fileId(), from, to - from, last ? ciphertext.length : -1, body);
    }

    private long largeMessageBytes() throws Exception {
        Path folder = dataDirectory.resolve("broker").resolve("large-messages");
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(Files::isRegularFile).mapToLong(file -> file.toFile().length()).sum();
        }
    }

    private byte[] queuedBody(String fileId) throws Exception {
        try (ClientSession session = broker.openRoutesSession(false);
                ClientConsumer consumer = session.createConsumer(QueueNames.upload(CHIYODA))) {
            session.start();
            ClientMessage message = consumer.receive(10_000);
            assertThat(message).isNotNull();
            assertThat(message.getStringProperty(UploadStore.FILE_ID)).isEqualTo(fileId);
            byte[] body;
            try (InputStream in = MessageBodies.open(message)) {
                body = in.readAllBytes();
            }
            message.acknowledge();
            session.commit();
            return body;
        }
    }

    private static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
