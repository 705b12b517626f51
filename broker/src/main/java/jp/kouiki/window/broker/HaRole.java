package jp.kouiki.window.broker;

import java.util.Locale;

/**
 * The part a broker plays in a primary/backup pair on a shared store. Both nodes of a pair use one data directory on
 * shared storage. A file lock there decides which node is active, so two nodes never serve at once.
 */
public enum HaRole {

    /** A single broker: it owns its data directory and refuses to start when another process has it locked. */
    NONE,
    /** The node that is active when both start; after a failover it waits until the backup stops. */
    PRIMARY,
    /** The node that waits on the shared store and becomes active when the active node dies or stops. */
    BACKUP;

    /** Reads a role from its name in any case: none, primary or backup. */
    public static HaRole parse(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("high-availability role '" + value
                    + "' is not known; use none, primary or backup", e);
        }
    }
}
