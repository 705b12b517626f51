package jp.kouiki.window.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files in the outbox that the pickup never takes, reported once each. */
class MisplacedOutboxFilesTest {

    @TempDir
    Path outbox;

    private Path chiyoda;

    @BeforeEach
    void createMunicipalityFolder() throws Exception {
        chiyoda = Files.createDirectories(outbox.resolve("131016"));
    }

    @Test
    void fileInOutboxRootIsReportedOnce() throws Exception {
        Path file = Files.writeString(outbox.resolve("KOKUHO_20261204.csv"), "x");
        MisplacedOutboxFiles misplaced = new MisplacedOutboxFiles(outbox, false);

        assertThat(misplaced.check()).containsExactly(file);
        assertThat(misplaced.check()).isEmpty();
    }

    @Test
    void folderInsideMunicipalityOutboxIsReported() throws Exception {
        Path nested = Files.createDirectories(chiyoda.resolve("2026-12"));
        Files.writeString(nested.resolve("KOKUHO_20261204.csv"), "x");
        Files.createDirectories(chiyoda.resolve("empty"));

        assertThat(new MisplacedOutboxFiles(outbox, false).check()).containsExactly(nested);
    }

    @Test
    void fileInMunicipalityOutboxIsNotReported() throws Exception {
        Files.writeString(chiyoda.resolve("KOKUHO_20261204.csv"), "x");
        Files.writeString(outbox.resolve(".hidden"), "x");

        assertThat(new MisplacedOutboxFiles(outbox, false).check()).isEmpty();
    }

    @Test
    void fileWithoutMarkerIsReportedAfterTheWait() throws Exception {
        Path waiting = Files.writeString(chiyoda.resolve("KOKUHO_20261204.csv"), "x");
        Path recent = Files.writeString(chiyoda.resolve("KOKUHO_20261205.csv"), "x");
        Path marked = Files.writeString(chiyoda.resolve("KOKUHO_20261203.csv"), "x");
        Files.writeString(chiyoda.resolve("KOKUHO_20261203.csv.done"), "");
        age(waiting);
        age(marked);

        assertThat(new MisplacedOutboxFiles(outbox, true).check()).containsExactly(waiting);
        assertThat(recent).exists();
    }

    @Test
    void missingMarkerIsIgnoredInQuietPeriodMode() throws Exception {
        age(Files.writeString(chiyoda.resolve("KOKUHO_20261204.csv"), "x"));

        assertThat(new MisplacedOutboxFiles(outbox, false).check()).isEmpty();
    }

    @Test
    void fileBackAfterRemovalIsReportedAgain() throws Exception {
        Path file = Files.writeString(outbox.resolve("KOKUHO_20261204.csv"), "x");
        MisplacedOutboxFiles misplaced = new MisplacedOutboxFiles(outbox, false);
        misplaced.check();
        Files.delete(file);
        misplaced.check();

        Files.writeString(file, "x");

        assertThat(misplaced.check()).containsExactly(file);
    }

    @Test
    void missingOutboxGivesNothing() {
        assertThat(new MisplacedOutboxFiles(outbox.resolve("absent"), true).check()).isEmpty();
    }

    private static void age(Path file) throws Exception {
        Instant before = Instant.now().minus(MisplacedOutboxFiles.MARKER_WAIT).minus(Duration.ofMinutes(1));
        Files.setLastModifiedTime(file, FileTime.from(before));
    }
}
