package jp.kouiki.window.schedule;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashSet;
import java.util.Set;

import jp.kouiki.window.calendar.DaySelector;
import jp.kouiki.window.calendar.JapaneseCalendar;
import jp.kouiki.window.config.Settings;

/**
 * Reads the calendar and the named schedules that the agent and the central server configure the same way, under
 * their own key prefix ({@code agent.} or {@code central.}): {@code PREFIX calendar.holidays-file},
 * {@code PREFIX calendar.extra-closures} and, for a schedule NAME, {@code cron}, {@code length-minutes} and
 * {@code days} under {@code PREFIX schedule.NAME.}.
 */
public final class ScheduleSettings {

    /** The accepted form of a schedule name, for error messages. */
    public static final String NAME_FORM = "schedule names of 1 to 40 lowercase letters, digits and hyphens";

    private ScheduleSettings() {
    }

    /** Reads the Japanese calendar from {@code calendarPrefix + "holidays-file"} and {@code "extra-closures"}. */
    public static JapaneseCalendar calendar(Settings settings, String calendarPrefix) throws IOException {
        String key = calendarPrefix + "extra-closures";
        Set<LocalDate> closures = new LinkedHashSet<>();
        for (String day : settings.list(key)) {
            try {
                closures.add(LocalDate.parse(day));
            } catch (DateTimeParseException e) {
                throw settings.invalid(key, day, "comma-separated dates in the form 2026-08-14");
            }
        }
        String fileKey = calendarPrefix + "holidays-file";
        String file = settings.text(fileKey, "");
        try {
            return JapaneseCalendar.of(file.isEmpty() ? null : Path.of(file), closures);
        } catch (IOException e) {
            throw settings.invalid(fileKey, file, "the Cabinet Office's syukujitsu.csv or nothing ("
                    + e.getMessage() + ")");
        }
    }

    /** Checks a name listed under {@code listKey} as a schedule name. */
    public static String name(Settings settings, String listKey, String name) {
        if (!name.matches("[a-z0-9-]{1,40}")) {
            throw settings.invalid(listKey, name, NAME_FORM);
        }
        return name;
    }

    /** Reads the schedule {@code name} from the keys {@code cron}, {@code length-minutes} and {@code days} below it. */
    public static TransferSchedule schedule(Settings settings, String schedulePrefix, String name,
            JapaneseCalendar calendar) {
        String prefix = schedulePrefix + name + ".";
        String cron = settings.text(prefix + "cron");
        String days = settings.text(prefix + "days", "daily");
        DaySelector selector;
        try {
            selector = DaySelector.parse(days);
        } catch (IllegalArgumentException e) {
            throw settings.invalid(prefix + "days", days, DaySelector.FORM);
        }
        long minutes = settings.number(prefix + "length-minutes", 1, 7 * 24 * 60);
        try {
            return new TransferSchedule(name, cron, Duration.ofMinutes(minutes), selector, calendar);
        } catch (IllegalArgumentException e) {
            throw settings.invalid(prefix + "cron", cron, TransferSchedule.CRON_FORM);
        }
    }
}
