package jp.kouiki.window.broker;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;

import org.apache.activemq.artemis.api.core.ActiveMQBuffer;
import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.core.client.impl.ClientLargeMessageInternal;
import org.apache.activemq.artemis.core.client.impl.LargeMessageController;

/** Streams message bodies, large ones included, without holding a whole body in memory. */
public final class MessageBodies {

    /**
     * The largest body that {@link #setBody} copies into the message itself, below Artemis's default minimum large
     * message size of 100 KiB.
     */
    public static final int INLINE_LIMIT_BYTES = 64 * 1024;

    /** Body bytes that {@link #stream} buffers before the broker client waits for the reader. */
    static final long STREAM_BUFFER_BYTES = 2L * 1024 * 1024;

    /** Maximum wait in ms of a {@link #stream} reader for the next body packet. */
    static final long STREAM_STALL_TIMEOUT_MS = 60_000;

    private MessageBodies() {
    }

    /**
     * Sets a durable message's body from a stream. A body of at most {@link #INLINE_LIMIT_BYTES} is copied into the
     * message, so the broker keeps it in its journal and a commit costs one journal sync. A longer body streams as a
     * large message into a file of its own, which the broker creates and syncs apart from the journal.
     */
    public static void setBody(ClientMessage message, InputStream body) throws IOException {
        byte[] head = body.readNBytes(INLINE_LIMIT_BYTES + 1);
        if (head.length <= INLINE_LIMIT_BYTES) {
            message.getBodyBuffer().writeBytes(head);
        } else {
            message.setBodyInputStream(new SequenceInputStream(new ByteArrayInputStream(head), body));
        }
    }

    /**
     * Returns a stream over a received message's body. For a large message the client fetches the body in flow-
     * controlled packets as the stream is read, so memory stays bounded by the consumer window.
     */
    public static InputStream open(ClientMessage message) {
        if (message instanceof ClientLargeMessageInternal large && large.getLargeMessageController() != null) {
            return open(large.getLargeMessageController());
        }
        ActiveMQBuffer buffer = message.getBodyBuffer();
        return new InputStream() {
            @Override
            public int read() {
                return buffer.readable() ? buffer.readByte() & 0xff : -1;
            }

            @Override
            public int read(byte[] target, int offset, int length) {
                if (length == 0) {
                    return 0;
                }
                int readable = buffer.readableBytes();
                if (readable <= 0) {
                    return -1;
                }
                int count = Math.min(length, readable);
                buffer.readBytes(target, offset, count);
                return count;
            }
        };
    }

    /**
     * Returns a stream over a received message's body that the broker client fills packet by packet, for a reader
     * that reads the whole body and always closes the stream. Artemis 2.54's pull reader behind {@link #open} copies a
     * large body one byte at a time (LargeMessageControllerImpl.getBytes): in a JFR profile of a 1 GiB transfer that
     * was 70 % of the agent's upload thread samples and 31 % of the central delivery thread's. While the buffer is
     * full, the stream blocks one of the broker client's threads, so use it only from a bounded number of workers,
     * never for a reader whose pace a remote client sets.
     */
    public static InputStream stream(ClientMessage message) throws IOException {
        if (!(message instanceof ClientLargeMessageInternal large) || large.getLargeMessageController() == null) {
            return open(message);
        }
        LargeBodyPipe pipe = new LargeBodyPipe(size(message), STREAM_BUFFER_BYTES, STREAM_STALL_TIMEOUT_MS);
        try {
            message.setOutputStream(pipe.sink());
        } catch (ActiveMQException e) {
            throw new IOException("large message body could not be streamed: " + e.getMessage(), e);
        }
        return pipe.source();
    }

    /**
     * Reads a large message's body from the client's large message controller, which takes one packet at a time from
     * the broker and grants the broker credit for the next. ClientMessage.getBodyBuffer() would instead copy the whole
     * body into one heap buffer of the body's size first (ClientLargeMessageImpl.checkBuffer in Artemis 2.54). The
     * controller belongs to Artemis's client implementation package, so check this after an Artemis upgrade.
     */
    private static InputStream open(LargeMessageController body) {
        long size = body.getSize();
        return new InputStream() {
            private long position;

            @Override
            public int read() {
                if (position >= size) {
                    return -1;
                }
                position++;
                return body.readByte() & 0xff;
            }

            @Override
            public int read(byte[] target, int offset, int length) {
                if (length == 0) {
                    return 0;
                }
                if (position >= size) {
                    return -1;
                }
                int count = (int) Math.min(length, size - position);
                body.readBytes(target, offset, count);
                position += count;
                return count;
            }
        };
    }

    /** Body size in bytes; large messages above 2 GiB report theirs in a property because the int overflows. */
    public static long size(ClientMessage message) {
        if (message.containsProperty(Message.HDR_LARGE_BODY_SIZE)) {
            return message.getLongProperty(Message.HDR_LARGE_BODY_SIZE);
        }
        return message.getBodySize();
    }
}
