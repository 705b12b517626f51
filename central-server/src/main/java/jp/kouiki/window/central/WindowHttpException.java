package jp.kouiki.window.central;

/**
 * A failed window request, sent back as an error status and a JSON body with what was wrong and what the caller
 * should do.
 */
final class WindowHttpException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String action;
    private final String retryAfterSeconds;
    private final String state;
    private java.util.Map<String, Object> details = java.util.Map.of();

    WindowHttpException(int status, String error, String action) {
        this(status, error, action, null);
    }

    /** Creates an error response that tells the caller how many seconds to wait before retrying. */
    WindowHttpException(int status, String error, String action, String retryAfterSeconds) {
        this(status, error, action, retryAfterSeconds, null);
    }

    private WindowHttpException(int status, String error, String action, String retryAfterSeconds, String state) {
        super(error);
        this.status = status;
        this.action = action;
        this.retryAfterSeconds = retryAfterSeconds;
        this.state = state;
    }

    /**
     * Creates the 409 response for a file held as a possible duplicate. Its body carries the state {@code held}, which
     * agents tell apart from other conflicts.
     */
    static WindowHttpException held(String error, String action) {
        return withState(409, "held", error, action);
    }

    /**
     * Creates the 410 response for a file an operator cancelled. Its body carries the state {@code cancelled}, with
     * which the agent moves the file aside instead of sending it.
     */
    static WindowHttpException cancelled(jp.kouiki.window.central.operator.Cancellations.Cancellation cancellation,
            String fileId, String fileName) {
        String note = cancellation.note().isBlank() ? "" : " (" + cancellation.note() + ")";
        return withState(410, "cancelled", "file " + (fileName == null ? "" : fileName + " ") + "with file id " + fileId
                + " was cancelled by operator " + cancellation.operator() + " at "
                + cancellation.requestedAt().atZone(java.time.ZoneId.of("Asia/Tokyo")).toOffsetDateTime() + note
                + " [cancellation " + cancellation.id() + "]", "do not send it; the agent moves it to its cancelled"
                + " folder");
    }

    /** Creates an error response whose body carries a state that agents act on, such as {@code held}. */
    static WindowHttpException withState(int status, String state, String error, String action) {
        return new WindowHttpException(status, error, action, null, state);
    }

    /**
     * Creates the 426 response for an agent whose version the server does not accept. Its body carries the state
     * {@code agent-version-not-accepted} and the accepted versions, and Retry-After sets the agent's next attempt.
     */
    static WindowHttpException agentVersionNotAccepted(String version, java.util.List<String> accepted,
            int retryAfterSeconds) {
        String listed = String.join(", ", accepted);
        WindowHttpException error = new WindowHttpException(426, "agent version " + (version == null ? "(none sent)"
                : version) + " is not accepted by this window server; accepted versions: " + listed,
                "install one of the accepted versions (" + listed + ") of the municipal agent and restart it; its"
                        + " files stay queued at the agent until then", Integer.toString(retryAfterSeconds),
                "agent-version-not-accepted");
        error.details = java.util.Map.of("acceptedVersions", accepted);
        return error;
    }

    /** Returns the extra fields of the response body, such as the accepted versions; empty for most errors. */
    java.util.Map<String, Object> details() {
        return details;
    }

    /** Returns the upload state for the response body, or null when the error has none. */
    String state() {
        return state;
    }

    String retryAfterSeconds() {
        return retryAfterSeconds;
    }

    int status() {
        return status;
    }

    String action() {
        return action;
    }
}
