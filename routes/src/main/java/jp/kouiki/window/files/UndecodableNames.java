package jp.kouiki.window.files;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.config.FileNameEncoding;
import jp.kouiki.window.iffile.InterfaceFileName;

/**
 * Pickup folder entries whose names are not valid UTF-8. Java decodes such a name with replacement characters, so the
 * file can be neither opened nor moved by it: the pickup leaves it in place, and each path is logged once instead of
 * being refused at every poll.
 */
public final class UndecodableNames {

    private static final Logger LOG = LoggerFactory.getLogger(UndecodableNames.class);

    private final String folderName;
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    /** @param folderName the folder as operators know it, such as "outbox" */
    public UndecodableNames(String folderName) {
        this.folderName = folderName;
    }

    /** Returns whether the path's name is valid UTF-8, and logs a path whose name is not the first time. */
    public boolean isDecodable(String path) {
        if (!FileNameEncoding.isUndecodable(path)) {
            return true;
        }
        if (reported.add(path)) {
            LOG.warn("File name is not valid UTF-8 and is left in the {}: path={}; rename it, for example with convmv,"
                    + " or have the writing system use UTF-8 names", folderName, InterfaceFileName.printable(path));
        }
        return false;
    }
}
