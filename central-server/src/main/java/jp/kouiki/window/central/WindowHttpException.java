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

    WindowHttpException(int status, String error, String action) {
        this(status, error, action, null);
    }

    /** Creates an error response that tells the caller how many seconds to wait before retrying. */
    WindowHttpException(int status, String error, String action, String retryAfterSeconds) {
        super(error);
        this.status = status;
        this.action = action;
        this.retryAfterSeconds = retryAfterSeconds;
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
