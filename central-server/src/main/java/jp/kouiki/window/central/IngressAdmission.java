package jp.kouiki.window.central;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.pacing.ByteRate;

/**
 * Admission control for chunk bodies: a global byte-rate cap over all municipalities and a fair share per
 * municipality. The share is the per-municipality cap, lowered to the global cap divided by the number of
 * municipalities that sent a chunk in the last {@link #ACTIVE_WINDOW_NANOS}, so one large sender cannot take what
 * the others need. A chunk is admitted while its municipality and the whole server are at most the burst time ahead
 * of their caps. Otherwise it is rejected with 429 and a {@code Retry-After} of the seconds until it would be
 * admitted.
 *
 * <p>The caps file, when configured, is a properties file with {@code global-rate} and {@code municipality-rate}
 * (such as {@code 20MB/s}, 0 for unlimited). It is read again at most once a second when its modification time
 * changes, and each change is logged; an invalid file is logged and the caps in force stay.
 */
final class IngressAdmission {

    private static final Logger LOG = LoggerFactory.getLogger(IngressAdmission.class);
    static final long ACTIVE_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long RELOAD_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Caps in force. */
    record Caps(ByteRate global, ByteRate municipality) {
    }

    private final long burstNanos;
    private final Path capsFile;
    private final MeterRegistry metrics;
    private final Caps configured;
    private Caps caps;
    private FileTime capsFileModified;
    private long reloadCheckedNanos;
    private long globalEmptyAt = System.nanoTime();
    private final Map<MunicipalityCode, Long> emptyAt = new HashMap<>();
    private final Map<MunicipalityCode, Long> lastSeen = new HashMap<>();

    IngressAdmission(AdmissionSettings settings, MeterRegistry metrics) {
        this.burstNanos = TimeUnit.MILLISECONDS.toNanos(settings.burstMillis());
        this.capsFile = settings.capsFile();
        this.metrics = metrics;
        this.configured = new Caps(settings.globalRate(), settings.municipalityRate());
        this.caps = configured;
        this.reloadCheckedNanos = System.nanoTime() - RELOAD_CHECK_NANOS;
    }

    /**
     * Admits a chunk of {@code bytes} from the municipality or rejects it.
     *
     * @throws WindowHttpException 429 with Retry-After when the municipality or the server is over its cap
     */
    synchronized void admit(MunicipalityCode code, long bytes) throws WindowHttpException {
        long now = System.nanoTime();
        reloadIfChanged(now);
        lastSeen.put(code, now);
        ByteRate share = share(now);
        long municipalityAhead = emptyAt.getOrDefault(code, now) - now;
        long globalAhead = globalEmptyAt - now;
        long wait = Math.max(share.isUnlimited() ? 0 : municipalityAhead - burstNanos,
                caps.global().isUnlimited() ? 0 : globalAhead - burstNanos);
        if (wait > 0) {
            long seconds = Math.max(1, (wait + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1));
            metrics.counter("window.admission.rejected", "municipality", code.value()).increment();
            LOG.debug("Chunk refused over the ingress cap: municipality={} bytes={} share={} global={} retryAfterS={}",
                    code, bytes, share, caps.global(), seconds);
            throw new WindowHttpException(429, "the window server is receiving more than its cap (municipality "
                    + code + " share " + share + ", all municipalities " + caps.global() + ")",
                    "retry after the number of seconds in Retry-After; the confirmed offset is unchanged",
                    Long.toString(seconds));
        }
        if (!share.isUnlimited()) {
            emptyAt.put(code, Math.max(now, now + municipalityAhead) + nanosFor(bytes, share));
        }
        if (!caps.global().isUnlimited()) {
            globalEmptyAt = Math.max(now, globalEmptyAt) + nanosFor(bytes, caps.global());
        }
    }

    /** Returns the rate one municipality may use now. */
    private ByteRate share(long now) {
        lastSeen.values().removeIf(seen -> now - seen > ACTIVE_WINDOW_NANOS);
        ByteRate municipality = caps.municipality();
        if (caps.global().isUnlimited()) {
            return municipality;
        }
        long fair = Math.max(1, caps.global().bytesPerSecond() / Math.max(1, lastSeen.size()));
        return municipality.isUnlimited() || fair < municipality.bytesPerSecond() ? new ByteRate(fair) : municipality;
    }

    private static long nanosFor(long bytes, ByteRate rate) {
        return (long) (bytes * 1e9 / rate.bytesPerSecond());
    }

    synchronized Caps caps() {
        reloadIfChanged(System.nanoTime());
        return caps;
    }

    private void reloadIfChanged(long now) {
        if (capsFile == null || now - reloadCheckedNanos < RELOAD_CHECK_NANOS) {
            return;
        }
        reloadCheckedNanos = now;
        FileTime modified;
        try {
            modified = Files.getLastModifiedTime(capsFile);
        } catch (NoSuchFileException e) {
            modified = null;
        } catch (IOException e) {
            LOG.warn("Admission caps file cannot be read, keeping the caps in force: file={} error={}", capsFile,
                    e.toString());
            return;
        }
        if (modified == null ? capsFileModified == null : modified.equals(capsFileModified)) {
            return;
        }
        capsFileModified = modified;
        apply(modified == null ? configured : read(), modified == null ? "start-up settings" : capsFile.toString());
    }

    private Caps read() {
        Properties values = new Properties();
        try (Reader reader = Files.newBufferedReader(capsFile, StandardCharsets.UTF_8)) {
            values.load(reader);
            return new Caps(rate(values, "global-rate", configured.global()),
                    rate(values, "municipality-rate", configured.municipality()));
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("Admission caps file is invalid, keeping the caps in force: file={} error={}; expected"
                    + " global-rate and municipality-rate as {}", capsFile, e.getMessage(), ByteRate.FORM);
            return caps;
        }
    }

    private static ByteRate rate(Properties values, String key, ByteRate fallback) {
        String value = values.getProperty(key);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return ByteRate.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
        }
    }

    private void apply(Caps next, String source) {
        if (next.equals(caps)) {
            return;
        }
        LOG.info("Admission caps changed: global={} municipality={} previousGlobal={} previousMunicipality={}"
                + " source={}", next.global(), next.municipality(), caps.global(), caps.municipality(), source);
        caps = next;
    }
}
