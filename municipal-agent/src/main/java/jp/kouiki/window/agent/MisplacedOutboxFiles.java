package jp.kouiki.window.agent;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.iffile.InterfaceFileName;

/**
 * Finds files in the outbox that the pickup never takes, and logs each once: a file in the outbox folder itself, a
 * folder with files inside a municipality's outbox, and, with done-marker pickup, a file whose {@code .done} marker
 * has not come within {@link #MARKER_WAIT}. The pickup reads only {@code outbox/<code>/<file>}, so without this a
 * municipal operator who put a file one level too high or too low would wait for a file that never leaves.
 */
final class MisplacedOutboxFiles {

    /** Time after its last change that a file waits for its {@code .done} marker before it is reported. */
    static final Duration MARKER_WAIT = Duration.ofMinutes(10);
    private static final Logger LOG = LoggerFactory.getLogger(MisplacedOutboxFiles.class);

    private final Path outbox;
    private final boolean doneMarkers;
    /** Paths reported and still there; a path that goes away is reported again if it comes back. */
    private final Set<Path> reported = ConcurrentHashMap.newKeySet();

    MisplacedOutboxFiles(Path outbox, boolean doneMarkers) {
        this.outbox = outbox;
        this.doneMarkers = doneMarkers;
    }

    /** Looks through the outbox, logs the files and folders not reported before, and returns them. */
    List<Path> check() {
        List<Path> found = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(outbox)) {
            for (Path entry : entries) {
                if (isHidden(entry)) {
                    continue;
                }
                if (Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                    report(entry, seen, found, "file in the outbox folder itself is not sent; move it into"
                            + " outbox/<municipality code>/");
                } else if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    checkMunicipalityFolder(entry, seen, found);
                }
            }
        } catch (NoSuchFileException e) {
            // The pickup creates the outbox when it starts.
        } catch (IOException | RuntimeException e) {
            LOG.warn("Outbox could not be checked for misplaced files, trying again later: outbox={} error={}",
                    outbox, e.toString());
            return found;
        }
        reported.retainAll(seen);
        return found;
    }

    private void checkMunicipalityFolder(Path folder, Set<Path> seen, List<Path> found) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (isHidden(entry)) {
                    continue;
                }
                if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    if (hasEntries(entry)) {
                        report(entry, seen, found, "folder inside a municipality's outbox is not read; move its"
                                + " files up into " + folder);
                    }
                } else if (doneMarkers && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)
                        && !name.endsWith(".done") && !name.endsWith(".camelLock")
                        && Files.notExists(entry.resolveSibling(name + ".done"), LinkOption.NOFOLLOW_LINKS)
                        && unchangedFor(entry, MARKER_WAIT)) {
                    report(entry, seen, found, "file has waited over " + MARKER_WAIT.toMinutes() + " minutes for its"
                            + " completion marker; write " + InterfaceFileName.printable(name) + ".done beside it"
                            + " once the file is complete");
                }
            }
        }
    }

    private void report(Path path, Set<Path> seen, List<Path> found, String reason) {
        seen.add(path);
        if (reported.add(path)) {
            found.add(path);
            LOG.warn("Outbox entry not picked up: path={} reason={}",
                    InterfaceFileName.printable(path.toString()), reason);
        }
    }

    private static boolean isHidden(Path entry) {
        return entry.getFileName().toString().startsWith(".");
    }

    private static boolean hasEntries(Path folder) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            return entries.iterator().hasNext();
        }
    }

    private static boolean unchangedFor(Path file, Duration wait) throws IOException {
        Instant modified = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant();
        return modified.plus(wait).isBefore(Instant.now());
    }
}
