package jp.kouiki.window.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** Deletes what a folder has kept longer than its retention time, so that archives do not fill the disk. */
public final class FolderRetention {

    private static final DateTimeFormatter DAY = DateTimeFormatter.BASIC_ISO_DATE;

    private FolderRetention() {
    }

    /**
     * Deletes files directly below {@code root}'s subfolders whose names start with a {@code yyyyMMdd} date before
     * {@code keepFrom}, as the agent names files in {@code sent/<code>/}. A file's own modification time is not
     * used, because moving a file keeps the time its author gave it.
     *
     * @return the number of files deleted
     */
    public static int deleteDatedFilesBefore(Path root, LocalDate keepFrom) throws IOException {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        int deleted = 0;
        try (Stream<Path> files = Files.find(root, 2, (path, attributes) -> attributes.isRegularFile())) {
            for (Path file : files.toList()) {
                LocalDate day = datePrefix(file.getFileName().toString());
                if (day != null && day.isBefore(keepFrom) && Files.deleteIfExists(file)) {
                    deleted++;
                }
            }
        }
        return deleted;
    }

    /**
     * Deletes the entries directly below {@code root}'s subfolders (files, or folders with their contents) that have not
     * been modified since {@code limit}.
     *
     * @return the number of entries deleted
     */
    public static int deleteEntriesNotModifiedSince(Path root, Instant limit) throws IOException {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        int deleted = 0;
        try (Stream<Path> entries = Files.find(root, 2, (path, attributes) -> path.getNameCount()
                == root.getNameCount() + 2)) {
            for (Path entry : entries.toList()) {
                if (lastModified(entry).isBefore(limit)) {
                    deleteRecursively(entry);
                    deleted++;
                }
            }
        }
        return deleted;
    }

    private static Instant lastModified(Path entry) throws IOException {
        if (!Files.isDirectory(entry)) {
            return Files.getLastModifiedTime(entry).toInstant();
        }
        try (Stream<Path> contents = Files.walk(entry)) {
            Instant latest = Instant.EPOCH;
            for (Path path : contents.toList()) {
                Instant modified = Files.readAttributes(path, BasicFileAttributes.class).lastModifiedTime().toInstant();
                if (modified.isAfter(latest)) {
                    latest = modified;
                }
            }
            return latest;
        }
    }

    private static void deleteRecursively(Path entry) throws IOException {
        try (Stream<Path> contents = Files.walk(entry)) {
            List<Path> paths = contents.sorted(Comparator.reverseOrder()).toList();
            for (Path path : paths) {
                Files.deleteIfExists(path);
            }
        }
    }

    private static LocalDate datePrefix(String name) {
        if (name.length() < 8) {
            return null;
        }
        try {
            return LocalDate.parse(name.substring(0, 8), DAY);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
