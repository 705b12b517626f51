package jp.kouiki.window.central.operator;

import java.io.IOException;
import java.time.Instant;

import jp.kouiki.window.municipality.MunicipalityCode;

/** The window endpoint's side of a cancellation: refusing it for files already received and dropping partial uploads. */
public interface UploadCancellation {

    /** A file the central server has received completely: its file id, name and when it was stored. */
    record Received(String fileId, String fileName, Instant storedAt) {
    }

    /** Writes the cancellation record; called while no upload of the named file can complete. */
    interface Recorder {
        Cancellations.Cancellation record() throws IOException;
    }

    /**
     * Records a cancellation unless the named file has already been received, and drops the partial uploads it
     * names, so that their next chunk is rejected. A file id is checked against the files stored, a file name against
     * those stored within the resubmission hold days.
     *
     * @return the file already received, in which case nothing is recorded, or null
     */
    Received cancel(MunicipalityCode code, String fileId, String fileName, Recorder recorder) throws IOException;
}
