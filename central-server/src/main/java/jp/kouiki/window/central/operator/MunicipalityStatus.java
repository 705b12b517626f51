package jp.kouiki.window.central.operator;

/**
 * One municipality as operators see it. Times are ISO-8601 in Asia/Tokyo (+09:00), null when there is none; ages are
 * in seconds.
 *
 * @param waitingForName files delivered but waiting because a file of the same name is still in the union's folder
 * @param held           files held as possible duplicates within the last {@code central.resubmission.hold-days}
 * @param receiving      files announced whose ciphertext has not arrived completely
 * @param agentConfigDigest the SHA-256 digest of the agent's effective configuration, null when never reported
 * @param agentVersionNotAccepted whether the agent's version is not in the accepted list, so its requests are rejected
 * @param agentVersionDiffersFromMajority whether the agent runs another version than most agents
 * @param agentConfigDigestOutdated whether the digest differs from the latest one its agent installation reported
 */
public record MunicipalityStatus(
        String code,
        String name,
        boolean paused,
        String pausedBy,
        String pausedAt,
        String pauseReason,
        long uploadMessages,
        long uploadBytes,
        String oldestWaitingAt,
        Long oldestWaitingSeconds,
        String oldestWaitingFile,
        long downloadMessages,
        long downloadBytes,
        long deadLetters,
        long deliveredTodayFiles,
        long deliveredTodayBytes,
        String lastDeliveredAt,
        String agentLastSeenAt,
        Long agentSilentSeconds,
        String agentVersion,
        int waitingForName,
        int held,
        int receiving,
        String agentConfigDigest,
        boolean agentVersionNotAccepted,
        boolean agentVersionDiffersFromMajority,
        boolean agentConfigDigestOutdated) {

    /** Returns whether any file of this municipality is waiting anywhere at the central server. */
    public boolean hasWaitingFiles() {
        return uploadMessages > 0 || downloadMessages > 0 || deadLetters > 0 || waitingForName > 0 || held > 0
                || receiving > 0;
    }
}
