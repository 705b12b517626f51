package jp.kouiki.window.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files in a pickup folder that the pickup never takes, reported once each. */
class MisplacedFilesTest {

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
        MisplacedFiles misplaced = new MisplacedFiles(outbox, false, MisplacedFiles.OUTBOX);

        assertThat(misplaced.check()).containsExactly(file);
        assertThat(misplaced.check()).isEmpty();
    }

    @Test
    void folderInsideMunicipalityOutboxIsReported() throws Exception {
        Path nested = Files.createDirectories(chiyoda.resolve("2026-12"));
        Files.writeString(nested.resolve("KOKUHO_20261204.csv"), "x");
        Files.createDirectories(chiyoda.resolve("empty"));

        assertThat(new MisplacedFiles(outbox, false, MisplacedFiles.OUTBOX).check()).containsExactly(nested);
    }

    @Test
    void linkToFolderInsideMunicipalityOutboxIsReported() throws Exception {
        Path elsewhere = Files.createDirectories(outbox.resolve(".elsewhere"));
        Files.writeString(elsewhere.resolve("KOKUHO_20261204.csv"), "x");
        Path link = Files.createSymbolicLink(chiyoda.resolve("linked"), elsewhere);
        MisplacedFiles misplaced = new MisplacedFiles(outbox, false, MisplacedFiles.OUTBOX);

        assertThat(misplaced.check()).containsExactly(link);
        assertThat(misplaced.check()).isEmpty();
    }

    @Test
    void fileInMunicipalityOutboxIsNotReported() throws Exception {
        Files.writeString(chiyoda.resolve("KOKUHO_20261204.csv"), "x");
        Files.writeString(outbox.resolve(".hidden"), "x");

        assertThat(new MisplacedFiles(outbox, false, MisplacedFiles.OUTBOX).check()).isEmpty();
    }

    @Test
    void fileWithoutMarkerIsReportedAfterTheWait() throws Exception {
        Path waiting = Files.writeString(chiyoda.resolve("KOKUHO_20261204.csv"), "x");
        Path recent = Files.writeString(chiyoda.resolve("KOKUHO_20261205.csv"), "x");
        Path marked = Files.writeString(chiyoda.resolve("KOKUHO_20261203.csv"), "x");
        Files.writeString(chiyoda.resolve("KOKUHO_20261203.csv.done"), "");
        age(waiting);
        age(marked);

        assertThat(new MisplacedFiles(outbox, true, MisplacedFiles.OUTBOX).check()).containsExactly(waiting);
        assertThat(recent).exists();
    }

    @Test
    void markerWithoutFileIsReportedAfterTheWait() throws Exception {
        Path orphan = Files.writeString(chiyoda.resolve("131016_KYUFU_20261204.csv.done"), "");
        Path paired = Files.writeString(chiyoda.resolve("131016_KYUFU_20261203.csv.done"), "");
        Files.writeString(chiyoda.resolve("131016_KYUFU_20261203.csv"), "x");
        age(orphan);
        age(paired);

        assertThat(new MisplacedFiles(outbox, true, MisplacedFiles.OUTBOUND).check()).containsExactly(orphan);
    }

    @Test
    void missingMarkerIsIgnoredInQuietPeriodMode() throws Exception {
        age(Files.writeString(chiyoda.resolve("KOKUHO_20261204.csv"), "x"));

        assertThat(new MisplacedFiles(outbox, false, MisplacedFiles.OUTBOX).check()).isEmpty();
    }

    @Test
    void fileBackAfterRemovalIsReportedAgain() throws Exception {
        Path file = Files.writeString(outbox.resolve("KOKUHO_20261204.csv"), "x");
        MisplacedFiles misplaced = new MisplacedFiles(outbox, false, MisplacedFiles.OUTBOX);
        misplaced.check();
        Files.delete(file);
        misplaced.check();

        Files.writeString(file, "x");

        assertThat(misplaced.check()).containsExactly(file);
    }

    @Test
    void missingOutboxGivesNothing() {
        assertThat(new MisplacedFiles(outbox.resolve("absent"), true, MisplacedFiles.OUTBOX).check()).isEmpty();
    }

    private static void age(Path file) throws Exception {
        Instant before = Instant.now().minus(MisplacedFiles.MARKER_WAIT).minus(Duration.ofMinutes(1));
        Files.setLastModifiedTime(file, FileTime.from(before));
    }
}
