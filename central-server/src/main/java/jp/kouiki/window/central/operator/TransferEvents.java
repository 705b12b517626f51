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

    /** Reports a new file announced with its signed manifest. */
    default void announced(FileManifest manifest) {
    }

    /** Reports a new file held as a possible duplicate of a recent one. */
    default void held(FileManifest manifest, String reason) {
    }

    /** Reports a file whose complete ciphertext is stored in the municipality's upload queue. */
    default void stored(FileManifest manifest) {
    }

    /** Reports a checked file waiting because a file of the same name is still in the union's folder. */
    default void waiting(MunicipalityCode code, String fileId, String fileName) {
    }

    /** Reports a file renamed into the union's folder. */
    default void delivered(MunicipalityCode code, String fileId, String fileName, long size) {
    }

    /** Reports a file rejected at delivery, or failed too often, on its way to the dead-letter queue. */
    default void rejected(FileManifest manifest, String reason) {
    }

    /** Reports a checked file rejected while it waited for its name, known by its ids only. */
    default void rejected(MunicipalityCode code, String fileId, String fileName, String reason) {
    }

    /** Reports an announced file that an operator cancelled before it was received completely. */
    default void cancelled(FileManifest manifest, String reason) {
    }

    /** Reports a file that the agent removed from its queue for an operator's cancellation. */
    default void cancelled(MunicipalityCode code, String fileId, String fileName, String reason) {
    }
}
