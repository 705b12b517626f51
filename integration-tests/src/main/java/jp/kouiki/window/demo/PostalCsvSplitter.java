package jp.kouiki.window.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jp.kouiki.window.municipality.Municipality;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;

/**
 * Splits a Japan Post postal code CSV file (Windows-31J, CRLF, no header) into one file per municipality, named
 * {@code <six-digit code>_POSTAL_<yyyyMMdd>.csv}, for use as demo interface files.
 *
 * <p>The splitter works on bytes and never decodes the records, so every output file contains the original record
 * bytes. This is safe for Windows-31J because the second byte of a double-byte character lies in 0x40-0x7E or
 * 0x80-0xFC, so the bytes CR (0x0D), LF (0x0A) and comma (0x2C) occur only as themselves.
 */
public final class PostalCsvSplitter {

    /** Classpath location of Japan Post's file for Tokyo (62 municipalities, 4,087 records). */
    public static final String BUNDLED_TOKYO_CSV = "/postal/13TOKYO.CSV";

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte COMMA = ',';
    private static final int CODE_LENGTH = 5;
    private static final DateTimeFormatter FILE_NAME_DATE = DateTimeFormatter.ofPattern("yyyyMMdd");
    private static final Charset WINDOWS_31J = Charset.forName("windows-31j");

    private PostalCsvSplitter() {
    }

    /**
     * One output file of a split.
     *
     * @param code             six-digit code with check digit
     * @param municipalityName name from the municipality list
     * @param file             path of the written file
     * @param bytes            file size in bytes
     * @param records          number of records (lines) in the file
     * @param sha256Hex        SHA-256 digest of the file in lowercase hex
     */
    public record SplitFile(MunicipalityCode code, String municipalityName, Path file, long bytes, int records,
                            String sha256Hex) {
    }

    /** Records of one municipality, collected in input order. */
    private static final class Group {

        private final Municipality municipality;
        private final ByteArrayOutputStream content = new ByteArrayOutputStream();
        private int records;

        Group(Municipality municipality) {
            this.municipality = municipality;
        }
    }

    /** Splits a CSV file, see {@link #split(InputStream, Path, MunicipalityDirectory, LocalDate)}. */
    public static List<SplitFile> split(Path csv, Path outputDirectory, MunicipalityDirectory directory,
                                        LocalDate date) throws IOException {
        try (InputStream in = Files.newInputStream(csv)) {
            return split(in, outputDirectory, directory, date);
        }
    }

    /**
     * Splits a CSV stream into one file per municipality in the output directory, which is created if missing.
     * Records keep their input order within each file, and the returned list follows the order in which each code
     * first appears. The whole input is checked before any file is written, so invalid input writes nothing. An
     * existing output file of the same name is replaced.
     *
     * @throws IOException when a line does not end with CRLF, is empty, or does not start with the five-digit code
     *                     of a union member. Unknown codes and designated-city ward codes are rejected. The message
     *                     names the line number.
     */
    public static List<SplitFile> split(InputStream csv, Path outputDirectory, MunicipalityDirectory directory,
                                        LocalDate date) throws IOException {
        Map<String, Group> groups = group(csv.readAllBytes(), directory);
        Files.createDirectories(outputDirectory);
        List<SplitFile> files = new ArrayList<>(groups.size());
        for (Group group : groups.values()) {
            files.add(write(group, outputDirectory, date));
        }
        return files;
    }

    /** Returns the output file name for a municipality and date, such as {@code 131016_POSTAL_20261204.csv}. */
    public static String fileName(MunicipalityCode code, LocalDate date) {
        return code.value() + "_POSTAL_" + FILE_NAME_DATE.format(date) + ".csv";
    }

    private static Map<String, Group> group(byte[] data, MunicipalityDirectory directory) throws IOException {
        Map<String, Group> groups = new LinkedHashMap<>();
        int start = 0;
        int lineNumber = 0;
        while (start < data.length) {
            lineNumber++;
            int lineFeed = indexOf(data, LF, start, data.length);
            if (lineFeed < 0) {
                throw new IOException("line " + lineNumber + " does not end with CRLF because the input ends without"
                        + " a line break; Japan Post's format ends every record, the last one included, with CRLF");
            }
            int end = lineFeed - 1;
            if (lineFeed == start || data[end] != CR) {
                throw new IOException("line " + lineNumber + " ends with LF alone where CRLF is expected;"
                        + " convert the file back to Japan Post's format (Windows-31J, CRLF)");
            }
            if (indexOf(data, CR, start, end) >= 0) {
                throw new IOException("line " + lineNumber + " contains a CR that is not followed by LF;"
                        + " records must not contain line break characters");
            }
            if (end == start) {
                throw new IOException("line " + lineNumber + " is empty; remove the blank line");
            }
            String code = codeField(data, start, end, lineNumber);
            Group group = groups.get(code);
            if (group == null) {
                group = new Group(member(code, lineNumber, directory));
                groups.put(code, group);
            }
            group.content.write(data, start, lineFeed + 1 - start);
            group.records++;
            start = lineFeed + 1;
        }
        if (groups.isEmpty()) {
            throw new IOException("input contains no records; expected Japan Post postal code CSV lines");
        }
        return groups;
    }

    /** Returns the five-digit local government code in column 1 of the line from start to end (exclusive). */
    private static String codeField(byte[] data, int start, int end, int lineNumber) throws IOException {
        int comma = indexOf(data, COMMA, start, end);
        int fieldEnd = comma < 0 ? end : comma;
        boolean valid = comma >= 0 && fieldEnd - start == CODE_LENGTH;
        for (int i = start; valid && i < fieldEnd; i++) {
            valid = data[i] >= '0' && data[i] <= '9';
        }
        if (!valid) {
            // Decoding only for the message: the record bytes themselves are never decoded.
            int shown = Math.min(fieldEnd - start, 20);
            String field = new String(data, start, shown, WINDOWS_31J);
            throw new IOException("line " + lineNumber + ": column 1 '" + field + "' is not a five-digit local"
                    + " government code followed by a comma, such as 13101; check that the input is a Japan Post"
                    + " postal code CSV file");
        }
        return new String(data, start, CODE_LENGTH, WINDOWS_31J);
    }

    private static Municipality member(String fiveDigits, int lineNumber, MunicipalityDirectory directory)
            throws IOException {
        MunicipalityCode code = MunicipalityCode.fromFiveDigits(fiveDigits);
        try {
            return directory.member(code);
        } catch (IllegalArgumentException e) {
            throw new IOException("line " + lineNumber + ": local government code " + fiveDigits
                    + " is not a union member: " + e.getMessage(), e);
        }
    }

    private static SplitFile write(Group group, Path outputDirectory, LocalDate date) throws IOException {
        MunicipalityCode code = group.municipality.code();
        byte[] content = group.content.toByteArray();
        Path target = outputDirectory.resolve(fileName(code, date));
        // A leading dot keeps file pollers such as Camel's file consumer away from the incomplete file.
        Path temporary = outputDirectory.resolve("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.write(temporary, content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        return new SplitFile(code, group.municipality.name(), target, content.length, group.records,
                sha256Hex(content));
    }

    private static int indexOf(byte[] data, byte value, int from, int to) {
        for (int i = from; i < to; i++) {
            if (data[i] == value) {
                return i;
            }
        }
        return -1;
    }

    private static String sha256Hex(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
    }
}
