package jp.kouiki.window.pacing;

import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A token bucket in bytes per second that every upload of one agent draws from, whatever municipality it is for.
 *
 * <p>Tokens are granted in steps of at most {@link #MAX_GRANT_BYTES}, and the bucket contains at most
 * {@link #CAPACITY_BYTES}, so a paced writer never hands the network more than 64 KiB at once and a shaped link's
 * queue never fills with a burst. The capacity above one step lets a writer that a busy machine woke up late catch
 * up, instead of losing that time from the rate. A caller reserves its step under a fair lock and then sleeps until
 * the step is due, outside the lock. Each writer has
 * at most one reservation at a time, so writers that wait together are served in turn and share the rate equally. The
 * agent runs at most one upload per municipality, which makes that an equal share per municipality; a writer that
 * sends less than its share leaves the rest to the others.
 *
 * <p>The cap comes from a supplier, read again at most every {@link #RATE_REFRESH_NANOS}, so a time window that
 * starts or ends changes the rate of uploads already running.
 */
public final class BandwidthLimiter {

    /** Largest number of bytes one grant covers. */
    public static final int MAX_GRANT_BYTES = 16 * 1024;
    /** Largest number of tokens the bucket collects while no one sends, in bytes. */
    public static final int CAPACITY_BYTES = 4 * MAX_GRANT_BYTES;
    /** Interval between reads of the rate supplier, in ns (one second). */
    static final long RATE_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Supplier<ByteRate> rateSource;
    private final ReentrantLock lock = new ReentrantLock(true);
    /** Time at which the bucket is empty with every reserved step sent; guarded by {@code lock}. */
    private long emptyAtNanos = System.nanoTime();
    private ByteRate rate;
    private long rateReadNanos;

    public BandwidthLimiter(Supplier<ByteRate> rateSource) {
        this.rateSource = rateSource;
        this.rate = rateSource.get();
        this.rateReadNanos = System.nanoTime();
    }

    /** Creates a limiter with a fixed rate. */
    public static BandwidthLimiter fixed(ByteRate rate) {
        return new BandwidthLimiter(() -> rate);
    }

    /** Returns the rate in force now. */
    public ByteRate currentRate() {
        lock.lock();
        try {
            return refreshRate(System.nanoTime());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until {@code bytes} may be sent.
     *
     * @param bytes at most {@link #MAX_GRANT_BYTES}
     * @throws InterruptedIOException when the thread is interrupted while it waits
     */
    public void acquire(int bytes) throws InterruptedIOException {
        if (bytes > MAX_GRANT_BYTES) {
            throw new IllegalArgumentException("one grant covers at most " + MAX_GRANT_BYTES + " bytes, not " + bytes);
        }
        if (bytes <= 0) {
            return;
        }
        long dueNanos = reserve(bytes);
        sleepUntil(dueNanos);
    }

    /** Reserves the step and returns the time at which it may be sent. */
    private long reserve(int bytes) {
        lock.lock();
        try {
            long now = System.nanoTime();
            ByteRate current = refreshRate(now);
            if (current.isUnlimited()) {
                emptyAtNanos = now;
                return now;
            }
            long stepNanos = TimeUnit.SECONDS.toNanos(bytes) / current.bytesPerSecond();
            long capacityNanos = TimeUnit.SECONDS.toNanos(CAPACITY_BYTES) / current.bytesPerSecond();
            long start = Math.max(emptyAtNanos, now - capacityNanos);
            emptyAtNanos = start + stepNanos;
            return Math.max(now, emptyAtNanos - capacityNanos);
        } finally {
            lock.unlock();
        }
    }

    private ByteRate refreshRate(long now) {
        if (now - rateReadNanos >= RATE_REFRESH_NANOS) {
            rate = rateSource.get();
            rateReadNanos = now;
        }
        return rate;
    }

    private static void sleepUntil(long dueNanos) throws InterruptedIOException {
        long remaining;
        while ((remaining = dueNanos - System.nanoTime()) > 0) {
            LockSupport.parkNanos(remaining);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for upload bandwidth");
            }
        }
    }
}
