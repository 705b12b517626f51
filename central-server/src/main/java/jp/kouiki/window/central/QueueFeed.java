package jp.kouiki.window.central;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientProducer;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Copies a partial upload's staged ciphertext into the municipality's upload queue while its chunks still arrive, so
 * that the copy of a large file is nearly done when its last chunk lands, instead of starting then.
 *
 * <p>The feed sends one large message in a transacted session opened as the municipality's broker user. Its body
 * reads the staged file up to the end of the last confirmed chunk and waits there for the next one. The request that
 * brings the last chunk calls {@link #finish}, runs its checks and then either {@link #commit}s or
 * {@link #rollBack}s. Until the commit nothing is visible in the queue, so a feed that fails, stalls longer than its
 * idle limit or is aborted leaves nothing behind, and the upload falls back to copying the staged file after its last
 * chunk. The staged file stays the record of what was received, so resuming works as without a feed.
 */
final class QueueFeed implements Runnable {

    /** Decision the feed's thread waits for once the body is sent. */
    private enum Decision { COMMIT, ROLL_BACK }

    private static final Logger LOG = LoggerFactory.getLogger(QueueFeed.class);

    private final WindowBroker broker;
    private final MunicipalityCode code;
    private final String fileId;
    private final byte[] manifestJson;
    private final String signature;
    private final Path ciphertext;
    private final long idleLimitNanos;
    private final Consumer<QueueFeed> onEnd;

    private final Object lock = new Object();
    private long confirmed;
    private long end = -1;
    private IOException abortCause;
    private long lastGrowthNanos = System.nanoTime();

    private final CompletableFuture<Long> bodySent = new CompletableFuture<>();
    private final CompletableFuture<Decision> decision = new CompletableFuture<>();
    private final CompletableFuture<Void> outcome = new CompletableFuture<>();

    QueueFeed(WindowBroker broker, MunicipalityCode code, String fileId, byte[] manifestJson, String signature,
            Path ciphertext, long confirmed, long idleLimitMillis, Consumer<QueueFeed> onEnd) {
        this.broker = broker;
        this.code = code;
        this.fileId = fileId;
        this.manifestJson = manifestJson;
        this.signature = signature;
        this.ciphertext = ciphertext;
        this.confirmed = confirmed;
        this.idleLimitNanos = TimeUnit.MILLISECONDS.toNanos(idleLimitMillis);
        this.onEnd = onEnd;
    }

    /** Lets the feed read the staged file up to {@code offset}, the end of the last confirmed chunk. */
    void confirmed(long offset) {
        synchronized (lock) {
            if (offset > confirmed) {
                confirmed = offset;
                lastGrowthNanos = System.nanoTime();
                lock.notifyAll();
            }
        }
    }

    /** Returns whether the feed has stopped without a commit: it failed, stalled or was aborted. */
    boolean failed() {
        synchronized (lock) {
            return abortCause != null || bodySent.isCompletedExceptionally();
        }
    }

    /**
     * Ends the body at {@code total} bytes and waits until the broker has the whole body; returns false when the feed
     * failed or sent another length, in which case it rolls back on its own and the caller copies the staged file.
     */
    boolean finish(long total) throws InterruptedException {
        synchronized (lock) {
            confirmed = Math.max(confirmed, total);
            end = total;
            lock.notifyAll();
        }
        try {
            long sent = bodySent.get();
            if (sent == total) {
                return true;
            }
        } catch (ExecutionException e) {
            return false;
        }
        rollBack();
        return false;
    }

    /** Commits the sent message and waits for the result; throws the commit's exception. */
    void commit() throws Exception {
        decision.complete(Decision.COMMIT);
        try {
            outcome.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Discards whatever the feed has sent, so the queue never receives it. */
    void rollBack() {
        abort(new IOException("queue copy of upload " + fileId + " was rolled back"));
        decision.complete(Decision.ROLL_BACK);
    }

    /** Stops the feed, for example because the upload was cancelled or the server stops. */
    void abort(IOException cause) {
        synchronized (lock) {
            if (abortCause == null) {
                abortCause = cause;
            }
            lock.notifyAll();
        }
        decision.complete(Decision.ROLL_BACK);
    }

    @Override
    public void run() {
        try (ClientSession session = broker.openMunicipalitySession(code, true);
                ClientProducer producer = session.createProducer(QueueNames.upload(code));
                TailStream body = new TailStream()) {
            ClientMessage message = UploadStore.storedFileMessage(session, fileId, manifestJson, signature);
            message.setBodyInputStream(body);
            producer.send(message);
            if (body.failure != null) {
                throw body.failure;
            }
            bodySent.complete(body.position);
            if (decision.get() == Decision.COMMIT) {
                session.commit();
            } else {
                session.rollback();
            }
            outcome.complete(null);
        } catch (Throwable e) {
            LOG.info("Queue copy during upload ended without a commit; unless the upload was refused, it is copied"
                    + " after its last chunk: municipality={} fileId={} reason={}", code, fileId, e.toString());
            bodySent.completeExceptionally(e);
            outcome.completeExceptionally(e);
            abort(e instanceof IOException io ? io : new IOException(e.toString(), e));
        } finally {
            onEnd.accept(this);
        }
    }

    /**
     * The message body: the staged file, read up to the confirmed end and ended at the total. It remembers a failure,
     * because the broker client may report a failed body read as an ordinary end.
     */
    private final class TailStream extends InputStream {

        private final FileChannel channel;
        private long position;
        private IOException failure;

        TailStream() throws IOException {
            channel = FileChannel.open(ciphertext, StandardOpenOption.READ);
        }

        @Override
        public int read() throws IOException {
            byte[] single = new byte[1];
            return read(single, 0, 1) < 0 ? -1 : single[0] & 0xff;
        }

        @Override
        public int read(byte[] target, int offset, int length) throws IOException {
            if (length == 0) {
                return 0;
            }
            long readable;
            try {
                readable = awaitReadable();
            } catch (IOException e) {
                failure = e;
                throw e;
            }
            if (readable < 0) {
                return -1;
            }
            int count = channel.read(ByteBuffer.wrap(target, offset, (int) Math.min(length, readable)), position);
            if (count < 0) {
                failure = new IOException("staged ciphertext of " + fileId + " ended at " + position
                        + " bytes before its confirmed end");
                throw failure;
            }
            position += count;
            return count;
        }

        /** Waits for bytes after the position; returns how many, or -1 at the end of the body. */
        private long awaitReadable() throws IOException {
            synchronized (lock) {
                while (true) {
                    if (abortCause != null) {
                        throw abortCause;
                    }
                    if (position < confirmed) {
                        return confirmed - position;
                    }
                    if (end >= 0 && position >= end) {
                        return -1;
                    }
                    long idle = System.nanoTime() - lastGrowthNanos;
                    if (idle >= idleLimitNanos) {
                        abortCause = new IOException("no chunk of upload " + fileId + " arrived for "
                                + TimeUnit.NANOSECONDS.toSeconds(idle) + " s");
                        throw abortCause;
                    }
                    try {
                        lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(idleLimitNanos - idle)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("queue copy of upload " + fileId + " interrupted");
                    }
                }
            }
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
