package jp.kouiki.window.central.operator;

import jp.kouiki.window.municipality.MunicipalityCode;

/** The window endpoint's side of withdrawing a download that still waits in a municipality's download queue. */
public interface DownloadWithdrawal {

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
}
