package jp.kouiki.window.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LedgerEntriesTest {

    @TempDir
    Path root;

    @Test
    void entriesComeInWrittenOrder() throws Exception {
        Path folder = Files.createDirectories(root.resolve("131016"));
        Instant start = Instant.parse("2026-12-04T00:00:00Z");
        Path third = written(folder.resolve("0000000000000000000000000000000a"), start.plusSeconds(3));
        Path first = written(folder.resolve("ffffffffffffffffffffffffffffffff"), start.plusSeconds(1));
        Path secondByName = written(folder.resolve("1111111111111111111111111111111b"), start.plusSeconds(2));
        Path secondSameTime = written(folder.resolve("1111111111111111111111111111111c"), start.plusSeconds(2));
        written(folder.resolve(AtomicFiles.TEMPORARY_PREFIX + "1-1"), start);

        assertThat(LedgerEntries.inWrittenOrder(root, 2)).containsExactly(first, secondByName, secondSameTime, third);
        assertThat(LedgerEntries.inWrittenOrder(folder, 1)).containsExactly(first, secondByName, secondSameTime,
                third);
        assertThat(LedgerEntries.inWrittenOrder(root.resolve("absent"), 1)).isEmpty();
    }

    private static Path written(Path file, Instant at) throws Exception {
        Files.writeString(file, "entry");
        Files.setLastModifiedTime(file, FileTime.from(at));
        return file;
    }
}
