package jp.kouiki.window.broker;

import java.io.InputStream;

import org.apache.activemq.artemis.api.core.ActiveMQBuffer;
import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.core.client.impl.ClientLargeMessageInternal;
import org.apache.activemq.artemis.core.client.impl.LargeMessageController;

/** Streams message bodies, large ones included, without holding a whole body in memory. */
public final class MessageBodies {

    private MessageBodies() {
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
        Long large = message.getLongProperty(Message.HDR_LARGE_BODY_SIZE);
        return large != null ? large : message.getBodySize();
    }
}
