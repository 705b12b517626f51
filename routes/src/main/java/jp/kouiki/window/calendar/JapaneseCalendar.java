package jp.kouiki.window.calendar;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.MonthDay;
import java.time.Year;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import de.focus_shift.jollyday.core.Holiday;
import de.focus_shift.jollyday.core.HolidayCalendar;
import de.focus_shift.jollyday.core.HolidayManager;
import de.focus_shift.jollyday.core.ManagerParameters;

/**
 * Days off in Japan: national holidays, weekends and the year-end closure of public offices (12/29 to 1/3, by the Act
 * on Holidays of Administrative Organs), all in Asia/Tokyo.
 *
 * <p>National holidays come from the Jollyday library's Japan calendar. Jollyday 2.19.0 lacks parts of the Act on
 * National Holidays that this class applies itself: the Vernal and Autumnal Equinox Days, the Emperor's Birthday on
 * February 23 from 2020 instead of December 23 (which stopped being a holiday in 2019), the substitute holiday for
 * every holiday that falls on a Sunday (not only Culture Day), and the citizens' holiday between two holidays. The
 * equinox dates are fixed each February for the next year by the National Astronomical Observatory of Japan. This
 * class estimates them with the commonly used approximation formula for 1980 to 2099, so a date it computes for a
 * year not yet announced is an estimate.
 *
 * <p>One-off holidays set by special laws (such as the moved holidays of 2020 and 2021) are not in any rule. The
 * Cabinet Office publishes the official list as {@code syukujitsu.csv}; when that file is given, its dates replace the
 * computed ones for every year it lists.
 */
public final class JapaneseCalendar {

    public static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");

    private static final MonthDay CLOSURE_START = MonthDay.of(12, 29);
    private static final MonthDay CLOSURE_END = MonthDay.of(1, 3);
    private static final DateTimeFormatter OFFICIAL_DATE = DateTimeFormatter.ofPattern("uuuu/M/d");

    private final HolidayManager jollyday;
    private final Map<Integer, NavigableMap<LocalDate, String>> officialByYear;
    private final Set<LocalDate> extraClosures;
    private final Map<Integer, NavigableMap<LocalDate, String>> cache = new ConcurrentHashMap<>();

    private JapaneseCalendar(Map<Integer, NavigableMap<LocalDate, String>> officialByYear,
            Set<LocalDate> extraClosures) {
        this.jollyday = HolidayManager.getInstance(ManagerParameters.create(HolidayCalendar.JAPAN));
        this.officialByYear = Map.copyOf(officialByYear);
        this.extraClosures = Set.copyOf(extraClosures);
    }

    /** Creates the calendar from the holiday rules alone. */
    public static JapaneseCalendar standard() {
        return new JapaneseCalendar(Map.of(), Set.of());
    }

    /**
     * Creates the calendar with the Cabinet Office's official holiday list and extra closure days.
     *
     * @param officialList the Cabinet Office's {@code syukujitsu.csv} (Windows-31J or UTF-8, lines {@code
     *                     2026/1/1,元日}), or null for the rules alone
     * @param extraClosures days the offices close besides weekends, holidays and 12/29 to 1/3
     * @throws IOException when the file cannot be read or has a line that is not a date and a name
     */
    public static JapaneseCalendar of(Path officialList, Set<LocalDate> extraClosures) throws IOException {
        Map<Integer, NavigableMap<LocalDate, String>> official = officialList == null
                ? Map.of()
                : readOfficialList(officialList);
        return new JapaneseCalendar(official, extraClosures);
    }

    public boolean isHoliday(LocalDate date) {
        return holidays(date.getYear()).containsKey(date);
    }

    /** Returns the holiday's name, in Japanese for the official list and in English otherwise. */
    public Optional<String> holidayName(LocalDate date) {
        return Optional.ofNullable(holidays(date.getYear()).get(date));
    }

    /** Returns whether the day is in the year-end closure (12/29 to 1/3) or is an extra closure day. */
    public boolean isClosure(LocalDate date) {
        MonthDay day = MonthDay.from(date);
        return !day.isBefore(CLOSURE_START) || !day.isAfter(CLOSURE_END) || extraClosures.contains(date);
    }

    public boolean isWeekend(LocalDate date) {
        return date.getDayOfWeek() == DayOfWeek.SATURDAY || date.getDayOfWeek() == DayOfWeek.SUNDAY;
    }

    /** Returns whether public offices are open: not a weekend, a national holiday or a closure day. */
    public boolean isBusinessDay(LocalDate date) {
        return !isWeekend(date) && !isHoliday(date) && !isClosure(date);
    }

    /** Returns the year's holidays (national holidays, substitute holidays and citizens' holidays) by date. */
    public NavigableMap<LocalDate, String> holidays(int year) {
        return cache.computeIfAbsent(year, this::computeHolidays);
    }

