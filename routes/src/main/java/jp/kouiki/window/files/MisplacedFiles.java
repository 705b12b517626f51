package jp.kouiki.window.files;

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
 * Finds files in a pickup folder (a municipal agent's outbox, the union's outbound folder) that the pickup never takes,
 * and logs each once: a file in the folder itself, a folder with files inside a destination folder, and, with
 * done-marker pickup, a file whose {@code .done} marker has not come within {@link #MARKER_WAIT} or a marker whose
 * file has not come within it. The pickup reads only {@code <folder>/<destination>/<file>}, so without this an
 * operator who put a file one level too high or too low would wait for a file that never leaves.
 */
public final class MisplacedFiles {

    /** Time after its last change that a file waits for its {@code .done} marker, or a marker for its file. */
    public static final Duration MARKER_WAIT = Duration.ofMinutes(10);
    private static final Logger LOG = LoggerFactory.getLogger(MisplacedFiles.class);

    /**
     * The names that the log lines give the folder and its entries.
     *
     * @param entryNotPickedUp the start of each log line, such as "Outbox entry not picked up"
     * @param folderName       the folder as operators know it, such as "outbox folder"
     * @param destinations     where files belong, such as "outbox/&lt;municipality code&gt;/"
     */
    public record Place(String entryNotPickedUp, String folderName, String destinations) {
    }

    /** The municipal agent's outbox. */
    public static final Place OUTBOX = new Place("Outbox entry not picked up", "outbox folder",
            "outbox/<municipality code>/");
    /** The union's outbound folder at the central server. */
    public static final Place OUTBOUND = new Place("Outbound entry not picked up", "outbound folder",
            "outbound/<municipality code>/ or outbound/all/");

    private final Path root;
    private final boolean doneMarkers;
    private final Place place;
    /** Paths reported and still there; a path that goes away is reported again if it comes back. */
    private final Set<Path> reported = ConcurrentHashMap.newKeySet();

    public MisplacedFiles(Path root, boolean doneMarkers, Place place) {
        this.root = root;
        this.doneMarkers = doneMarkers;
        this.place = place;
    }

    /** Looks through the folder, logs the files and folders not reported before, and returns them. */
    public List<Path> check() {
        List<Path> found = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                if (isHidden(entry)) {
                    continue;
                }
                if (Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
                    report(entry, seen, found, "file in the " + place.folderName() + " itself is not sent; move it"
                            + " into " + place.destinations());
                } else if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    checkDestinationFolder(entry, seen, found);
                }
            }
        } catch (NoSuchFileException e) {
            // The pickup creates the folder when it starts.
        } catch (IOException | RuntimeException e) {
            LOG.warn("Folder could not be checked for misplaced files, trying again later: folder={} error={}", root,
                    e.toString());
            return found;
        }
        reported.retainAll(seen);
        return found;
    }

    private void checkDestinationFolder(Path folder, Set<Path> seen, List<Path> found) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (isHidden(entry)) {
                    continue;
                }
                if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                    if (hasEntries(entry)) {
                        report(entry, seen, found, "folder inside a destination folder is not read; move its files up"
                                + " into " + folder);
                    }
                } else if (Files.isSymbolicLink(entry) && Files.isDirectory(entry)) {
                    report(entry, seen, found, "symbolic link to a folder is not followed; remove the link and put the"
                            + " files themselves into " + folder);
                } else if (doneMarkers && Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)
                        && !name.endsWith(".camelLock") && unchangedFor(entry, MARKER_WAIT)) {
                    checkMarker(entry, name, seen, found);
                }
            }
        }
    }

    /** Reports a file still without its marker, or a marker still without its file, after {@link #MARKER_WAIT}. */
    private void checkMarker(Path entry, String name, Set<Path> seen, List<Path> found) {
        if (name.endsWith(".done")) {
            String fileName = name.substring(0, name.length() - ".done".length());
            if (Files.notExists(entry.resolveSibling(fileName), LinkOption.NOFOLLOW_LINKS)) {
                report(entry, seen, found, "completion marker has waited over " + MARKER_WAIT.toMinutes()
                        + " minutes for its file; put " + InterfaceFileName.printable(fileName) + " beside it, or"
                        + " delete the marker");
            }
        } else if (Files.notExists(entry.resolveSibling(name + ".done"), LinkOption.NOFOLLOW_LINKS)) {
            report(entry, seen, found, "file has waited over " + MARKER_WAIT.toMinutes() + " minutes for its"
                    + " completion marker; write " + InterfaceFileName.printable(name) + ".done beside it once the"
                    + " file is complete");
        }
    }

    private void report(Path path, Set<Path> seen, List<Path> found, String reason) {
        seen.add(path);
        if (reported.add(path)) {
            found.add(path);
            LOG.warn("{}: path={} reason={}", place.entryNotPickedUp(), InterfaceFileName.printable(path.toString()),
                    reason);
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
