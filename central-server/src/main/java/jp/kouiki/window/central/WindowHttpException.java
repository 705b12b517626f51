package jp.kouiki.window.central;

/**
 * A failed window request, sent back as an error status and a JSON body with what was wrong and what the caller
 * should do.
 */
final class WindowHttpException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String action;

    WindowHttpException(int status, String error, String action) {
        super(error);
        this.status = status;
        this.action = action;
    }

    int status() {
        return status;
    }

    String action() {
        return action;
    }
}
