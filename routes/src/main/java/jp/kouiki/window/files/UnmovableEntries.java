package jp.kouiki.window.files;

import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.config.FileNameEncoding;
import jp.kouiki.window.iffile.InterfaceFileName;

/**
 * Pickup folder entries that can be neither taken nor moved to the error folder: a name that is not valid UTF-8, which
 * Java decodes with replacement characters, and a symbolic link whose target does not exist. The pickup leaves them
 * in place, and each path is logged once instead of being refused at every poll.
 *
 * <p>NOTE: two names that differ only in their invalid bytes decode to the same path, so only the first is logged.
 */
public final class UnmovableEntries {

    private static final Logger LOG = LoggerFactory.getLogger(UnmovableEntries.class);

    private final String folderName;
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    /** @param folderName the folder as operators know it, such as "outbox" */
    public UnmovableEntries(String folderName) {
        this.folderName = folderName;
    }

    /** Returns whether the pickup can take or move the entry, and logs an entry that it cannot the first time. */
    public boolean isMovable(String path) {
        if (FileNameEncoding.isUndecodable(path)) {
            if (reported.add(path)) {
                LOG.warn("File name is not valid UTF-8 and is left in the {}: path={}; rename it, for example with"
                        + " convmv, or have the writing system use UTF-8 names", folderName,
                        InterfaceFileName.printable(path));
            }
            return false;
        }
        if (isDanglingLink(path)) {
            if (reported.add(path)) {
                LOG.warn("Symbolic link to a missing file is left in the {}: path={}; remove the link and put the"
                        + " file itself there", folderName, InterfaceFileName.printable(path));
            }
            return false;
        }
        reported.remove(path);
        return true;
    }

    private static boolean isDanglingLink(String path) {
        try {
            Path entry = Path.of(path);
            return Files.isSymbolicLink(entry) && Files.notExists(entry);
        } catch (InvalidPathException e) {
            return false;
        }
    }
}
