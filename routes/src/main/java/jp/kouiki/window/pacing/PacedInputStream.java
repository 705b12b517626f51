package jp.kouiki.window.pacing;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * An input stream that hands out its bytes no faster than a {@link BandwidthLimiter} allows, each read at most one of
 * the limiter's steps ({@link BandwidthLimiter#stepBytes()}). The stream counts as one of the limiter's writers from
 * its creation until it is closed.
 */
public final class PacedInputStream extends FilterInputStream {

    private final BandwidthLimiter limiter;
    private boolean closed;

    public PacedInputStream(InputStream in, BandwidthLimiter limiter) {
        super(in);
        this.limiter = limiter;
        limiter.writerOpened();
    }

    @Override
    public int read() throws IOException {
        int value = super.read();
        if (value >= 0) {
            limiter.acquire(1);
        }
        return value;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int read = super.read(buffer, offset, Math.min(length, limiter.stepBytes()));
        if (read > 0) {
            limiter.acquire(read);
        }
        return read;
    }

    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            limiter.writerClosed();
        }
        super.close();
    }
}
