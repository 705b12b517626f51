package jp.kouiki.window.agent;

import java.io.IOException;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import jp.kouiki.window.calendar.JapaneseCalendar;
import jp.kouiki.window.config.Settings;
import jp.kouiki.window.pacing.ByteRate;
import jp.kouiki.window.pacing.PacingWindows;
import jp.kouiki.window.schedule.ScheduleSettings;
import jp.kouiki.window.schedule.TransferSchedule;

/**
 * The agent's pacing settings: bandwidth windows, the calendar they follow, priority classes, named schedules and the
 * status report.
 *
 * @param estimateRate        rate assumed for completion estimates while no cap applies
 * @param timeSliceMillis     time a bulk upload may keep its worker while other municipalities wait, in ms
 * @param maxWriteGapMillis   longest time between two paced writes of one upload that the step size aims at, in ms
 * @param statusIntervalMillis interval between writes of the status file, in ms
 */
public record PacingSettings(
        JapaneseCalendar calendar,
        PacingWindows windows,
        PriorityRules priority,
        List<ScheduleRule> schedules,
        ByteRate estimateRate,
        long timeSliceMillis,
        long maxWriteGapMillis,
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
                settings.number("agent.upload.max-write-gap-ms", 10, 3_600_000),
                settings.number("agent.status.interval-ms", 100, 3_600_000));
    }

    private static JapaneseCalendar calendar(Settings settings) throws IOException {
        return ScheduleSettings.calendar(settings, "agent.calendar.");
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
            ScheduleSettings.name(settings, "agent.schedules", name);
            rules.add(schedule(settings, name, calendar));
        }
        return List.copyOf(rules);
    }

    private static ScheduleRule schedule(Settings settings, String name, JapaneseCalendar calendar) {
        TransferSchedule schedule = ScheduleSettings.schedule(settings, SCHEDULE_PREFIX, name, calendar);
        String key = SCHEDULE_PREFIX + name + ".releases";
        String releases = settings.text(key);
        try {
            return ScheduleRule.of(schedule, releases);
        } catch (IllegalArgumentException e) {
            throw settings.invalid(key, releases, ScheduleRule.RELEASES_FORM + " (" + e.getMessage() + ")");
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
