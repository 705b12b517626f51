package jp.kouiki.window.central.operator;

/** An operator request that cannot be served: the HTTP status, what was wrong and what to do. */
final class OperatorHttpException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;
    private final String action;

    OperatorHttpException(int status, String message, String action) {
        super(message);
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
