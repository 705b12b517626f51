package jp.kouiki.window.pacing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.LocalDateTime;
import java.time.ZonedDateTime;

import org.junit.jupiter.api.Test;

import jp.kouiki.window.calendar.JapaneseCalendar;

class PacingWindowsTest {

    private static final JapaneseCalendar CALENDAR = JapaneseCalendar.standard();
    private static final PacingWindows OFFICE_HOURS = PacingWindows.parse(
            "weekday 08:30-17:15 2MB/s; offday 20MB/s; daily 22:00-06:00 0; default 8MB/s", CALENDAR);

    @Test
    void capsBusinessHoursOfWorkingDay() {
        // 2026-12-04 is a Friday.
        assertEquals(2_000_000, rateAt("2026-12-04T08:30").bytesPerSecond());
        assertEquals(2_000_000, rateAt("2026-12-04T17:14").bytesPerSecond());
        assertEquals(8_000_000, rateAt("2026-12-04T17:15").bytesPerSecond());
        assertEquals(8_000_000, rateAt("2026-12-04T08:29").bytesPerSecond());
    }

    @Test
    void treatsHolidaysAndClosureAsOffdays() {
        assertEquals(20_000_000, rateAt("2026-11-03T10:00").bytesPerSecond(), "Culture Day");
        assertEquals(20_000_000, rateAt("2027-01-11T10:00").bytesPerSecond(), "Coming of Age Day");
        assertEquals(20_000_000, rateAt("2026-05-06T10:00").bytesPerSecond(), "substitute holiday");
        assertEquals(20_000_000, rateAt("2026-12-29T10:00").bytesPerSecond(), "year-end closure");
        assertEquals(2_000_000, rateAt("2027-01-04T10:00").bytesPerSecond(), "working Monday after the closure");
    }

    @Test
    void windowPastMidnightBelongsToItsStartDay() {
        PacingWindows nights = PacingWindows.parse("fri 22:00-06:00 1MB/s; default 0", CALENDAR);

        assertEquals(1_000_000, nights.rateAt(tokyo("2026-12-04T23:00")).bytesPerSecond());
        assertEquals(1_000_000, nights.rateAt(tokyo("2026-12-05T05:59")).bytesPerSecond());
        assertThat(nights.rateAt(tokyo("2026-12-05T06:00")).isUnlimited()).isTrue();
        assertThat(nights.rateAt(tokyo("2026-12-05T23:00")).isUnlimited()).as("Saturday night").isTrue();
        assertThat(nights.rateAt(tokyo("2026-12-04T05:59")).isUnlimited()).as("Friday early morning").isTrue();
    }

    @Test
    void firstMatchingRuleWins() {
        assertEquals(20_000_000, rateAt("2026-12-05T05:59").bytesPerSecond(), "offday before the night rule");
        assertThat(rateAt("2026-12-04T23:00").isUnlimited()).as("Friday night").isTrue();
    }

    @Test
    void defaultIsUnlimitedWithoutDefaultRule() {
        PacingWindows windows = PacingWindows.parse("sat,sun 1MiB/s", CALENDAR);

        assertThat(windows.rateAt(tokyo("2026-12-04T10:00")).isUnlimited()).isTrue();
        assertEquals(1024 * 1024, windows.rateAt(tokyo("2026-12-05T10:00")).bytesPerSecond());
    }

    @Test
    void excludedDaysDoNotMatch() {
        PacingWindows windows = PacingWindows.parse("mon-fri,!holiday 1MB/s; default 0", CALENDAR);

        assertEquals(1_000_000, windows.rateAt(tokyo("2026-11-02T10:00")).bytesPerSecond());
        assertThat(windows.rateAt(tokyo("2026-11-03T10:00")).isUnlimited()).isTrue();
    }

    @Test
    void rejectsUnknownDayTerm() {
        assertThatThrownBy(() -> PacingWindows.parse("workday 08:30-17:15 2MB/s", CALENDAR))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'workday'")
                .hasMessageContaining("weekday (business day)");
    }

    @Test
    void rejectsRateWithoutUnit() {
        assertThatThrownBy(() -> PacingWindows.parse("weekday 08:30-17:15 2MB", CALENDAR))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'2MB' is not a rate");
    }

    @Test
    void rejectsRulesAfterDefault() {
        assertThatThrownBy(() -> PacingWindows.parse("default 0; weekday 1MB/s", CALENDAR))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be the last");
    }

    @Test
    void rejectsInvalidTime() {
        assertThatThrownBy(() -> PacingWindows.parse("weekday 25:00-26:00 1MB/s", CALENDAR))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'25:00'");
    }

    @Test
    void parsesRateUnits() {
        assertEquals(2_000_000, ByteRate.parse("2MB/s").bytesPerSecond());
        assertEquals(2 * 1024 * 1024, ByteRate.parse("2MiB/s").bytesPerSecond());
        assertEquals(12_500_000, ByteRate.parse("100Mbit/s").bytesPerSecond());
        assertEquals(512 * 1024, ByteRate.parse("512 KiB/s").bytesPerSecond());
        assertThat(ByteRate.parse("0").isUnlimited()).isTrue();
    }

    private static ByteRate rateAt(String localTime) {
        return OFFICE_HOURS.rateAt(tokyo(localTime));
    }

    private static ZonedDateTime tokyo(String localTime) {
        return LocalDateTime.parse(localTime).atZone(JapaneseCalendar.TOKYO);
    }
}
