package jp.kouiki.window.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path directory;

    @Test
    void bareFileNameIsWritten() throws Exception {
        // A name without a folder, as an operator passes it on the command line, is relative to the working folder.
        Path bare = Path.of("atomic-files-test-" + ProcessHandle.current().pid() + ".txt");
        try {
            AtomicFiles.writeAtomically(bare, "one".getBytes(StandardCharsets.UTF_8));
            AtomicFiles.writeOwnerOnlyAtomically(bare, "two".getBytes(StandardCharsets.UTF_8));

            assertThat(Files.readString(bare, StandardCharsets.UTF_8)).isEqualTo("two");
        } finally {
            Files.deleteIfExists(bare);
        }
    }

    @Test
    void publishMovesStagedFile() throws Exception {
        Path staged = write(".staged.tmp", "new content");
        Path target = directory.resolve("131016_POSTAL.csv");

        boolean published = AtomicFiles.publish(staged, target);

        assertThat(published).isTrue();
        assertThat(target).usingCharset(StandardCharsets.UTF_8).hasContent("new content");
        assertThat(staged).doesNotExist();
        assertThat(fileNames()).containsExactly("131016_POSTAL.csv");
    }

    @Test
    void leftoverTemporariesAreDeletedAndRecordsKept() throws Exception {
        Files.createDirectories(directory.resolve("131016"));
        AtomicFiles.writeAtomically(directory.resolve("131016/4ee75461843b628270c52ae6eaf92673"), new byte[] {1});
        Files.write(directory.resolve("131016/" + AtomicFiles.TEMPORARY_PREFIX + "7ba29ea373f-64"), new byte[] {2});
        Files.write(directory.resolve(AtomicFiles.TEMPORARY_PREFIX + "1-1"), new byte[] {3});

        int deleted = AtomicFiles.deleteLeftoverTemporaries(directory, 2);

        assertThat(deleted).isEqualTo(2);
        try (Stream<Path> files = Files.walk(directory)) {
            assertThat(files.filter(Files::isRegularFile).map(path -> directory.relativize(path).toString()))
                    .containsExactly("131016/4ee75461843b628270c52ae6eaf92673");
        }
    }

    @Test
    void stagedFileLinkedIntoPlaceHasOtherLinks() throws Exception {
        Path staged = write(".staged.tmp", "new content");
        assertThat(AtomicFiles.hasOtherLinks(staged)).isFalse();

        Files.createLink(directory.resolve("131016_KYUFU_20261204.csv"), staged);
        Files.move(directory.resolve("131016_KYUFU_20261204.csv"), directory.resolve("moved-on.csv"));

        assertThat(AtomicFiles.hasOtherLinks(staged)).isTrue();
    }

    @Test
    void publishKeepsExistingTarget() throws Exception {
        Path staged = write(".staged.tmp", "new content");
        Path target = write("131016_POSTAL.csv", "old content");

        boolean published = AtomicFiles.publish(staged, target);

        assertThat(published).isFalse();
        assertThat(target).usingCharset(StandardCharsets.UTF_8).hasContent("old content");
        assertThat(staged).usingCharset(StandardCharsets.UTF_8).hasContent("new content");
    }

    @Test
    void publishKeepsExistingSymbolicLink() throws Exception {
        Path staged = write(".staged.tmp", "new content");
        Path target = directory.resolve("link.csv");
        Files.createSymbolicLink(target, directory.resolve("dangling"));

        boolean published = AtomicFiles.publish(staged, target);

        assertThat(published).isFalse();
        assertThat(Files.isSymbolicLink(target)).as("target is still the link").isTrue();
        assertThat(directory.resolve("dangling")).doesNotExist();
        assertThat(staged).usingCharset(StandardCharsets.UTF_8).hasContent("new content");
    }

    @Test
    void publishOfMissingStagedFileFails() {
        Path staged = directory.resolve(".absent.tmp");
        Path target = directory.resolve("131016_POSTAL.csv");

        assertThatThrownBy(() -> AtomicFiles.publish(staged, target)).isInstanceOf(NoSuchFileException.class);
        assertThat(target).doesNotExist();
    }

    @Test
    void writeAtomicallyCreatesFile() throws Exception {
        Path target = directory.resolve("reason.txt");

        AtomicFiles.writeAtomically(target, "理由".getBytes(StandardCharsets.UTF_8));

        assertThat(target).hasBinaryContent("理由".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void writeAtomicallyReplacesContent() throws Exception {
        Path target = write("reason.txt", "a much longer old reason that must disappear");

        AtomicFiles.writeAtomically(target, "new".getBytes(StandardCharsets.US_ASCII));

        assertThat(target).usingCharset(StandardCharsets.UTF_8).hasContent("new");
        assertThat(fileNames()).as("no temporary file is left").containsExactly("reason.txt");
    }

    @Test
    void writeAtomicallyWritesEmptyContent() throws Exception {
        Path target = write("marker", "old");

        AtomicFiles.writeAtomically(target, new byte[0]);

        assertThat(target).isEmptyFile();
    }

    @Test
    void fsyncKeepsContent() throws Exception {
        Path file = write("data.csv", "content");

        AtomicFiles.fsync(file);
        AtomicFiles.fsyncDirectory(directory);

        assertThat(file).usingCharset(StandardCharsets.UTF_8).hasContent("content");
    }

    @Test
    void fsyncDirectoryOfMissingPathFails() {
        assertThatThrownBy(() -> AtomicFiles.fsyncDirectory(directory.resolve("absent")))
                .isInstanceOf(IOException.class);
    }

    @Test
    void refuseSymbolicLinkThrowsForLink() throws Exception {
        Path real = write("real.csv", "content");
        Path link = directory.resolve("link.csv");
        Files.createSymbolicLink(link, real);

        assertThatThrownBy(() -> AtomicFiles.refuseSymbolicLink(link))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("symbolic link rejected at " + link)
                .hasMessageContaining("real files and folders only");
    }

    @Test
    void refuseSymbolicLinkThrowsForDanglingLink() throws Exception {
        Path link = directory.resolve("link.csv");
        Files.createSymbolicLink(link, directory.resolve("absent"));

        assertThatThrownBy(() -> AtomicFiles.refuseSymbolicLink(link)).isInstanceOf(IOException.class);
    }

    @Test
    void refuseSymbolicLinkAcceptsRealFilesAndFolders() throws Exception {
        AtomicFiles.refuseSymbolicLink(write("real.csv", "content"));
        AtomicFiles.refuseSymbolicLink(directory);
        AtomicFiles.refuseSymbolicLink(directory.resolve("absent"));
    }

    @Test
    void createDirectoriesCreatesParents() throws Exception {
        Path nested = directory.resolve("a").resolve("b").resolve("c");

        Path created = AtomicFiles.createDirectories(nested);

        assertThat(created).isDirectory();
        assertThat(created).isEqualTo(nested.toAbsolutePath().normalize());
    }

    @Test
    void createDirectoriesAcceptsExistingDirectory() throws Exception {
        Path existing = Files.createDirectory(directory.resolve("inbound"));

        assertThat(AtomicFiles.createDirectories(existing)).isDirectory();
    }

    @Test
    void createDirectoriesNormalizesPath() throws Exception {
        Path created = AtomicFiles.createDirectories(directory.resolve("a").resolve("..").resolve("b"));

        assertThat(created).isEqualTo(directory.resolve("b").toAbsolutePath());
        assertThat(directory.resolve("a")).doesNotExist();
    }

    @Test
    void createDirectoriesRefusesSymlinkedDirectory() throws Exception {
        Path real = Files.createDirectory(directory.resolve("real"));
        Path link = directory.resolve("inbound");
        Files.createSymbolicLink(link, real);

        assertThatThrownBy(() -> AtomicFiles.createDirectories(link))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("symbolic link rejected at " + link);
    }

    @Test
    void createDirectoriesFailsOverFile() throws Exception {
        Path file = write("inbound", "not a folder");

        assertThatThrownBy(() -> AtomicFiles.createDirectories(file)).isInstanceOf(IOException.class);
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(directory.resolve(name), content, StandardCharsets.UTF_8);
    }

    private List<String> fileNames() throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }
}
