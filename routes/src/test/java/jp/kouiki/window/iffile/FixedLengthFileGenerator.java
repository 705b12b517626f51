package jp.kouiki.window.iffile;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.CharBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Writes fixed-length interface files in the layout of the built-in SHOTOKU kind: 500-byte records, byte 1 the
 * record type (1 header, 2 data, 9 trailer) and bytes 2-7 the municipality code in every record. The header carries
 * the creation date (8-15) and the kind id (16-25). A data record carries an insured person's number (8-15), a name
 * (16-55, padded with spaces), a birth date (56-63) and an income (64-75). The trailer carries the number of data
 * records (8-16).
 * Lengths count bytes of the layout charset; a character that charset cannot hold counts as its replacement ●.
 * Files are written record by record, so any size can be generated.
 */
public final class FixedLengthFileGenerator {

    public static final String KIND = "SHOTOKU";
    public static final int RECORD_LENGTH = 500;
    public static final int NAME_START = 16;
    public static final int NAME_BYTES = 40;

    private static final DateTimeFormatter DATE = DateTimeFormatter.BASIC_ISO_DATE;

    private final FileCharset charset;
    private final FileCharset layout;
    private final LineEnd lineEnd;
    private final List<GaijiNames.Name> names;
    private String kind = KIND;
    private LocalDate date = LocalDate.of(2026, 12, 4);

    /**
     * @param charset the charset the file is written in
     * @param layout  the charset whose bytes the 500-byte record length counts (the same, or the Shift_JIS-family
     *                target of a UTF-8 file)
     * @param names   the names data records cycle through; each must be writable in {@code charset}
     */
    public FixedLengthFileGenerator(FileCharset charset, FileCharset layout, LineEnd lineEnd,
            List<GaijiNames.Name> names) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("at least one name is needed");
        }
        for (GaijiNames.Name name : names) {
            if (!GaijiEncoder.roundTrips(charset, name.name())) {
                throw new IllegalArgumentException("name " + name.id() + " cannot be written in "
                        + charset.configName());
            }
        }
        this.charset = charset;
        this.layout = layout;
        this.lineEnd = lineEnd;
        this.names = List.copyOf(names);
    }

    /** A Windows-31J generator with CRLF and every name Windows-31J can hold. */
    public static FixedLengthFileGenerator windows31j() {
        return new FixedLengthFileGenerator(FileCharset.WINDOWS_31J, FileCharset.WINDOWS_31J, LineEnd.CRLF,
                GaijiNames.writableIn(FileCharset.WINDOWS_31J));
    }

    /** Sets the kind id written in file names and headers. */
    public FixedLengthFileGenerator kind(String kindId) {
        if (kindId.length() > 10) {
            throw new IllegalArgumentException("kind id " + kindId + " is longer than the header's 10-byte field");
        }
        this.kind = kindId;
        return this;
    }

    public FixedLengthFileGenerator date(LocalDate creationDate) {
        this.date = creationDate;
        return this;
    }

    /** Returns the file name for a municipality and sequence number, such as 131016_SHOTOKU_20261204_001.dat. */
    public String fileName(MunicipalityCode code, int sequence) {
        return code + "_" + kind + "_" + date.format(DATE) + "_" + String.format(Locale.ROOT, "%03d", sequence)
                + ".dat";
    }

    /** Writes one file into the folder and returns it. */
    public Path writeFile(Path folder, MunicipalityCode code, int sequence, long dataRecords) throws IOException {
        Path file = folder.resolve(fileName(code, sequence));
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024)) {
            write(out, code, dataRecords);
        }
        return file;
    }

    /** Writes one file per municipality into the folder. */
    public List<Path> writeFiles(Path folder, List<MunicipalityCode> codes, long dataRecords) throws IOException {
        List<Path> files = new ArrayList<>();
        for (MunicipalityCode code : codes) {
            files.add(writeFile(folder, code, 1, dataRecords));
        }
        return files;
    }

    /** Writes a header, {@code dataRecords} data records and the trailer. */
    public void write(OutputStream out, MunicipalityCode code, long dataRecords) throws IOException {
        writeRecord(out, "1" + code + date.format(DATE) + pad(kind, 10));
        for (long i = 0; i < dataRecords; i++) {
            writeRecord(out, dataRecord(code, i));
        }
        writeRecord(out, "9" + code + String.format(Locale.ROOT, "%09d", dataRecords));
    }

    /** Returns the text of data record {@code index} (from 0) before padding to the record length. */
    public String dataRecord(MunicipalityCode code, long index) {
        GaijiNames.Name name = nameOf(index);
        return "2" + code + String.format(Locale.ROOT, "%08d", index + 1) + padToBytes(name.name(), NAME_BYTES)
                + LocalDate.of(1940, 1, 1).plusDays(index % 12_000).format(DATE)
                + String.format(Locale.ROOT, "%012d", (index * 7919) % 100_000_000L);
    }

    /** Returns the name data record {@code index} (from 0) carries. */
    public GaijiNames.Name nameOf(long index) {
        return names.get((int) (index % names.size()));
    }

    private void writeRecord(OutputStream out, String text) throws IOException {
        String record = padToBytes(text, RECORD_LENGTH);
        try {
            java.nio.ByteBuffer bytes = charset.newEncoder().encode(CharBuffer.wrap(record));
            out.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("record cannot be written in " + charset.configName(), e);
        }
        out.write(lineEnd.bytes());
    }

    /** Pads with ASCII spaces to exactly {@code bytes} bytes of the layout charset. */
    private String padToBytes(String text, int bytes) {
        int width = layoutWidth(text);
        if (width > bytes) {
            throw new IllegalArgumentException("text of " + width + " bytes does not fit a field of " + bytes);
        }
        return text + " ".repeat(bytes - width);
    }

    private static String pad(String text, int length) {
        return text + " ".repeat(length - text.length());
    }

    /**
     * Counts the bytes the text takes in the layout charset. When the layout is a conversion target, a character it
     * cannot hold (with its variation selectors) counts as the two bytes of ●.
     */
    int layoutWidth(String text) {
        int width = 0;
        int i = 0;
        while (i < text.length()) {
            int end = i + Character.charCount(text.codePointAt(i));
            while (end < text.length() && GaijiEncoder.isVariationSelector(text.codePointAt(end))) {
                end += Character.charCount(text.codePointAt(end));
            }
            String unit = text.substring(i, end);
            boolean plain = layout == charset || end - i == Character.charCount(text.codePointAt(i))
                    && !GaijiEncoder.isPrivateUse(text.codePointAt(i)) && GaijiEncoder.roundTrips(layout, unit);
            width += plain ? unit.getBytes(layout.charset()).length : 2;
            i = end;
        }
        return width;
    }
}
