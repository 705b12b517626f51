package jp.kouiki.window.broker;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * A bounded buffer between the broker client, which writes a large message's body packet by packet as it arrives, and
 * the thread that reads the body. The client writes on one of its own threads. That write waits while
 * {@code capacityBytes} are buffered, so the broker sends no further packets until the reader has caught up.
 *
 * <p>The thread that creates the pipe may write without waiting: the client hands the packets it had already
 * received to the sink at once, on the thread that sets the output stream, and those fit within the consumer window.
 */
final class LargeBodyPipe {

    private final long size;
    private final long capacityBytes;
    private final long stallTimeoutMillis;
    private final Thread owner = Thread.currentThread();
    private final ArrayDeque<byte[]> packets = new ArrayDeque<>();
    private long buffered;
    private boolean ended;
    private boolean closed;

    /**
     * @param size               the body size in bytes; the source ends after this many bytes
     * @param capacityBytes      bytes buffered before the writer waits
     * @param stallTimeoutMillis maximum wait of the reader for the next packet
     */
    LargeBodyPipe(long size, long capacityBytes, long stallTimeoutMillis) {
        this.size = size;
        this.capacityBytes = capacityBytes;
        this.stallTimeoutMillis = stallTimeoutMillis;
    }

    /** Returns the stream that the broker client writes the body packets to. */
    OutputStream sink() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                if (length > 0) {
                    offer(Arrays.copyOfRange(bytes, offset, offset + length));
                }
            }

            @Override
            public void close() {
                synchronized (LargeBodyPipe.this) {
                    ended = true;
                    LargeBodyPipe.this.notifyAll();
                }
            }
        };
    }

    /** Returns the stream that reads the body; closing it discards the rest of the body as it arrives. */
    InputStream source() {
        return new InputStream() {
            private byte[] current;
            private int position;
            private long delivered;

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
                if (current == null || position == current.length) {
                    if (delivered >= size) {
                        return -1;
                    }
                    current = take();
                    position = 0;
                    if (current == null) {
                        throw new IOException("large message body ended after " + delivered + " of " + size
                                + " bytes");
                    }
                }
                int count = Math.min(length, current.length - position);
                System.arraycopy(current, position, target, offset, count);
                position += count;
                delivered += count;
                return count;
            }

            @Override
            public void close() {
                synchronized (LargeBodyPipe.this) {
                    closed = true;
                    packets.clear();
                    buffered = 0;
                    LargeBodyPipe.this.notifyAll();
                }
            }
        };
    }

    private synchronized void offer(byte[] packet) throws IOException {
        while (!closed && buffered >= capacityBytes && Thread.currentThread() != owner) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for the reader of a large message body");
            }
        }
        if (closed) {
            return;
        }
        packets.add(packet);
        buffered += packet.length;
        notifyAll();
    }

    /** Returns the next packet, or null when the body ended early; waits up to the stall timeout for it. */
    private synchronized byte[] take() throws IOException {
        long deadline = System.nanoTime() + stallTimeoutMillis * 1_000_000L;
        while (packets.isEmpty()) {
            if (ended || closed) {
                return null;
            }
            long waitMillis = (deadline - System.nanoTime()) / 1_000_000L;
            if (waitMillis <= 0) {
                throw new IOException("timed out after " + stallTimeoutMillis
                        + " ms waiting for the next packet of a large message body");
            }
            try {
                wait(waitMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for a large message body packet");
            }
        }
        byte[] packet = packets.poll();
        buffered -= packet.length;
        notifyAll();
        return packet;
    }
}
