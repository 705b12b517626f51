package jp.kouiki.window.pacing;

import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A token bucket in bytes per second that every upload of one agent draws from, whatever municipality it is for.
 *
 * <p>Tokens are granted in steps that last about {@link #STEP_NANOS} at the current rate, between
 * {@link #MIN_GRANT_BYTES} and {@link #MAX_GRANT_BYTES}, and the bucket contains at most {@link #CAPACITY_NANOS} of
 * the rate. A writer that flushes each step therefore hands a shaped link little more than the rate at any moment. The
 * link's queue then stays short, and small requests of other applications on the same line wait little behind it. The
 * capacity above one step lets a writer that a busy machine woke up late catch up, instead of losing that time from the
 * rate.
 *
 * <p>NOTE: after a stall of the whole process (CPU contention, a GC pause), every writer's reserved step is overdue and
 * goes out at once, on top of the bucket. The burst is therefore up to one step per writer plus the bucket, not the
 * bucket alone: with 64 upload workers at one cap, that is about 72 ms of the rate.
 *
 * <p>A caller reserves its step under a fair lock and then sleeps until the step is due, outside the lock. Each writer
 * has at most one reservation at a time, so writers that wait together are served in turn and share the rate equally.
 * The agent runs at most one upload per municipality, which makes that an equal share per municipality; a writer that
 * sends less than its share leaves the rest to the others. Steps shrink further while many writers share a low rate,
 * so that each writer still writes at least once every {@code maxWriteGap}: a proxy with an idle timeout then sees no
 * longer silence from a slow upload.
 *
 * <p>The cap comes from a supplier, read again at most every {@link #RATE_REFRESH_NANOS}, so a time window that
 * starts or ends changes the rate of uploads already running.
 */
public final class BandwidthLimiter {

    /** Largest number of bytes one grant covers. */
    public static final int MAX_GRANT_BYTES = 16 * 1024;
    /** Smallest step, in bytes, so that TLS record and packet headers stay a small part of a slow line. */
    public static final int MIN_GRANT_BYTES = 256;
    /** Smallest step, in bytes, when the maximum write gap requires steps below {@link #MIN_GRANT_BYTES}. */
    static final int MIN_GAP_GRANT_BYTES = 64;
    /** Time one step takes at the current rate, in ns (1 ms). */
    static final long STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Time of the rate that the bucket collects at most while no one sends, in ns (8 ms), and at most 64 KiB. */
    static final long CAPACITY_NANOS = TimeUnit.MILLISECONDS.toNanos(8);
    private static final int MAX_CAPACITY_BYTES = 4 * MAX_GRANT_BYTES;
    /** Interval between reads of the rate supplier, in ns (one second). */
    static final long RATE_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Maximum time between two writes of one writer that the step size aims at by default. */
    public static final Duration DEFAULT_MAX_WRITE_GAP = Duration.ofSeconds(5);

    private final Supplier<ByteRate> rateSource;
    private final long maxWriteGapNanos;
    private final ReentrantLock lock = new ReentrantLock(true);
    private final AtomicInteger writers = new AtomicInteger();
    /** Time at which the bucket is empty with every reserved step sent; guarded by {@code lock}. */
    private long emptyAtNanos = System.nanoTime();
    private ByteRate rate;
    private long rateReadNanos;

    public BandwidthLimiter(Supplier<ByteRate> rateSource) {
        this(rateSource, DEFAULT_MAX_WRITE_GAP);
    }

    /**
     * Creates a limiter whose steps are small enough that every writer writes at least once every
     * {@code maxWriteGap}, as long as the rate allows steps of 64 bytes for all writers that share it.
     */
    public BandwidthLimiter(Supplier<ByteRate> rateSource, Duration maxWriteGap) {
        if (maxWriteGap.isNegative() || maxWriteGap.isZero()) {
            throw new IllegalArgumentException("the maximum write gap must be positive, not " + maxWriteGap);
        }
        this.rateSource = rateSource;
        this.maxWriteGapNanos = maxWriteGap.toNanos();
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
     * Returns the number of bytes a writer should take in its next grant and write (and flush) at once: about
     * {@link #STEP_NANOS} of the rate within {@link #MIN_GRANT_BYTES} and {@link #MAX_GRANT_BYTES}, less while so many
     * writers share a low rate that a writer would otherwise wait longer than the maximum write gap for its turn.
     */
    public int stepBytes() {
        return stepBytes(currentRate(), Math.max(1, writers.get()), maxWriteGapNanos);
    }

    static int stepBytes(ByteRate rate, int writerCount, long maxWriteGapNanos) {
        if (rate.isUnlimited()) {
            return MAX_GRANT_BYTES;
        }
        long step = Math.max(MIN_GRANT_BYTES, Math.min(MAX_GRANT_BYTES, bytesIn(rate, STEP_NANOS)));
        long byGap = bytesIn(rate, maxWriteGapNanos) / writerCount;
        return (int) Math.max(MIN_GAP_GRANT_BYTES, Math.min(step, byGap));
    }

    /** Registers a writer that shares the rate until {@link #writerClosed()}; the step size divides among writers. */
    public void writerOpened() {
        writers.incrementAndGet();
    }

    /** Unregisters a writer registered with {@link #writerOpened()}. */
    public void writerClosed() {
        writers.decrementAndGet();
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
            long capacityNanos = capacityNanos(current, bytes);
            long start = Math.max(emptyAtNanos, now - capacityNanos);
            emptyAtNanos = start + stepNanos;
            return Math.max(now, emptyAtNanos - capacityNanos);
        } finally {
            lock.unlock();
        }
    }

    /** Returns the bucket's capacity in ns of the rate: {@link #CAPACITY_NANOS}, at least two steps, at most 64 KiB. */
    private static long capacityNanos(ByteRate rate, int stepBytes) {
        long twoSteps = TimeUnit.SECONDS.toNanos(2L * stepBytes) / rate.bytesPerSecond();
        long maxNanos = TimeUnit.SECONDS.toNanos(MAX_CAPACITY_BYTES) / rate.bytesPerSecond();
        return Math.min(maxNanos, Math.max(CAPACITY_NANOS, twoSteps));
    }

    private static long bytesIn(ByteRate rate, long nanos) {
        return (long) (rate.bytesPerSecond() * (nanos / 1e9));
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
