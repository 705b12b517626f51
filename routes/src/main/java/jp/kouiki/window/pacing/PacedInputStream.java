package jp.kouiki.window.pacing;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * An input stream that hands out its bytes no faster than a {@link BandwidthLimiter} allows. An HTTP client that
 * writes a request body from it is paced while it writes, in steps of at most {@link BandwidthLimiter#MAX_GRANT_BYTES}.
 */
public final class PacedInputStream extends FilterInputStream {

    private final BandwidthLimiter limiter;

    public PacedInputStream(InputStream in, BandwidthLimiter limiter) {
        super(in);
        this.limiter = limiter;
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
        int read = super.read(buffer, offset, Math.min(length, BandwidthLimiter.MAX_GRANT_BYTES));
        if (read > 0) {
            limiter.acquire(read);
        }
        return read;
    }
}
