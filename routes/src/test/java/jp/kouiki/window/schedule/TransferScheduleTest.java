package jp.kouiki.window.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZonedDateTime;

import org.junit.jupiter.api.Test;

import jp.kouiki.window.calendar.DaySelector;
import jp.kouiki.window.calendar.JapaneseCalendar;

class TransferScheduleTest {

    private static final JapaneseCalendar CALENDAR = JapaneseCalendar.standard();
    private static final TransferSchedule NIGHTLY = new TransferSchedule("nightly", "0 22 * * *",
            Duration.ofHours(8), DaySelector.parse("weekday"), CALENDAR);

    @Test
    void opensAfterBusinessDayAndRunsPastMidnight() {
        assertThat(NIGHTLY.isOpen(tokyo("2026-12-04T21:59"))).isFalse();
        assertThat(NIGHTLY.isOpen(tokyo("2026-12-04T22:00"))).isTrue();
        assertThat(NIGHTLY.isOpen(tokyo("2026-12-05T05:59"))).as("Friday's window on Saturday morning").isTrue();
        assertThat(NIGHTLY.isOpen(tokyo("2026-12-05T06:00"))).isFalse();
        assertThat(NIGHTLY.closesAt(tokyo("2026-12-04T23:00"))).hasValue(tokyo("2026-12-05T06:00"));
    }

    @Test
    void staysClosedOnWeekendsHolidaysAndClosure() {
        assertThat(NIGHTLY.isOpen(tokyo("2026-12-05T23:00"))).as("Saturday").isFalse();
        assertThat(NIGHTLY.isOpen(tokyo("2026-11-03T23:00"))).as("Culture Day").isFalse();
        assertThat(NIGHTLY.isOpen(tokyo("2026-11-02T23:00"))).as("the Monday before").isTrue();
        assertThat(NIGHTLY.isOpen(tokyo("2026-12-29T23:00"))).as("year-end closure").isFalse();
        assertThat(NIGHTLY.isOpen(tokyo("2027-01-11T23:00"))).as("Coming of Age Day").isFalse();
    }

    @Test
    void findsNextOpeningAfterHoliday() {
        assertThat(NIGHTLY.nextOpening(tokyo("2026-11-03T12:00"))).hasValue(tokyo("2026-11-04T22:00"));
        assertThat(NIGHTLY.nextOpening(tokyo("2026-12-28T23:00"))).as("after the year-end closure")
                .hasValue(tokyo("2027-01-04T22:00"));
    }

    @Test
    void rejectsInvalidCron() {
        assertThatThrownBy(() -> new TransferSchedule("nightly", "0 25 * * *", Duration.ofHours(1),
                DaySelector.daily(), CALENDAR))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'0 25 * * *' is not a valid cron expression")
                .hasMessageContaining("five fields");
    }

    private static ZonedDateTime tokyo(String localTime) {
        return LocalDateTime.parse(localTime).atZone(JapaneseCalendar.TOKYO);
    }
}
