package jp.kouiki.window.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.LocalDateTime;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import jp.kouiki.window.calendar.JapaneseCalendar;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.pacing.ByteRate;
import jp.kouiki.window.pacing.PacingWindows;

class BacklogEstimatorTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final long MB = 1_000_000;
    private static final BacklogEstimator.ScheduleClock NIGHTLY = (schedule, time) -> time.getHour() >= 22
            || time.getHour() < 6;

    @Test
    void usesRateOfEachUpcomingWindow() {
        BacklogEstimator estimator = estimator("daily 08:30-17:15 1MB/s; default 10MB/s");

        Map<MunicipalityCode, BacklogEstimator.Completion> completion = estimator.estimate(
                Map.of(CHIYODA, List.of(bulk(120 * MB))), tokyo("2026-12-04T17:14"));

        // 60 MB in the last capped minute, the other 60 MB at 10 MB/s in the next minute.
        assertEquals(tokyo("2026-12-04T17:16"), completion.get(CHIYODA).all());
    }

    @Test
    void sharesRateEquallyUntilSmallerBacklogIsDone() {
        BacklogEstimator estimator = estimator("default 1MB/s");

        Map<MunicipalityCode, BacklogEstimator.Completion> completion = estimator.estimate(
                Map.of(CHIYODA, List.of(bulk(60 * MB)), CHUO, List.of(bulk(600 * MB))), tokyo("2026-12-04T22:00"));

        assertEquals(tokyo("2026-12-04T22:02"), completion.get(CHIYODA).all());
        assertEquals(tokyo("2026-12-04T22:11"), completion.get(CHUO).all());
    }

    @Test
    void sendsDailyFilesBeforeBulk() {
        BacklogEstimator estimator = estimator("default 1MB/s");

        BacklogEstimator.Completion completion = estimator.estimate(
                Map.of(CHIYODA, List.of(bulk(600 * MB), daily(60 * MB))), tokyo("2026-12-04T10:00")).get(CHIYODA);

        assertEquals(tokyo("2026-12-04T10:01"), completion.daily());
        assertEquals(tokyo("2026-12-04T10:11"), completion.bulk());
    }

    @Test
    void waitsForScheduleToOpen() {
        BacklogEstimator estimator = estimator("default 1MB/s");
        BacklogEstimator.Item held = new BacklogEstimator.Item(60 * MB, PriorityClass.BULK, "nightly");

        BacklogEstimator.Completion completion = estimator.estimate(Map.of(CHIYODA, List.of(held)),
                tokyo("2026-12-04T20:00")).get(CHIYODA);

        assertEquals(tokyo("2026-12-04T22:01"), completion.bulk());
    }

    @Test
    void reportsNoCompletionBeyondHorizon() {
        BacklogEstimator estimator = estimator("default 1KB/s");

        BacklogEstimator.Completion completion = estimator.estimate(Map.of(CHIYODA, List.of(bulk(10_000 * MB))),
                tokyo("2026-12-04T10:00")).get(CHIYODA);

        assertNull(completion.all());
    }

    private static BacklogEstimator estimator(String windows) {
        return new BacklogEstimator(PacingWindows.parse(windows, JapaneseCalendar.standard()),
                ByteRate.parse("10MB/s"), NIGHTLY);
    }

    private static BacklogEstimator.Item bulk(long bytes) {
        return new BacklogEstimator.Item(bytes, PriorityClass.BULK, null);
    }

    private static BacklogEstimator.Item daily(long bytes) {
        return new BacklogEstimator.Item(bytes, PriorityClass.DAILY, null);
    }

    private static ZonedDateTime tokyo(String localTime) {
        return LocalDateTime.parse(localTime).atZone(JapaneseCalendar.TOKYO);
    }
}
