package jp.kouiki.window.calendar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JapaneseCalendarTest {

    private static final JapaneseCalendar CALENDAR = JapaneseCalendar.standard();

    @TempDir
    Path folder;

    @Test
    void knowsFixedAndMondayHolidays() {
        assertThat(CALENDAR.isHoliday(LocalDate.of(2026, 11, 3))).as("Culture Day").isTrue();
        assertThat(CALENDAR.isHoliday(LocalDate.of(2027, 1, 11))).as("Coming of Age Day").isTrue();
        assertThat(CALENDAR.isHoliday(LocalDate.of(2026, 9, 21))).as("Respect for the Aged Day").isTrue();
        assertThat(CALENDAR.isHoliday(LocalDate.of(2026, 11, 2))).as("an ordinary Monday").isFalse();
    }

    @Test
    void addsSubstituteHolidayAfterSundayHoliday() {
        // 2026-05-03 is a Sunday and 5/4 and 5/5 are holidays, so the substitute is Wednesday 5/6.
        assertThat(CALENDAR.isHoliday(LocalDate.of(2026, 5, 6))).isTrue();
        // 2027-03-21, the Vernal Equinox Day, is a Sunday.
        assertThat(CALENDAR.isHoliday(LocalDate.of(2027, 3, 22))).isTrue();
        // 2025-11-03 (Culture Day) is a Monday: no substitute on the Tuesday.
        assertThat(CALENDAR.isHoliday(LocalDate.of(2025, 11, 4))).isFalse();
    }

    @Test
    void computesEquinoxDaysAndCitizensHoliday() {
        assertThat(CALENDAR.isHoliday(LocalDate.of(2026, 3, 20))).as("Vernal Equinox Day 2026").isTrue();
        assertThat(CALENDAR.isHoliday(LocalDate.of(2026, 9, 23))).as("Autumnal Equinox Day 2026").isTrue();
        assertThat(CALENDAR.isHoliday(LocalDate.of(2026, 9, 22))).as("citizens' holiday between them").isTrue();
        assertThat(CALENDAR.isHoliday(LocalDate.of(2025, 9, 23))).as("Autumnal Equinox Day 2025").isTrue();
    }

    @Test
    void movesEmperorsBirthdayToFebruary() {
        assertThat(CALENDAR.isHoliday(LocalDate.of(2026, 2, 23))).isTrue();
        assertThat(CALENDAR.isHoliday(LocalDate.of(2026, 12, 23))).isFalse();
    }

    @Test
    void countsSixteenHolidaysIn2026() {
        // 16 national holidays plus the substitute 5/6 and the citizens' holiday 9/22, as the Cabinet Office lists.
        assertThat(CALENDAR.holidays(2026)).hasSize(18);
    }

    @Test
    void closesFromDecember29ToJanuary3() {
        assertThat(CALENDAR.isClosure(LocalDate.of(2026, 12, 28))).isFalse();
        assertThat(CALENDAR.isClosure(LocalDate.of(2026, 12, 29))).isTrue();
        assertThat(CALENDAR.isClosure(LocalDate.of(2027, 1, 3))).isTrue();
        assertThat(CALENDAR.isClosure(LocalDate.of(2027, 1, 4))).isFalse();
        assertThat(CALENDAR.isBusinessDay(LocalDate.of(2027, 1, 4))).isTrue();
    }

    @Test
    void officialListReplacesComputedYear() throws IOException {
        Path list = folder.resolve("syukujitsu.csv");
        Files.writeString(list, "国民の祝日・休日月日,国民の祝日・休日名称\r\n2021/7/22,海の日\r\n2021/7/23,スポーツの日\r\n",
                Charset.forName("windows-31j"));

        JapaneseCalendar calendar = JapaneseCalendar.of(list, Set.of(LocalDate.of(2026, 8, 14)));

        assertThat(calendar.holidayName(LocalDate.of(2021, 7, 22))).hasValue("海の日");
        assertThat(calendar.isHoliday(LocalDate.of(2021, 7, 19))).as("moved away by the special law").isFalse();
        assertThat(calendar.isHoliday(LocalDate.of(2026, 11, 3))).as("years not listed are computed").isTrue();
        assertThat(calendar.isClosure(LocalDate.of(2026, 8, 14))).as("extra closure day").isTrue();
    }

    @Test
    void rejectsOfficialListWithBadLine() throws IOException {
        Path list = folder.resolve("syukujitsu.csv");
        Files.writeString(list, "2026/1/1,元日\n2026/13/1,unknown\n");

        assertThatThrownBy(() -> JapaneseCalendar.of(list, Set.of()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("line 2")
                .hasMessageContaining("2026/1/1,元日");
    }
}