    private NavigableMap<LocalDate, String> computeHolidays(int year) {
        NavigableMap<LocalDate, String> official = officialByYear.get(year);
        if (official != null) {
            return Collections.unmodifiableNavigableMap(official);
        }
        NavigableMap<LocalDate, String> national = nationalHolidays(year);
        NavigableMap<LocalDate, String> all = new TreeMap<>(national);
        addCitizensHolidays(year, national, all);
        addSubstituteHolidays(year, national, all);
        return Collections.unmodifiableNavigableMap(all);
    }

    /** National holidays proper (国民の祝日): Jollyday's, corrected by the rules it lacks. */
    private NavigableMap<LocalDate, String> nationalHolidays(int year) {
        NavigableMap<LocalDate, String> national = new TreeMap<>();
        for (Holiday holiday : jollyday.getHolidays(Year.of(year))) {
            if (!holiday.getPropertiesKey().toUpperCase(Locale.ROOT).contains("BRIDGING")) {
                national.put(holiday.getDate(), holiday.getDescription(Locale.ENGLISH));
            }
        }
        // Jollyday moves Culture Day itself to Monday when November 3 is a Sunday; the holiday stays on the 3rd and
        // the Monday becomes its substitute holiday below.
        national.entrySet().removeIf(entry -> entry.getKey().getMonthValue() == 11 && entry.getKey().getDayOfMonth() == 4
                && entry.getKey().getDayOfWeek() == DayOfWeek.MONDAY);
        if (year >= 1948) {
            national.put(LocalDate.of(year, 11, 3), "Culture Day");
        }
        if (year >= 2019) {
            national.remove(LocalDate.of(year, 12, 23));
        }
        if (year >= 2020) {
            national.put(LocalDate.of(year, 2, 23), "Emperor's Birthday");
        }
        if (year >= 1980 && year <= 2099) {
            national.put(LocalDate.of(year, 3, equinoxDay(year, 20.8431)), "Vernal Equinox Day");
            national.put(LocalDate.of(year, 9, equinoxDay(year, 23.2488)), "Autumnal Equinox Day");
        }
        return national;
    }

    /** Estimates the equinox day of month with the approximation formula for 1980 to 2099. */
    private static int equinoxDay(int year, double base) {
        int elapsed = year - 1980;
        return (int) Math.floor(base + 0.242194 * elapsed - Math.floor(elapsed / 4.0));
    }

    /** A day between two national holidays that is neither a holiday nor a Sunday is a holiday (since 1986). */
    private static void addCitizensHolidays(int year, NavigableMap<LocalDate, String> national,
            NavigableMap<LocalDate, String> all) {
        if (year < 1986) {
            return;
        }
        for (LocalDate holiday : national.keySet()) {
            LocalDate between = holiday.plusDays(1);
            if (!national.containsKey(between) && national.containsKey(between.plusDays(1))
                    && between.getDayOfWeek() != DayOfWeek.SUNDAY) {
                all.put(between, "Citizens' Holiday");
            }
        }
    }

    /** A national holiday on a Sunday gives the next day that is not a national holiday off (rule since 2007). */
    private static void addSubstituteHolidays(int year, NavigableMap<LocalDate, String> national,
            NavigableMap<LocalDate, String> all) {
        if (year < 2007) {
            return;
        }
        for (LocalDate holiday : national.keySet()) {
            if (holiday.getDayOfWeek() == DayOfWeek.SUNDAY) {
                LocalDate substitute = holiday.plusDays(1);
                while (national.containsKey(substitute)) {
                    substitute = substitute.plusDays(1);
                }
                if (substitute.getYear() == year) {
                    all.put(substitute, "Substitute Holiday");
                }
            }
        }
    }

    private static Map<Integer, NavigableMap<LocalDate, String>> readOfficialList(Path file) throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            lines = Files.readAllLines(file, Charset.forName("windows-31j"));
        }
        Map<Integer, NavigableMap<LocalDate, String>> byYear = new HashMap<>();
        int lineNumber = 0;
        for (String line : lines) {
            lineNumber++;
            String text = line.strip().replace("\uFEFF", "");
            if (text.isEmpty() || lineNumber == 1 && !Character.isDigit(text.charAt(0))) {
                continue;
            }
            String[] fields = text.split(",", 2);
            try {
                LocalDate date = LocalDate.parse(fields[0].strip(), OFFICIAL_DATE);
                String name = fields.length > 1 ? fields[1].strip() : "";
                byYear.computeIfAbsent(date.getYear(), y -> new TreeMap<>()).put(date, name);
            } catch (DateTimeParseException e) {
                throw new IOException("line " + lineNumber + " of the holiday list " + file + " is '" + text
                        + "'; expected a date and a name such as 2026/1/1,元日, as in the Cabinet Office's"
                        + " syukujitsu.csv", e);
            }
        }
        return byYear;
    }
}
