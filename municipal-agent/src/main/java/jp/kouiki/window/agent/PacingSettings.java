package jp.kouiki.window.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import jp.kouiki.window.calendar.DaySelector;
import jp.kouiki.window.calendar.JapaneseCalendar;
import jp.kouiki.window.config.Settings;
import jp.kouiki.window.pacing.ByteRate;
import jp.kouiki.window.pacing.PacingWindows;
import jp.kouiki.window.schedule.TransferSchedule;

/**
 * The agent's pacing settings: bandwidth windows, the calendar they follow, priority classes, named schedules and the
 * status report.
 *
 * @param estimateRate        rate assumed for completion estimates while no cap applies
 * @param timeSliceMillis     time a bulk upload may keep its worker while other municipalities wait, in ms
 * @param statusIntervalMillis interval between writes of the status file, in ms
 */
public record PacingSettings(
        JapaneseCalendar calendar,
        PacingWindows windows,
        PriorityRules priority,
        List<ScheduleRule> schedules,
        ByteRate estimateRate,
        long timeSliceMillis,
        long statusIntervalMillis) {

    /** Start of the keys of a named schedule, {@code agent.schedule.<name>.cron} and the rest. */
    static final String SCHEDULE_PREFIX = "agent.schedule.";

    static final String WINDOWS_KEY = "agent.pacing.windows";

    static PacingSettings from(Settings settings) throws IOException {
        JapaneseCalendar calendar = calendar(settings);
        return new PacingSettings(
                calendar,
                windows(settings, calendar),
                priority(settings),
                schedules(settings, calendar),
                rate(settings, "agent.pacing.estimate-rate"),
                settings.number("agent.upload.time-slice-ms", 100, 86_400_000),
                settings.number("agent.status.interval-ms", 100, 3_600_000));
    }

    private static JapaneseCalendar calendar(Settings settings) throws IOException {
        String key = "agent.calendar.extra-closures";
        Set<LocalDate> closures = new LinkedHashSet<>();
        for (String day : settings.list(key)) {
            try {
                closures.add(LocalDate.parse(day));
            } catch (DateTimeParseException e) {
                throw settings.invalid(key, day, "comma-separated dates in the form 2026-08-14");
            }
        }
        String file = settings.text("agent.calendar.holidays-file", "");
        try {
            return JapaneseCalendar.of(file.isEmpty() ? null : Path.of(file), closures);
        } catch (IOException e) {
            throw settings.invalid("agent.calendar.holidays-file", file, "the Cabinet Office's syukujitsu.csv or"
                    + " nothing (" + e.getMessage() + ")");
        }
    }

    private static PacingWindows windows(Settings settings, JapaneseCalendar calendar) {
        String value = settings.text(WINDOWS_KEY, "default 0");
        try {
            return PacingWindows.parse(value, calendar);
        } catch (IllegalArgumentException e) {
            throw settings.invalid(WINDOWS_KEY, value, PacingWindows.FORM + " (" + e.getMessage() + ")");
        }
    }

    private static ByteRate rate(Settings settings, String key) {
        String value = settings.text(key);
        try {
            return ByteRate.parse(value);
        } catch (IllegalArgumentException e) {
            throw settings.invalid(key, value, ByteRate.FORM);
        }
    }

    private static PriorityRules priority(Settings settings) {
        Set<String> kinds = new LinkedHashSet<>();
        settings.list("agent.priority.bulk-kinds").forEach(kind -> kinds.add(kind.toUpperCase(Locale.ROOT)));
        String patternKey = "agent.priority.bulk-name-pattern";
        String pattern = settings.text(patternKey, "");
        Pattern namePattern;
        try {
            namePattern = pattern.isEmpty() ? null : Pattern.compile(pattern);
        } catch (PatternSyntaxException e) {
            throw settings.invalid(patternKey, pattern, "a Java regular expression matching whole file names, or"
                    + " nothing (" + e.getDescription() + ")");
        }
        String deadlineKey = "agent.priority.bulk-deadline";
        String deadline = settings.text(deadlineKey, "");
        LocalTime bulkDeadline;
        try {
            bulkDeadline = deadline.isEmpty() ? null : LocalTime.parse(deadline.length() == 4 ? "0" + deadline
                    : deadline);
        } catch (DateTimeParseException e) {
            throw settings.invalid(deadlineKey, deadline, "a time of day HH:MM (Asia/Tokyo), such as 02:00, or"
                    + " nothing for no deadline");
        }
        return new PriorityRules(settings.number("agent.priority.bulk-min-bytes", 0, Long.MAX_VALUE),
                Set.copyOf(kinds), namePattern, bulkDeadline);
    }

    private static List<ScheduleRule> schedules(Settings settings, JapaneseCalendar calendar) {
        List<ScheduleRule> rules = new ArrayList<>();
        for (String name : settings.list("agent.schedules")) {
            if (!name.matches("[a-z0-9-]{1,40}")) {
                throw settings.invalid("agent.schedules", name, "schedule names of 1 to 40 lowercase letters, digits"
                        + " and hyphens");
            }
            rules.add(schedule(settings, name, calendar));
        }
        return List.copyOf(rules);
    }

    private static ScheduleRule schedule(Settings settings, String name, JapaneseCalendar calendar) {
        String prefix = SCHEDULE_PREFIX + name + ".";
        String cron = settings.text(prefix + "cron");
        String days = settings.text(prefix + "days", "daily");
        DaySelector selector;
        try {
            selector = DaySelector.parse(days);
        } catch (IllegalArgumentException e) {
            throw settings.invalid(prefix + "days", days, DaySelector.FORM);
        }
        long minutes = settings.number(prefix + "length-minutes", 1, 7 * 24 * 60);
        TransferSchedule schedule;
        try {
            schedule = new TransferSchedule(name, cron, Duration.ofMinutes(minutes), selector, calendar);
        } catch (IllegalArgumentException e) {
            throw settings.invalid(prefix + "cron", cron, TransferSchedule.CRON_FORM);
        }
        String releases = settings.text(prefix + "releases");
        try {
            return ScheduleRule.of(schedule, releases);
        } catch (IllegalArgumentException e) {
            throw settings.invalid(prefix + "releases", releases, ScheduleRule.RELEASES_FORM + " ("
                    + e.getMessage() + ")");
        }
    }

    /** Returns the first schedule whose selector matches the file, or null when it may be sent at any time. */
    ScheduleRule scheduleFor(jp.kouiki.window.municipality.MunicipalityCode code,
            jp.kouiki.window.transfer.FileManifest manifest, PriorityClass fileClass) {
        for (ScheduleRule rule : schedules) {
            if (rule.holds(code, manifest, fileClass)) {
                return rule;
            }
        }
        return null;
    }
}
