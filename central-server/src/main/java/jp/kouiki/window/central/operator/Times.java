package jp.kouiki.window.central.operator;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** Times as operators read them: Asia/Tokyo. */
final class Times {

    static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    private static final DateTimeFormatter SHORT = DateTimeFormatter.ofPattern("M/d HH:mm");

    private Times() {
    }

    /** Formats as ISO-8601 with the +09:00 offset, to the millisecond; null stays null. */
    static String iso(Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.MILLIS).atZone(TOKYO).toOffsetDateTime()
                .toString();
    }

    /** Parses what {@link #iso} wrote. */
    static Instant parse(String iso) {
        return java.time.OffsetDateTime.parse(iso).toInstant();
    }

    /** Formats as month/day hour:minute in Tokyo, for sentences. */
    static String brief(Instant instant) {
        return instant.atZone(TOKYO).format(SHORT);
    }

    /** Returns the start of today in Tokyo. */
    static Instant startOfToday() {
        return LocalDate.now(TOKYO).atStartOfDay(TOKYO).toInstant();
    }
}
