package jp.kouiki.window.agent;

/** Names of the properties that the agent puts on each queued file's message. */
final class QueuedFile {

    /** The file id, 32 hexadecimal digits. */
    static final String FILE_ID = "WindowFileId";
    /** The manifest JSON exactly as signed. */
    static final String MANIFEST = "WindowManifest";
    /** Base64 of the ECDSA signature over the manifest bytes. */
    static final String SIGNATURE = "WindowSignature";
    /** Path of the plaintext in the sent folder, so that a later rejection can move it to the error folder. */
    static final String SENT_PATH = "WindowSentPath";
    /** Present and true when a person confirmed that the file is meant to be applied again. */
    static final String RESUBMISSION_CONFIRMED = "WindowResubmissionConfirmed";

    private QueuedFile() {
    }
}
