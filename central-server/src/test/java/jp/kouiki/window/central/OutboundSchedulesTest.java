package jp.kouiki.window.central;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.Properties;

import org.junit.jupiter.api.Test;

import jp.kouiki.window.calendar.JapaneseCalendar;
import jp.kouiki.window.config.Settings;

class OutboundSchedulesTest {

    private static final String SAPPORO = "011002";

    @Test
    void nightlyScheduleHoldsFilesDuringBusinessHours() throws IOException {
        OutboundSchedules schedules = nightly("all", "2026-12-04T15:00");

        assertThat(schedules.mayRelease(SAPPORO, "011002_HIHOKEN_20261204.csv")).isFalse();
        assertThat(schedules.mayRelease("all", "PREMIUM_20261204.csv")).isFalse();
        assertThat(schedules.waitingReason(SAPPORO, "011002_HIHOKEN_20261204.csv"))
                .isEqualTo("配信スケジュール nightly の枠を待っています（2026-12-04 22:00 に開始）/ waiting for release"
                        + " schedule nightly, which opens 2026-12-04 22:00 (Asia/Tokyo)");
    }

    @Test
    void nightlyScheduleReleasesInsideItsWindow() throws IOException {
        assertThat(nightly("all", "2026-12-04T22:00").mayRelease(SAPPORO, "011002_A.csv")).isTrue();
        assertThat(nightly("all", "2026-12-05T05:59").mayRelease(SAPPORO, "011002_A.csv")).isTrue();
        assertThat(nightly("all", "2026-12-05T06:00").mayRelease(SAPPORO, "011002_A.csv")).isFalse();
    }

    @Test
    void nightlyScheduleStaysClosedAfterOffdays() throws IOException {
        OutboundSchedules saturday = nightly("all", "2026-12-05T23:00");
        OutboundSchedules yearEnd = nightly("all", "2026-12-29T23:00");
        OutboundSchedules holiday = nightly("all", "2027-01-11T23:00");

        assertThat(saturday.waitingReason(SAPPORO, "011002_A.csv")).contains("opens 2026-12-07 22:00");
        assertThat(yearEnd.waitingReason(SAPPORO, "011002_A.csv")).contains("opens 2027-01-04 22:00");
        assertThat(holiday.waitingReason(SAPPORO, "011002_A.csv")).contains("opens 2027-01-12 22:00");
    }

    @Test
    void folderSelectorHoldsOnlyItsFolders() throws IOException {
        OutboundSchedules schedules = nightly("folder:all,012050", "2026-12-04T15:00");

        assertThat(schedules.mayRelease("all", "PREMIUM_20261204.csv")).isFalse();
        assertThat(schedules.mayRelease("012050", "012050_A.csv")).isFalse();
        assertNull(schedules.waitingReason(SAPPORO, "011002_A.csv"));
    }

    @Test
    void nameSelectorHoldsMatchingNames() throws IOException {
        OutboundSchedules schedules = nightly("name:.*_NENJI_.*", "2026-12-04T15:00");

        assertThat(schedules.mayRelease(SAPPORO, "011002_NENJI_2026.csv")).isFalse();
        assertThat(schedules.mayRelease(SAPPORO, "011002_DAILY_20261204.csv")).isTrue();
    }

    @Test
    void noScheduleReleasesEverything() throws IOException {
        OutboundSchedules schedules = OutboundSchedules.from(Settings.of(CentralSettings.DEFAULTS, new Properties()),
                Clock.systemUTC());

        assertThat(schedules.rules()).isEmpty();
        assertThat(schedules.mayRelease("all", "PREMIUM_20261204.csv")).isTrue();
    }

    @Test
    void rejectsUnknownSelectorNamingItsKey() {
        assertThatThrownBy(() -> nightly("class:bulk", "2026-12-04T15:00"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("central.outbound.schedule.nightly.releases")
                .hasMessageContaining("folder:all");
    }

    @Test
    void rejectsFolderWithWrongCheckDigit() {
        assertThatThrownBy(() -> nightly("folder:011001", "2026-12-04T15:00"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("central.outbound.schedule.nightly.releases");
    }

    private static OutboundSchedules nightly(String releases, String tokyoTime) throws IOException {
        Properties properties = new Properties();
        properties.setProperty("central.outbound.schedules", "nightly");
        properties.setProperty("central.outbound.schedule.nightly.cron", "0 22 * * *");
        properties.setProperty("central.outbound.schedule.nightly.length-minutes", "480");
        properties.setProperty("central.outbound.schedule.nightly.days", "weekday");
        properties.setProperty("central.outbound.schedule.nightly.releases", releases);
        Clock clock = Clock.fixed(ZonedDateTime.parse(tokyoTime + "+09:00[Asia/Tokyo]").toInstant(),
                JapaneseCalendar.TOKYO);
        return OutboundSchedules.from(Settings.of(CentralSettings.DEFAULTS, properties), clock);
    }
}
