package jp.kouiki.window.pacing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class BandwidthLimiterTest {

    private static final int MIB = 1024 * 1024;

    @Test
    void pacedStreamHoldsRateWithinTenPercent() throws IOException {
        BandwidthLimiter limiter = BandwidthLimiter.fixed(ByteRate.parse("2MiB/s"));
        byte[] buffer = new byte[64 * 1024];

        long started = System.nanoTime();
        try (InputStream in = new PacedInputStream(new ByteArrayInputStream(new byte[6 * MIB]), limiter)) {
            while (in.read(buffer) > 0) {
                // reading is the paced action
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;

        double rate = 6 * MIB / seconds;
        assertThat(rate).isBetween(0.9 * 2 * MIB, 1.1 * 2 * MIB);
    }

    @Test
    void pacedStreamHandsOutAtMostOneStepPerRead() throws IOException {
        BandwidthLimiter limiter = BandwidthLimiter.fixed(ByteRate.UNLIMITED);
        try (InputStream in = new PacedInputStream(new ByteArrayInputStream(new byte[MIB]), limiter)) {
            assertThat(in.read(new byte[MIB])).isEqualTo(BandwidthLimiter.MAX_GRANT_BYTES);
        }
    }

    @Test
    void stepLastsAboutOneMillisecondOfRate() {
        int step = BandwidthLimiter.stepBytes(ByteRate.parse("7.5Mbit/s"), 1, TimeUnit.SECONDS.toNanos(5));

        assertThat(step).isEqualTo(937);
    }

    @Test
    void stepShrinksWhileManyWritersShareSlowRate() {
        int step = BandwidthLimiter.stepBytes(ByteRate.parse("8KiB/s"), 179, TimeUnit.SECONDS.toNanos(5));

        assertThat(step).isEqualTo(5 * 8192 / 179);
    }

    @Test
    void stepStaysWithinItsBounds() {
        long gap = TimeUnit.SECONDS.toNanos(5);

        assertThat(BandwidthLimiter.stepBytes(ByteRate.parse("8KiB/s"), 1, gap))
                .isEqualTo(BandwidthLimiter.MIN_GRANT_BYTES);
        assertThat(BandwidthLimiter.stepBytes(ByteRate.parse("1GB/s"), 1, gap))
                .isEqualTo(BandwidthLimiter.MAX_GRANT_BYTES);
        assertThat(BandwidthLimiter.stepBytes(ByteRate.UNLIMITED, 500, gap))
                .isEqualTo(BandwidthLimiter.MAX_GRANT_BYTES);
    }

    @Test
    void idleBucketReleasesAtMostEightMillisecondsOfRate() throws IOException {
        ByteRate rate = ByteRate.parse("1MB/s");
        BandwidthLimiter limiter = BandwidthLimiter.fixed(rate);
        int step = limiter.stepBytes();
        long started = System.nanoTime();
        int released = 0;

        while (System.nanoTime() - started < TimeUnit.MILLISECONDS.toNanos(1)) {
            limiter.acquire(step);
            released += step;
        }

        assertThat(step).isEqualTo(1000);
        assertThat(released).as("bytes released at once by a bucket that was idle").isBetween(8000, 10_000);
    }

    @Test
    void pacedStreamCountsAsWriterUntilClosed() throws IOException {
        BandwidthLimiter limiter = new BandwidthLimiter(() -> ByteRate.parse("8KiB/s"), Duration.ofMillis(40));
        int alone = limiter.stepBytes();

        try (InputStream first = new PacedInputStream(new ByteArrayInputStream(new byte[1]), limiter);
                InputStream second = new PacedInputStream(new ByteArrayInputStream(new byte[1]), limiter)) {
            assertThat(limiter.stepBytes()).isEqualTo(327 / 2);
        }

        assertThat(alone).isEqualTo(BandwidthLimiter.MIN_GRANT_BYTES);
        assertThat(limiter.stepBytes()).isEqualTo(alone);
    }

    @Test
    void twoMunicipalitiesShareRateEqually() throws Exception {
        BandwidthLimiter limiter = BandwidthLimiter.fixed(ByteRate.parse("2MiB/s"));
        AtomicLong chiyoda = new AtomicLong();
        AtomicLong sapporo = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch done = new CountDownLatch(2);
        Thread first = writer(limiter, chiyoda, running, done);
        Thread second = writer(limiter, sapporo, running, done);

        first.start();
        second.start();
        long started = System.nanoTime();
        TimeUnit.SECONDS.sleep(3);
        running.set(false);
        done.await(5, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - started) / 1e9;

        long total = chiyoda.get() + sapporo.get();
        assertThat(total / seconds).isBetween(0.9 * 2 * MIB, 1.1 * 2 * MIB);
        assertThat((double) chiyoda.get() / total).isBetween(0.45, 0.55);
        assertThat((double) sapporo.get() / total).isBetween(0.45, 0.55);
    }

    @Test
    void rejectsGrantAboveOneStep() {
        BandwidthLimiter limiter = BandwidthLimiter.fixed(ByteRate.parse("1MB/s"));

        assertThatThrownBy(() -> limiter.acquire(BandwidthLimiter.MAX_GRANT_BYTES + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 16384 bytes");
    }

    @Test
    void followsRateSupplierChanges() throws Exception {
        AtomicLong bytesPerSecond = new AtomicLong(0);
        BandwidthLimiter limiter = new BandwidthLimiter(() -> new ByteRate(bytesPerSecond.get()));

        assertThat(limiter.currentRate().isUnlimited()).isTrue();
        bytesPerSecond.set(MIB);
        TimeUnit.MILLISECONDS.sleep(1100);

        assertThat(limiter.currentRate().bytesPerSecond()).isEqualTo(MIB);
    }

    private static Thread writer(BandwidthLimiter limiter, AtomicLong sent, AtomicBoolean running,
            CountDownLatch done) {
        return new Thread(() -> {
            try {
                while (running.get()) {
                    limiter.acquire(BandwidthLimiter.MAX_GRANT_BYTES);
                    sent.addAndGet(BandwidthLimiter.MAX_GRANT_BYTES);
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } finally {
                done.countDown();
            }
        });
    }
}
