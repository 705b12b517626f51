package jp.kouiki.window.central.operator;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.FileManifest;

/**
 * The steps of a file through the central server, reported by the window endpoint and the delivery as they happen.
 * Implementations return quickly: the caller may be inside a transfer's critical section.
 */
public interface TransferEvents {

    /** Events that go nowhere, until the history is open. */
    TransferEvents NONE = new TransferEvents() {
    };

    /** A new file was announced with its signed manifest. */
    default void announced(FileManifest manifest) {
    }

    /** A new file was held as a possible duplicate of a recent one. */
    default void held(FileManifest manifest, String reason) {
    }

    /** The complete ciphertext was stored in the municipality's upload queue. */
    default void stored(FileManifest manifest) {
    }

    /** A checked file waits because a file of the same name is still in the union's folder. */
    default void waiting(MunicipalityCode code, String fileId, String fileName) {
    }

    /** A file was renamed into the union's folder. */
    default void delivered(MunicipalityCode code, String fileId, String fileName, long size) {
    }

    /** A file was refused at delivery, or its delivery failed too often; it moves to the dead-letter queue. */
    default void rejected(FileManifest manifest, String reason) {
    }
}
