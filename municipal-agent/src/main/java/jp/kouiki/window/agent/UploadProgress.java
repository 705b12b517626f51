package jp.kouiki.window.agent;

import java.util.Locale;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Progress of one upload attempt of a large file: bytes sent of the total, the rate since the attempt started, and the
 * time left at that rate. For files of at least {@value #MIN_LOGGED_BYTES} bytes it logs an INFO line when another
 * tenth of the file is sent or {@value #LOG_INTERVAL_MILLIS} ms have passed since the last line, whichever comes
 * first, so a file logs at most ten lines plus one per interval.
 */
final class UploadProgress {

    /** Smallest file, in plaintext bytes, whose progress is logged. */
    static final long MIN_LOGGED_BYTES = 16L * 1024 * 1024;
    /** Maximum time between two progress lines of one upload, in ms. */
    static final long LOG_INTERVAL_MILLIS = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(UploadProgress.class);

    /** A figure of the progress: bytes sent and total, bytes per second, and seconds left (-1 while unknown). */
    record Figures(long sent, long total, long bytesPerSecond, long secondsLeft) {

        int percent() {
            return total == 0 ? 100 : (int) Math.min(100, sent * 100 / total);
        }

        /** Returns the figures as the log and the status file show them, such as {@code 12.3 MB of 100.0 MB (12 %)}. */
        String describe() {
            String left = secondsLeft < 0 ? "?" : String.format(Locale.ROOT, "%d:%02d:%02d", secondsLeft / 3600,
                    secondsLeft / 60 % 60, secondsLeft % 60);
            return megabytes(sent) + " of " + megabytes(total) + " (" + percent() + " %), "
                    + megabytes(bytesPerSecond) + "/s, " + left + " left";
        }

        private static String megabytes(long bytes) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        }
    }

    private final MunicipalityCode code;
    private final String fileName;
    private final String fileId;
    private final long total;
    private final long startOffset;
    private final long startNanos;
    private long lastLogNanos;
    private int lastLoggedTenth;
    private int linesLogged;
    private volatile Figures figures;

    UploadProgress(MunicipalityCode code, String fileName, String fileId, long total, long startOffset,
            long startNanos) {
        this.code = code;
        this.fileName = fileName;
        this.fileId = fileId;
        this.total = total;
        this.startOffset = startOffset;
        this.startNanos = startNanos;
        this.lastLogNanos = startNanos;
        this.lastLoggedTenth = (int) (Math.min(startOffset, total) * 10 / Math.max(total, 1));
        this.figures = new Figures(Math.min(startOffset, total), total, 0, -1);
    }

    /** Records the offset the central server has confirmed, and logs a line when one is due. */
    void confirmed(long offset, long nowNanos) {
        long sent = Math.min(offset, total);
        double seconds = (nowNanos - startNanos) / 1e9;
        long rate = seconds <= 0 ? 0 : (long) ((offset - startOffset) / seconds);
        long left = rate <= 0 ? -1 : (total - sent) / rate;
        figures = new Figures(sent, total, rate, left);
        int tenth = (int) (sent * 10 / Math.max(total, 1));
        boolean due = tenth > lastLoggedTenth || nowNanos - lastLogNanos >= LOG_INTERVAL_MILLIS * 1_000_000;
        if (total >= MIN_LOGGED_BYTES && due && sent < total) {
            lastLogNanos = nowNanos;
            lastLoggedTenth = tenth;
            linesLogged++;
            LOG.info("Upload progress: municipality={} file={} fileId={} sentBytes={} totalBytes={} percent={}"
                    + " bytesPerSecond={} secondsLeft={}", code, fileName, fileId, sent, total, figures.percent(),
                    rate, left);
        }
    }

    Figures figures() {
        return figures;
    }

    /** Returns how many progress lines this upload has logged. */
    int linesLogged() {
        return linesLogged;
    }
}
