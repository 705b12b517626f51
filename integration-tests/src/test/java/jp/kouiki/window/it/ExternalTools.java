package jp.kouiki.window.it;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * The rule for a test whose outside program (nginx, squid, Chromium, openssl, ip) is missing: it skips, or fails
 * under {@code -Dwindow.requireExternalTools=true}, which CI sets so that it always runs every test.
 */
final class ExternalTools {

    private ExternalTools() {
    }

    /** Ends the calling test with the message, which names the Debian package to install. */
    static void missing(String message) {
        if (Boolean.getBoolean("window.requireExternalTools")) {
            fail(message);
        }
        abort(message);
    }
}
