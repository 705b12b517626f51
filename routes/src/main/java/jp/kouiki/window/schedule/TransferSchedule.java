package jp.kouiki.window.schedule;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Optional;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

import jp.kouiki.window.calendar.DaySelector;
import jp.kouiki.window.calendar.JapaneseCalendar;

/**
 * A named transfer window: it opens at each time of a cron expression (five fields, minute hour day-of-month month
 * day-of-week, as in crontab, in Asia/Tokyo time) on the days its {@link DaySelector} allows, and stays open for a
 * fixed duration. {@code 0 22 * * *} with 8 hours and {@code weekday} is open from 22:00 to 06:00 after each business
 * day, and not after a national holiday.
 */
public final class TransferSchedule {

    /** The accepted cron form, for error messages. */
    public static final String CRON_FORM = "a crontab expression of five fields, minute hour day-of-month month"
            + " day-of-week, such as '0 22 * * *' for 22:00 every day";

    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    /** Openings looked at, backwards or forwards, before giving up; a year of daily openings. */
    private static final int MAX_OPENINGS_SCANNED = 400;

    private final String name;
    private final String cronText;
    private final ExecutionTime openings;
    private final Duration length;
    private final DaySelector days;
    private final JapaneseCalendar calendar;

    /**
     * @throws IllegalArgumentException when the cron expression is invalid or the length is not positive
     */
    public TransferSchedule(String name, String cron, Duration length, DaySelector days, JapaneseCalendar calendar) {
        if (length.isZero() || length.isNegative()) {
            throw new IllegalArgumentException("schedule " + name + " has a length of " + length
                    + "; expected a positive duration");
        }
        this.name = name;
        this.cronText = cron.strip();
        this.openings = ExecutionTime.forCron(parse(cronText));
        this.length = length;
        this.days = days;
        this.calendar = calendar;
    }

    private static Cron parse(String cron) {
        try {
            return PARSER.parse(cron).validate();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + cron + "' is not a valid cron expression (" + e.getMessage()
                    + "); expected " + CRON_FORM, e);
        }
    }

    public String name() {
        return name;
    }

    /** Returns whether the window is open at the given time. */
    public boolean isOpen(ZonedDateTime time) {
        return closesAt(time).isPresent();
    }

    /** Returns when the window that is open at the given time closes, or empty when none is open. */
    public Optional<ZonedDateTime> closesAt(ZonedDateTime time) {
        ZonedDateTime local = time.withZoneSameInstant(JapaneseCalendar.TOKYO);
        // An opening exactly now counts: look back from one second later.
        ZonedDateTime cursor = local.plusSeconds(1);
        for (int i = 0; i < MAX_OPENINGS_SCANNED; i++) {
            Optional<ZonedDateTime> opening = openings.lastExecution(cursor);
            if (opening.isEmpty() || !opening.get().plus(length).isAfter(local)) {
                return Optional.empty();
            }
            if (days.matches(opening.get().toLocalDate(), calendar)) {
                return Optional.of(opening.get().plus(length));
            }
            cursor = opening.get();
        }
        return Optional.empty();
    }

    /** Returns the next time the window opens after the given time, or empty when it never does within a year. */
    public Optional<ZonedDateTime> nextOpening(ZonedDateTime time) {
        ZonedDateTime cursor = time.withZoneSameInstant(JapaneseCalendar.TOKYO);
        for (int i = 0; i < MAX_OPENINGS_SCANNED; i++) {
            Optional<ZonedDateTime> opening = openings.nextExecution(cursor);
            if (opening.isEmpty()) {
                return Optional.empty();
            }
            if (days.matches(opening.get().toLocalDate(), calendar)) {
                return opening;
            }
            cursor = opening.get();
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return name + " (" + cronText + " for " + length.toMinutes() + " min on " + days + ")";
    }
}
