package jp.kouiki.window.central.operator;

import java.time.Instant;
import java.util.List;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * The window endpoint's side of the operators' view of downloads, and of withdrawing a download that still waits in a
 * municipality's download queue.
 */
public interface DownloadOperations {

    /** A download moved from the download queue to the dead-letter queue. */
    record Withdrawn(String fileId, String fileName) {
    }

    /**
     * Moves the waiting download with the file id, or the oldest with the file name, to the municipality's
     * dead-letter queue and records the reason where the reasons of refused downloads go.
     *
     * @return the download withdrawn, or null when no such download waits
     */
    Withdrawn withdraw(MunicipalityCode code, String fileId, String fileName, String reason) throws Exception;

    /**
     * A download's state at the window server: waiting in the download queue ("queued"), acknowledged by the
     * municipality's agent ("received", in its inbox or staged there until the name is free), or refused by the agent
     * or withdrawn by an operator ("refused").
     *
     * @param size   bytes of the file, or null when the record does not keep them
     * @param reason why it was refused, or null
     */
    record Recorded(String fileId, String fileName, Long size, String state, Instant at, String reason) {
    }

    /** Returns the municipality's queued downloads, oldest first, then its most recent records, newest first. */
    List<Recorded> downloads(MunicipalityCode code, int limit) throws Exception;
}
