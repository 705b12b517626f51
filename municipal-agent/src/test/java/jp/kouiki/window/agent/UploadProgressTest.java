package jp.kouiki.window.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import jp.kouiki.window.municipality.MunicipalityCode;

class UploadProgressTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final long MB = 1_000_000;
    private static final long SECOND = 1_000_000_000L;

    @Test
    void figuresGiveRateAndTimeLeft() {
        UploadProgress progress = new UploadProgress(CHIYODA, "131016_JUKI_20261204.csv", "f".repeat(32), 100 * MB, 0,
                0);

        progress.confirmed(25 * MB, 5 * SECOND);

        UploadProgress.Figures figures = progress.figures();
        assertEquals(25 * MB, figures.sent());
        assertEquals(25, figures.percent());
        assertEquals(5 * MB, figures.bytesPerSecond());
        assertEquals(15, figures.secondsLeft());
        assertEquals("25.0 MB of 100.0 MB (25 %), 5.0 MB/s, 0:00:15 left", figures.describe());
    }

    @Test
    void resumedUploadCountsRateFromResumeOffset() {
        UploadProgress progress = new UploadProgress(CHIYODA, "131016_JUKI_20261204.csv", "f".repeat(32), 100 * MB,
                60 * MB, 0);

        progress.confirmed(70 * MB, 2 * SECOND);

        assertEquals(5 * MB, progress.figures().bytesPerSecond());
        assertEquals(6, progress.figures().secondsLeft());
    }

    @Test
    void fastUploadLogsOncePerTenth() {
        UploadProgress progress = new UploadProgress(CHIYODA, "131016_JUKI_20261204.csv", "f".repeat(32), 100 * MB, 0,
                0);

        for (int chunk = 1; chunk <= 100; chunk++) {
            progress.confirmed(chunk * MB, chunk * SECOND / 10);
        }

        assertEquals(9, progress.linesLogged());
    }

    @Test
    void slowUploadLogsEveryInterval() {
        UploadProgress progress = new UploadProgress(CHIYODA, "131016_JUKI_20261204.csv", "f".repeat(32), 100 * MB, 0,
                0);

        for (int second = 1; second <= 60; second++) {
            progress.confirmed(second * MB / 10, second * SECOND);
        }

        assertEquals(6, progress.linesLogged());
    }

    @Test
    void smallFileLogsNothing() {
        UploadProgress progress = new UploadProgress(CHIYODA, "131016_JUKI_20261204.csv", "f".repeat(32), 2 * MB, 0, 0);

        progress.confirmed(MB, 20 * SECOND);

        assertEquals(0, progress.linesLogged());
        assertThat(progress.figures().describe()).startsWith("1.0 MB of 2.0 MB (50 %)");
    }
}
