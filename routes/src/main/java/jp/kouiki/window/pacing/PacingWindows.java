package jp.kouiki.window.pacing;

import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jp.kouiki.window.calendar.DaySelector;
import jp.kouiki.window.calendar.JapaneseCalendar;

/**
 * Upload rate caps by time window, in Asia/Tokyo time. Rules are separated by {@code ;} and the first rule that
 * matches the current time sets the cap:
 *
 * <pre>
 * weekday 08:30-17:15 2MB/s; offday 20MB/s; default 8MB/s
 * </pre>
 *
 * <p>A rule is {@code DAYS [HH:MM-HH:MM] RATE}: days as {@link DaySelector} reads them, an optional time range
 * ({@code 24:00} allowed as the end; an end before the start runs past midnight and belongs to the day it starts on),
 * and a {@link ByteRate}. The last rule may be {@code default RATE}, which applies when no other does; without it the
 * default is unlimited.
 */
public final class PacingWindows {

    /** The accepted form, for error messages. */
    public static final String FORM = "rules separated by ';', each 'DAYS [HH:MM-HH:MM] RATE' or a last"
            + " 'default RATE', for example 'weekday 08:30-17:15 2MB/s; default 0'";

    private static final Pattern RULE = Pattern.compile(
            "(\\S+)(?:\\s+(\\d{1,2}:\\d{2})-(\\d{1,2}:\\d{2}))?\\s+(\\S+(?:\\s*/s)?)");

    /** One window rule; {@code start} and {@code end} are null for a whole day. */
    public record Rule(DaySelector days, LocalTime start, LocalTime end, boolean endsAtMidnight, ByteRate rate,
            String text) {

        boolean matches(LocalDateTime time, JapaneseCalendar calendar) {
            if (start == null) {
                return days.matches(time.toLocalDate(), calendar);
            }
            LocalTime clock = time.toLocalTime();
            boolean crossesMidnight = !endsAtMidnight && end.isBefore(start);
            if (!crossesMidnight) {
                boolean beforeEnd = endsAtMidnight || clock.isBefore(end);
                return !clock.isBefore(start) && beforeEnd && days.matches(time.toLocalDate(), calendar);
            }
            if (!clock.isBefore(start)) {
                return days.matches(time.toLocalDate(), calendar);
            }
            return clock.isBefore(end) && days.matches(time.toLocalDate().minusDays(1), calendar);
        }
    }

    private final List<Rule> rules;
    private final ByteRate defaultRate;
    private final JapaneseCalendar calendar;

    private PacingWindows(List<Rule> rules, ByteRate defaultRate, JapaneseCalendar calendar) {
        this.rules = List.copyOf(rules);
        this.defaultRate = defaultRate;
        this.calendar = calendar;
    }

    /**
     * Parses window rules.
     *
     * @throws IllegalArgumentException naming the rule that is wrong and what was expected
     */
    public static PacingWindows parse(String text, JapaneseCalendar calendar) {
        List<Rule> rules = new ArrayList<>();
        ByteRate defaultRate = ByteRate.UNLIMITED;
        String[] parts = text.split(";");
        for (int i = 0; i < parts.length; i++) {
            String part = parts[i].strip();
            if (part.isEmpty()) {
                continue;
            }
            if (part.startsWith("default ") || part.equals("default")) {
                if (i != parts.length - 1 && !allBlank(parts, i + 1)) {
                    throw new IllegalArgumentException("rule '" + part + "' must be the last; rules after it would"
                            + " never apply");
                }
                defaultRate = rate(part.substring("default".length()).strip(), part);
                continue;
            }
            rules.add(rule(part));
        }
        return new PacingWindows(rules, defaultRate, calendar);
    }

    private static boolean allBlank(String[] parts, int from) {
        for (int i = from; i < parts.length; i++) {
            if (!parts[i].isBlank()) {
                return false;
            }
        }
        return true;
    }

    private static Rule rule(String part) {
        Matcher matcher = RULE.matcher(part);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("rule '" + part + "' is not 'DAYS [HH:MM-HH:MM] RATE'");
        }
        DaySelector days = DaySelector.parse(matcher.group(1));
        ByteRate rate = rate(matcher.group(4), part);
        if (matcher.group(2) == null) {
            return new Rule(days, null, null, false, rate, part);
        }
        LocalTime start = time(matcher.group(2), part);
        boolean endsAtMidnight = matcher.group(3).equals("24:00");
        LocalTime end = endsAtMidnight ? LocalTime.MIDNIGHT : time(matcher.group(3), part);
        if (!endsAtMidnight && end.equals(start)) {
            throw new IllegalArgumentException("rule '" + part + "' has an empty time range; use 00:00-24:00 for a"
                    + " whole day");
        }
        return new Rule(days, start, end, endsAtMidnight, rate, part);
    }

    private static LocalTime time(String text, String part) {
        try {
            return LocalTime.parse(text.length() == 4 ? "0" + text : text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("rule '" + part + "' has the time '" + text + "'; expected HH:MM from"
                    + " 00:00 to 23:59, or 24:00 as an end", e);
        }
    }

    private static ByteRate rate(String text, String part) {
        try {
            return ByteRate.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("rule '" + part + "': " + e.getMessage(), e);
        }
    }

    /** Returns the cap in force at the given time. */
    public ByteRate rateAt(ZonedDateTime time) {
        Rule rule = ruleAt(time);
        return rule == null ? defaultRate : rule.rate();
    }

    /** Returns the rule in force at the given time, or null when the default applies. */
    public Rule ruleAt(ZonedDateTime time) {
        LocalDateTime local = time.withZoneSameInstant(JapaneseCalendar.TOKYO).toLocalDateTime();
        for (Rule rule : rules) {
            if (rule.matches(local, calendar)) {
                return rule;
            }
        }
        return null;
    }

    public List<Rule> rules() {
        return rules;
    }
}
