package jp.kouiki.window.agent;

import java.io.IOException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** A 429 or 503 response with a {@code Retry-After}, after which the agent waits that long before it tries again. */
final class CentralBusyException extends IOException {

    private static final long serialVersionUID = 1L;
    /** Maximum wait honoured, so that a wrong header cannot stop uploads for days. */
    static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

    private final int status;
    private final transient Duration retryAfter;

    CentralBusyException(int status, Duration retryAfter, String message) {
        super(message);
        this.status = status;
        this.retryAfter = retryAfter;
    }

    int status() {
        return status;
    }

    Duration retryAfter() {
        return retryAfter;
    }

    /**
     * Parses a {@code Retry-After} value, seconds or an HTTP date, into a wait of at most {@link #MAX_RETRY_AFTER};
     * returns null when the header is missing or invalid.
     */
    static Duration retryAfter(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String value = header.strip();
        Duration wait;
        try {
            wait = Duration.ofSeconds(Long.parseLong(value));
        } catch (NumberFormatException e) {
            try {
                wait = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(value,
                        DateTimeFormatter.RFC_1123_DATE_TIME));
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
        if (wait.isNegative()) {
            return Duration.ZERO;
        }
        return wait.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : wait;
    }
}
