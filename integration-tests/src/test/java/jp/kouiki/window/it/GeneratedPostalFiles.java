package jp.kouiki.window.it;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Valid POSTAL interface files of any size, made by repeating one municipality's real Japan Post records (original
 * Windows-31J bytes with CRLF). Files are streamed to disk record by record, so a file of any size needs no more
 * memory than the records themselves.
 */
final class GeneratedPostalFiles {

    /** A file dropped into an outbox: where it belongs, its name and the bytes the union must receive. */
    record Expected(MunicipalityCode code, String name, long size, String sha256) {
    }

    private GeneratedPostalFiles() {
    }

    /** Returns the records of one municipality from the bundled Tokyo file, each with its CRLF. */
    static List<byte[]> records(MunicipalityCode code) throws IOException {
        String fiveDigits = code.fiveDigits();
        List<byte[]> records = TestFiles.tokyoRecords().stream()
                .filter(record -> new String(record, 0, 5, TestFiles.WINDOWS_31J).equals(fiveDigits))
                .toList();
        if (records.isEmpty()) {
            throw new IllegalArgumentException("the bundled Tokyo file has no records of " + code);
        }
        return records;
    }

    /**
     * Writes whole records into {@code folder} under a name starting with a dot, then renames the file to
     * {@code name}, as a municipal system should drop files. The file ends at the first record end at or after
     * {@code minimumBytes}, and its records start at {@code firstRecord} and wrap around, so that files of equal size
     * still differ. {@code beforeRename} receives the file's description before the file becomes visible under its
     * name, so that a watcher can register it before the agent picks the file up.
     */
    static Expected drop(Path folder, MunicipalityCode code, String name, List<byte[]> records, long minimumBytes,
            int firstRecord, Consumer<Expected> beforeRename) throws IOException {
        Files.createDirectories(folder);
        Path temporary = folder.resolve("." + name + ".tmp");
        MessageDigest digest = sha256Digest();
        long size = 0;
        try (OutputStream out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(temporary,
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 1024 * 1024), digest)) {
            int index = Math.floorMod(firstRecord, records.size());
            do {
                byte[] record = records.get(index);
                out.write(record);
                size += record.length;
                index = (index + 1) % records.size();
            } while (size < minimumBytes);
        }
        Expected expected = new Expected(code, name, size, HexFormat.of().formatHex(digest.digest()));
        beforeRename.accept(expected);
        Files.move(temporary, folder.resolve(name));
        return expected;
    }

    /** Returns the SHA-256 of a file in lowercase hexadecimal, reading it as a stream. */
    static String sha256(Path file) throws IOException {
        MessageDigest digest = sha256Digest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
