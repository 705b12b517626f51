package jp.kouiki.window.central.operator;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Municipalities an operator has paused: one small file per municipality under {@code <central.data-dir>/operator/
 * paused/}, on the shared store, so the other node of a pair finds the pause when it takes over. A paused
 * municipality's files wait in its upload queue while the others' files flow. {@link #isPaused} is called by the
 * delivery dispatcher on every look at the queues, so it answers from a copy read again at most every
 * {@value #REFRESH_MILLIS} ms.
 */
public final class PauseFlags {

    /** The operator who paused a municipality, the time and the reason. */
    public record Pause(String operator, Instant at, String reason) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(PauseFlags.class);
    private static final long REFRESH_MILLIS = 1000;

    private final Path directory;
    private volatile Map<MunicipalityCode, Pause> snapshot = Map.of();
    private volatile long readAt;

    public PauseFlags(Path dataDirectory) {
        this.directory = dataDirectory.resolve("operator").resolve("paused");
    }

    public boolean isPaused(MunicipalityCode code) {
        return pauses().containsKey(code);
    }

    /** Returns the pause of a municipality, or null when it is not paused. */
    public Pause pause(MunicipalityCode code) {
        return pauses().get(code);
    }

    /** Returns every pause, read again from the shared store when the copy is older than a second. */
    public Map<MunicipalityCode, Pause> pauses() {
        if (System.currentTimeMillis() - readAt > REFRESH_MILLIS) {
            reload();
        }
        return snapshot;
    }

    /** Pauses a municipality; returns false when it was paused already, which leaves the first pause as it is. */
    public synchronized boolean pause(MunicipalityCode code, String operator, String reason) throws IOException {
        reload();
        if (snapshot.containsKey(code)) {
            return false;
        }
        Properties properties = new Properties();
        properties.setProperty("operator", operator);
        properties.setProperty("at", Instant.now().toString());
        properties.setProperty("reason", reason == null ? "" : reason);
        StringWriter text = new StringWriter();
        properties.store(text, null);
        AtomicFiles.createDirectories(directory);
        AtomicFiles.writeAtomically(directory.resolve(code.value()), text.toString().getBytes(StandardCharsets.UTF_8));
        reload();
        return true;
    }

    /** Resumes a municipality; returns false when it was not paused. */
    public synchronized boolean resume(MunicipalityCode code) throws IOException {
        boolean removed = Files.deleteIfExists(directory.resolve(code.value()));
        if (removed) {
            AtomicFiles.fsyncDirectory(directory);
        }
        reload();
        return removed;
    }

    private synchronized void reload() {
        Map<MunicipalityCode, Pause> read = new HashMap<>();
        if (Files.isDirectory(directory)) {
            try (Stream<Path> files = Files.list(directory)) {
                for (Path file : files.toList()) {
                    String name = file.getFileName().toString();
                    if (MunicipalityCode.isValid(name)) {
                        read.put(MunicipalityCode.of(name), read(file));
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("Pause flags could not be read, the flags read before stay in use: directory={} error={}",
                        directory, e.toString());
                return;
            }
        }
        snapshot = Map.copyOf(read);
        readAt = System.currentTimeMillis();
    }

    private static Pause read(Path file) throws IOException {
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
            return new Pause(properties.getProperty("operator", "?"),
                    Instant.parse(properties.getProperty("at", Instant.EPOCH.toString())),
                    properties.getProperty("reason", ""));
        } catch (RuntimeException e) {
            // A flag that cannot be parsed still pauses: a person put it there on purpose.
            return new Pause("?", Files.getLastModifiedTime(file).toInstant(), "");
        }
    }
}
