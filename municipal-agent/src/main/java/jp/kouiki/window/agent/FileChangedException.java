package jp.kouiki.window.agent;

import java.io.IOException;

/**
 * A file that changed between its check and the end of its queueing. It stays in the outbox and is taken again once
 * it is quiet, so the failure is logged once as a warning and not as an error of the route.
 */
final class FileChangedException extends IOException {

    private static final long serialVersionUID = 1L;

    FileChangedException(String message) {
        super(message);
    }
}
