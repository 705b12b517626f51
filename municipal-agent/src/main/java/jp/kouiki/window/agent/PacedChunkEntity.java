package jp.kouiki.window.agent;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.AbstractHttpEntity;

import jp.kouiki.window.pacing.BandwidthLimiter;
import jp.kouiki.window.pacing.PacedInputStream;

/**
 * One chunk as a request body that the HTTP client reads through the agent's bandwidth limiter. It is repeatable,
 * so the client can send it again to the other node of a central server pair, paced again.
 *
 * <p>Each step the limiter grants is written and flushed at once. The HTTP client's own buffer (8 KiB) would
 * otherwise collect steps into larger bursts on a slow line, and hold back bytes that a proxy with an idle timeout
 * should see.
 */
final class PacedChunkEntity extends AbstractHttpEntity {

    private final byte[] buffer;
    private final int length;
    private final BandwidthLimiter limiter;

    PacedChunkEntity(byte[] buffer, int length, BandwidthLimiter limiter) {
        super(ContentType.APPLICATION_OCTET_STREAM, null);
        this.buffer = buffer;
        this.length = length;
        this.limiter = limiter;
    }

    @Override
    public InputStream getContent() {
        return new PacedInputStream(new ByteArrayInputStream(buffer, 0, length), limiter);
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        byte[] step = new byte[BandwidthLimiter.MAX_GRANT_BYTES];
        try (InputStream in = getContent()) {
            int read;
            while ((read = in.read(step)) >= 0) {
                out.write(step, 0, read);
                out.flush();
            }
        }
    }

    @Override
    public long getContentLength() {
        return length;
    }

    @Override
    public boolean isRepeatable() {
        return true;
    }

    @Override
    public boolean isStreaming() {
        return false;
    }

    @Override
    public void close() {
        // Nothing to release: the bytes belong to the caller's buffer.
    }
}
