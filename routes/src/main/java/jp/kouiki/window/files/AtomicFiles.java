package jp.kouiki.window.files;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;

/**
 * File operations that keep a half-written file out of sight and survive a crash: write under a temporary name,
 * fsync, rename, fsync the directory.
 */
public final class AtomicFiles {

    /** Name prefix of the temporaries written by {@link #writeAtomically}; readers skip dot-files. */
    public static final String TEMPORARY_PREFIX = ".tmp-";

    private AtomicFiles() {
    }

    /** Forces a file's content to disk. */
    public static void fsync(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    /** Forces a directory's entries to disk so that a rename inside it survives a power loss. */
    public static void fsyncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some file systems do not allow opening a directory; the rename is then as durable as they make it.
            if (!Files.isDirectory(directory)) {
                throw e;
            }
        }
    }

    /**
     * Renames a complete, fsynced file into place without replacing anything there. A rename leaves the file under
     * exactly one name whenever the process is killed, so it is in place once or not at all. A hard link and a delete
     * would leave two names for a moment: a file then taken from its place before the restart was placed again.
     *
     * <p>The check for an existing target and the rename are two steps. The callers' folders receive files from this
     * process alone, under the caller's lock; the systems that read them only take files away.
     *
     * @return false when the target already exists, leaving both files as they were
     */
    public static boolean publish(Path staged, Path target) throws IOException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            Files.move(staged, target);
        } catch (FileAlreadyExistsException e) {
            return false;
        }
        fsyncDirectory(target.toAbsolutePath().getParent());
        return true;
    }

    /**
     * Returns whether a staged file has another name, as an earlier version of {@link #publish} left it when the
     * process was killed between linking the file into place and deleting the staged name. The other name may since
     * have been moved within the file system. Returns false where the file system does not report link counts.
     */
    public static boolean hasOtherLinks(Path staged) throws IOException {
        try {
            return ((Number) Files.getAttribute(staged, "unix:nlink", LinkOption.NOFOLLOW_LINKS)).intValue() > 1;
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    /** Writes small content (a reason, a marker) atomically. */
    public static void writeAtomically(Path target, byte[] content) throws IOException {
        // A short temporary name, because the target's own name may already be close to the 255-byte limit.
        Path temporary = temporaryFor(target);
        Files.write(temporary, content);
        fsync(temporary);
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory(target.toAbsolutePath().getParent());
    }

    /**
     * Writes secret content (a keyset) atomically into a file only its owner may read, where the file system supports
     * POSIX permissions.
     */
    public static void writeOwnerOnlyAtomically(Path target, byte[] content) throws IOException {
        Path temporary = temporaryFor(target);
        if (target.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.write(temporary, content);
        fsync(temporary);
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory(target.toAbsolutePath().getParent());
    }

    /**
     * Deletes temporaries that a killed process left behind under a folder it alone writes to. Call it at start-up
     * only, before any writer runs, because a temporary being written looks the same.
     *
     * @return how many were deleted
     */
    public static int deleteLeftoverTemporaries(Path root, int maxDepth) throws IOException {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        int deleted = 0;
        try (Stream<Path> entries = Files.find(root, maxDepth, (path, attributes) -> attributes.isRegularFile()
                && path.getFileName().toString().startsWith(TEMPORARY_PREFIX))) {
            for (Path entry : entries.toList()) {
                if (Files.deleteIfExists(entry)) {
                    deleted++;
                }
            }
        }
        return deleted;
    }

    private static Path temporaryFor(Path target) {
        return target.resolveSibling(TEMPORARY_PREFIX + Long.toHexString(System.nanoTime()) + "-"
                + Thread.currentThread().getId());
    }

    /**
     * Creates a directory and its parents, refusing the directory itself when it is a symbolic link; the configured
     * roots above it are the administrator's choice.
     */
    public static Path createDirectories(Path directory) throws IOException {
        Path absolute = directory.toAbsolutePath().normalize();
        Files.createDirectories(absolute);
        refuseSymbolicLink(absolute);
        return absolute;
    }

    /** Throws when the path is a symbolic link, which could lead a write or read outside its folder. */
    public static void refuseSymbolicLink(Path path) throws IOException {
        if (Files.isSymbolicLink(path)) {
            throw new IOException("symbolic link rejected at " + path
                    + "; watched and destination folders must hold real files and folders only");
        }
    }
}
