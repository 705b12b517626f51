package jp.kouiki.window.broker;

import java.io.InputStream;

import org.apache.activemq.artemis.api.core.ActiveMQBuffer;
import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.client.ClientMessage;

/** Streams message bodies, large ones included, without holding a whole body in memory. */
public final class MessageBodies {

    private MessageBodies() {
    }

    /**
     * Returns a stream over a received message's body. For a large message the client fetches the body in flow-
     * controlled packets as the stream is read, so memory stays bounded by the consumer window.
     */
    public static InputStream open(ClientMessage message) {
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

    /** Body size in bytes; large messages above 2 GiB report theirs in a property because the int overflows. */
    public static long size(ClientMessage message) {
        Long large = message.getLongProperty(Message.HDR_LARGE_BODY_SIZE);
        return large != null ? large : message.getBodySize();
    }
}
