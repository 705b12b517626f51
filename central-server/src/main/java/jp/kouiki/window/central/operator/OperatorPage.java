package jp.kouiki.window.central.operator;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * The operator page's static files, served from the classpath by name from a fixed list, so no request path ever
 * reaches the file system.
 */
final class OperatorPage {

    /** The page's files and their content types. */
    static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "operator.js", "text/javascript; charset=utf-8",
            "operator.css", "text/css; charset=utf-8");

    private OperatorPage() {
    }

    /** Returns the file's bytes, or null when the name is not one of the page's files. */
    static byte[] read(String name) throws IOException {
        if (!FILES.containsKey(name)) {
            return null;
        }
        try (InputStream in = OperatorPage.class.getResourceAsStream("/operator-page/" + name)) {
            if (in == null) {
                throw new IOException("operator page file " + name + " is missing from the classpath");
            }
            return in.readAllBytes();
        }
    }
}
