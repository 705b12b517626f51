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
    /** The priority class label, daily or bulk; the message's Artemis priority follows it. */
    static final String PRIORITY_CLASS = "WindowPriorityClass";
    /** The file's plaintext size in bytes, for backlog estimates. */
    static final String SIZE = "WindowSize";
    /** The name of the schedule whose window the file waits for; absent for files sent at any time. */
    static final String SCHEDULE = "WindowSchedule";

    private QueuedFile() {
    }
}
