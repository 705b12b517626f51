package jp.kouiki.window.agent;

import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.stream.Collectors;

import jp.kouiki.window.calendar.JapaneseCalendar;

/**
 * Evaluates the agent's named schedules. It builds the filter that keeps files of closed schedules in their queue,
 * and reports to an upload in progress whether its schedule is still open. Files of a schedule no longer configured
 * are sent at once.
 */
final class ScheduleGate {

    private final List<ScheduleRule> rules;
    private final Clock clock;

    ScheduleGate(List<ScheduleRule> rules, Clock clock) {
        this.rules = List.copyOf(rules);
        this.clock = clock;
    }

    /** Returns whether files of the named schedule may be sent now. */
    boolean isOpen(String schedule) {
        return isOpenAt(schedule, ZonedDateTime.now(clock.withZone(JapaneseCalendar.TOKYO)));
    }

    /** Returns whether files of the named schedule may be sent at the given time. */
    boolean isOpenAt(String schedule, ZonedDateTime time) {
        for (ScheduleRule rule : rules) {
            if (rule.schedule().name().equals(schedule)) {
                return rule.schedule().isOpen(time);
            }
        }
        return true;
    }

    /** Returns when the named schedule next opens after the given time, or null when it is unknown or never opens. */
    ZonedDateTime nextOpening(String schedule, ZonedDateTime time) {
        for (ScheduleRule rule : rules) {
            if (rule.schedule().name().equals(schedule)) {
                return rule.schedule().nextOpening(time).orElse(null);
            }
        }
        return null;
    }

    /** Returns an Artemis filter that lets through only files whose schedule is open, or null when all are. */
    String consumerFilter() {
        ZonedDateTime now = ZonedDateTime.now(clock.withZone(JapaneseCalendar.TOKYO));
        List<String> closed = rules.stream()
                .filter(rule -> !rule.schedule().isOpen(now))
                .map(rule -> "'" + rule.schedule().name() + "'")
                .toList();
        if (closed.isEmpty()) {
            return null;
        }
        return QueuedFile.SCHEDULE + " IS NULL OR " + QueuedFile.SCHEDULE + " NOT IN ("
                + closed.stream().collect(Collectors.joining(",")) + ")";
    }

    List<ScheduleRule> rules() {
        return rules;
    }
}
