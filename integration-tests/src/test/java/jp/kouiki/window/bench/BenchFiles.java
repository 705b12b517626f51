package jp.kouiki.window.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import jp.kouiki.window.demo.PostalCsvSplitter;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * POSTAL interface files for the bench, made from the real Japan Post records of the bundled Tokyo file (Windows-31J,
 * CRLF). Every record's first column is set to the sender's five-digit code, so the agent's and the central server's
 * record checks accept the file for any municipality, also outside Tokyo.
 */
final class BenchFiles {

    /** A generated file: its path, size in bytes and SHA-256 in lowercase hexadecimal. */
    record Generated(Path path, long size, String sha256) {
    }

    private final List<byte[]> tokyoRecords;

    BenchFiles() throws IOException {
        this.tokyoRecords = readTokyoRecords();
    }

    /**
     * Writes whole records, starting at record {@code firstRecord} and wrapping around, until the file has at least
     * {@code minimumBytes}.
     */
    Generated write(Path file, MunicipalityCode code, long minimumBytes, int firstRecord) throws IOException {
        Files.createDirectories(file.getParent());
        byte[] column1 = code.fiveDigits().getBytes(StandardCharsets.US_ASCII);
        MessageDigest digest = sha256Digest();
        long size = 0;
        try (OutputStream out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(file,
                StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 1024 * 1024), digest)) {
            int index = Math.floorMod(firstRecord, tokyoRecords.size());
            do {
                byte[] record = tokyoRecords.get(index);
                out.write(column1);
                out.write(record, column1.length, record.length - column1.length);
                size += record.length;
                index = (index + 1) % tokyoRecords.size();
            } while (size < minimumBytes);
        }
        return new Generated(file, size, HexFormat.of().formatHex(digest.digest()));
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest = sha256Digest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static List<byte[]> readTokyoRecords() throws IOException {
        byte[] all;
        try (InputStream in = BenchFiles.class.getResourceAsStream(PostalCsvSplitter.BUNDLED_TOKYO_CSV)) {
            if (in == null) {
                throw new IOException("class path resource " + PostalCsvSplitter.BUNDLED_TOKYO_CSV + " is missing;"
                        + " build integration-tests first");
            }
            all = in.readAllBytes();
        }
        List<byte[]> records = new ArrayList<>();
        int start = 0;
        for (int i = 1; i < all.length; i++) {
            if (all[i - 1] == '\r' && all[i] == '\n') {
                records.add(Arrays.copyOfRange(all, start, i + 1));
                start = i + 1;
            }
        }
        return records;
    }

    private static MessageDigest sha256Digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
