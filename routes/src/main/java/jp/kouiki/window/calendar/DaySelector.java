package jp.kouiki.window.calendar;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * A set of days written as comma-separated terms, any of which may match: day names and ranges ({@code mon},
 * {@code mon-fri}, {@code sat,sun}) and calendar terms. {@code weekday} is a business day (Monday to Friday, not a
 * national holiday, not a closure day); {@code offday} is any other day; {@code holiday} is a national, substitute or
 * citizens' holiday; {@code closure} is a day of the year-end closure (12/29 to 1/3) or an extra closure day;
 * {@code weekend} is Saturday or Sunday; {@code daily} is every day. A term starting with {@code !} excludes days:
 * {@code daily,!holiday} is every day except national holidays.
 */
public final class DaySelector {

    /** The accepted form, for error messages. */
    public static final String FORM = "comma-separated day terms: mon..sun, ranges such as mon-fri, weekday"
            + " (business day), offday, holiday, closure, weekend, daily, each optionally prefixed with ! to exclude";

    private static final List<String> DAY_NAMES = List.of("mon", "tue", "wed", "thu", "fri", "sat", "sun");

    private final String text;
    private final List<BiPredicate<LocalDate, JapaneseCalendar>> included;
    private final List<BiPredicate<LocalDate, JapaneseCalendar>> excluded;

    private DaySelector(String text, List<BiPredicate<LocalDate, JapaneseCalendar>> included,
            List<BiPredicate<LocalDate, JapaneseCalendar>> excluded) {
        this.text = text;
        this.included = included;
        this.excluded = excluded;
    }

    /** Every day. */
    public static DaySelector daily() {
        return parse("daily");
    }

    /**
     * Parses day terms.
     *
     * @throws IllegalArgumentException naming the unknown term and {@link #FORM}
     */
    public static DaySelector parse(String text) {
        List<BiPredicate<LocalDate, JapaneseCalendar>> included = new ArrayList<>();
        List<BiPredicate<LocalDate, JapaneseCalendar>> excluded = new ArrayList<>();
        for (String raw : text.toLowerCase(Locale.ROOT).split(",")) {
            String term = raw.strip();
            boolean exclude = term.startsWith("!");
            BiPredicate<LocalDate, JapaneseCalendar> predicate = term(exclude ? term.substring(1).strip() : term, text);
            (exclude ? excluded : included).add(predicate);
        }
        if (included.isEmpty()) {
            included.add((date, calendar) -> true);
        }
        return new DaySelector(text.strip(), List.copyOf(included), List.copyOf(excluded));
    }

    public boolean matches(LocalDate date, JapaneseCalendar calendar) {
        for (BiPredicate<LocalDate, JapaneseCalendar> predicate : excluded) {
            if (predicate.test(date, calendar)) {
                return false;
            }
        }
        for (BiPredicate<LocalDate, JapaneseCalendar> predicate : included) {
            if (predicate.test(date, calendar)) {
                return true;
            }
        }
        return false;
    }

    private static BiPredicate<LocalDate, JapaneseCalendar> term(String term, String text) {
        switch (term) {
            case "daily":
                return (date, calendar) -> true;
            case "weekday":
                return (date, calendar) -> calendar.isBusinessDay(date);
            case "offday":
                return (date, calendar) -> !calendar.isBusinessDay(date);
            case "holiday":
                return (date, calendar) -> calendar.isHoliday(date);
            case "closure":
                return (date, calendar) -> calendar.isClosure(date);
            case "weekend":
                return (date, calendar) -> calendar.isWeekend(date);
            default:
                Set<DayOfWeek> days = dayNames(term, text);
                return (date, calendar) -> days.contains(date.getDayOfWeek());
        }
    }

    private static Set<DayOfWeek> dayNames(String term, String text) {
        String[] ends = term.split("-", -1);
        int first = DAY_NAMES.indexOf(ends[0].strip());
        int last = ends.length == 2 ? DAY_NAMES.indexOf(ends[1].strip()) : first;
        if (ends.length > 2 || first < 0 || last < 0) {
            throw new IllegalArgumentException("'" + term + "' in '" + text.strip() + "' is not a day term; expected "
                    + FORM);
        }
        Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
        for (int i = first; ; i = (i + 1) % 7) {
            days.add(DayOfWeek.of(i + 1));
            if (i == last) {
                return days;
            }
        }
    }

    @Override
    public String toString() {
        return text;
    }
}
