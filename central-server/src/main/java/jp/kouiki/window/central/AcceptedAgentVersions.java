package jp.kouiki.window.central;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent versions the window server accepts: {@code central.accepted-agent-versions}, overridden while the server
 * runs by the key {@code accepted-agent-versions} of the admission caps file ({@code central.admission.caps-file})
 * when that file has the key. An empty list accepts every agent. The file is read again at most once a second after
 * its modification time changes, and each change is logged. An invalid list in the file is logged and the list in
 * force stays. Removing the key or the file brings back the start-up list.
 */
public final class AcceptedAgentVersions {

    /** Key of the run-time list in the caps file. */
    public static final String FILE_KEY = "accepted-agent-versions";

    private static final Logger LOG = LoggerFactory.getLogger(AcceptedAgentVersions.class);
    private static final Pattern VERSION = Pattern.compile("[0-9A-Za-z._+-]{1,64}");
    private static final long RELOAD_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final List<String> configured;
    private final Path file;
    private List<String> accepted;
    private FileTime fileModified;
    private long reloadCheckedNanos;

    /**
     * Creates the list from the start-up setting and the run-time file.
     *
     * @param file the caps file, or null when there is none
     */
    public AcceptedAgentVersions(List<String> configured, Path file) {
        this.configured = List.copyOf(configured);
        this.file = file;
        this.accepted = this.configured;
        this.reloadCheckedNanos = System.nanoTime() - RELOAD_CHECK_NANOS;
    }

    /** Returns whether the text has the form of an agent version: 1 to 64 letters, digits and {@code ._+-}. */
    public static boolean isVersion(String text) {
        return text != null && VERSION.matcher(text).matches();
    }

    /** Returns the accepted versions in force, in configured order; empty when every version is accepted. */
    public synchronized List<String> versions() {
        reloadIfChanged(System.nanoTime());
        return accepted;
    }

    /** Returns whether an agent reporting the version, null when it reported none, may make window requests. */
    public boolean accepts(String version) {
        List<String> versions = versions();
        return versions.isEmpty() || version != null && versions.contains(version);
    }

    private void reloadIfChanged(long now) {
        if (file == null || now - reloadCheckedNanos < RELOAD_CHECK_NANOS) {
            return;
        }
        reloadCheckedNanos = now;
        FileTime modified;
        try {
            modified = Files.getLastModifiedTime(file);
        } catch (NoSuchFileException e) {
            modified = null;
        } catch (IOException e) {
            LOG.warn("Caps file cannot be read, keeping the accepted agent versions in force: file={} error={}", file,
                    e.toString());
            return;
        }
        if (modified == null ? fileModified == null : modified.equals(fileModified)) {
            return;
        }
        fileModified = modified;
        apply(modified == null ? configured : read(), modified == null ? "start-up settings" : file.toString());
    }

    private List<String> read() {
        Properties values = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            values.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("Caps file cannot be read, keeping the accepted agent versions in force: file={} error={}", file,
                    e.toString());
            return accepted;
        }
        String listed = values.getProperty(FILE_KEY);
        if (listed == null) {
            return configured;
        }
        List<String> versions = parse(listed);
        if (versions == null) {
            LOG.warn("Accepted agent versions in the caps file are invalid, keeping the list in force: file={}"
                    + " {}={} expected versions of 1 to 64 letters, digits and ._+- separated by commas", file,
                    FILE_KEY, listed);
            return accepted;
        }
        return versions;
    }

    /** Parses a comma-separated list, or returns null when an item is not a version. */
    static List<String> parse(String listed) {
        List<String> versions = new ArrayList<>();
        for (String item : listed.split(",")) {
            String version = item.strip();
            if (version.isEmpty()) {
                continue;
            }
            if (!isVersion(version)) {
                return null;
            }
            versions.add(version);
        }
        return List.copyOf(new LinkedHashSet<>(versions));
    }

    private static String describe(List<String> versions) {
        return versions.isEmpty() ? "any" : String.join(",", versions);
    }

    private void apply(List<String> next, String source) {
        if (next.equals(accepted)) {
            return;
        }
        LOG.info("Accepted agent versions changed: accepted={} previous={} source={}", describe(next),
                describe(accepted), source);
        accepted = next;
    }
}
