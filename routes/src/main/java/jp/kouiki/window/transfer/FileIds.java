package jp.kouiki.window.transfer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import jp.kouiki.window.municipality.MunicipalityCode;

/** Derives file ids and formats digests. */
public final class FileIds {

    private FileIds() {
    }

    /**
     * Derives the id of one drop of a file from the municipality, name, size, modification time, the drop identity
     * (inode and status-change time, see {@link #dropIdentity}) and the content digest. The same drop picked up again
     * after a crash gets the same id, so duplicate detection drops the second copy. A file dropped again, even with
     * the same name, bytes and preserved modification time, has a new inode or status-change time and so a new id.
     */
    public static String derive(MunicipalityCode code, String fileName, long size, long lastModifiedMillis,
            String dropIdentity, String sha256Hex) {
        String identity = code + "\n" + fileName + "\n" + size + "\n" + lastModifiedMillis + "\n" + dropIdentity
                + "\n" + sha256Hex;
        return hex(sha256().digest(identity.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
    }

    /**
     * Describes the file object behind a path: on Unix its device, inode and status-change time, which a rename into
     * the folder or a copy changes but a restart does not; elsewhere its file key and creation time.
     */
    public static String dropIdentity(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        Object changed;
        try {
            changed = Files.getAttribute(file, "unix:ctime", LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            changed = attributes.creationTime();
        }
        return attributes.fileKey() + ";" + changed;
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
