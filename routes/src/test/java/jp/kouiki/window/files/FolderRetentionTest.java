package jp.kouiki.window.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FolderRetentionTest {

    @TempDir
    Path root;

    @Test
    void datedFilesBeforeTheDayAreDeletedWhateverTheirModificationTime() throws Exception {
        Path folder = Files.createDirectories(root.resolve("131016"));
        Path old = Files.writeString(folder.resolve("20261101-090000-000_131016_POSTAL_20261101.csv"), "old");
        Path recent = Files.writeString(folder.resolve("20261204-090000-000_131016_POSTAL_20261204.csv"), "new");
        Path undated = Files.writeString(folder.resolve("notes.txt"), "kept");
        Files.setLastModifiedTime(recent, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));

        int deleted = FolderRetention.deleteDatedFilesBefore(root, LocalDate.of(2026, 11, 4));

        assertEquals(1, deleted);
        assertThat(old).doesNotExist();
        assertThat(recent).exists();
        assertThat(undated).exists();
    }

    @Test
    void entriesNotModifiedSinceTheLimitAreDeletedWithTheirContents() throws Exception {
        Path stale = Files.createDirectories(root.resolve("131016/0123456789abcdef0123456789abcdef"));
        Files.writeString(stale.resolve("ciphertext"), "x");
        Path fresh = Files.createDirectories(root.resolve("131016/fedcba9876543210fedcba9876543210"));
        Files.writeString(fresh.resolve("ciphertext"), "y");
        Path marker = Files.writeString(root.resolve("131016/00000000000000000000000000000000"), "stored");
        Instant longAgo = Instant.now().minus(Duration.ofDays(40));
        Files.setLastModifiedTime(stale.resolve("ciphertext"), FileTime.from(longAgo));
        Files.setLastModifiedTime(stale, FileTime.from(longAgo));
        Files.setLastModifiedTime(marker, FileTime.from(longAgo));

        int deleted = FolderRetention.deleteEntriesNotModifiedSince(root, Instant.now().minus(Duration.ofDays(30)));

        assertEquals(2, deleted);
        assertThat(stale).doesNotExist();
        assertThat(marker).doesNotExist();
        assertThat(fresh.resolve("ciphertext")).exists();
    }

    @Test
    void missingRootDeletesNothing() throws Exception {
        assertEquals(0, FolderRetention.deleteDatedFilesBefore(root.resolve("absent"), LocalDate.now()));
        assertEquals(0, FolderRetention.deleteEntriesNotModifiedSince(root.resolve("absent"), Instant.now()));
    }
}
