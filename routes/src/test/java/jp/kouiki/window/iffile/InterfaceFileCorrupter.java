package jp.kouiki.window.iffile;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Copies a fixed-length interface file written by {@link FixedLengthFileGenerator}, breaking it in one way. Data
 * corruptions hit record {@value #TARGET_RECORD} (the second data record); the file is streamed, so any size works.
 */
public final class InterfaceFileCorrupter {

    /** The record that data corruptions change, counted from 1. */
    public static final int TARGET_RECORD = 3;
    /** Bytes cut from the end of the file by {@link Corruption#TRUNCATED_LAST_RECORD}, line end included. */
    public static final int TRUNCATED_BYTES = 102;

    /** One way to break a file. */
    public enum Corruption {
        /** The trailer states one data record more than the file has. */
        WRONG_TRAILER_COUNT,
        /** A space is inserted before the code of record 3 and its last byte dropped: the length stays 500. */
        SHIFTED_FIELD,
        /** A space is inserted after the code of record 3: the record has 501 bytes. */
        LONG_RECORD,
        /** Record 3 carries another municipality's code. */
        WRONG_CODE,
        /** Two bytes near the end of record 3 become a sequence no Shift_JIS or UTF-8 decoder accepts. */
        UNDECODABLE_BYTES,
        /** The file loses its last {@value #TRUNCATED_BYTES} bytes, cutting the trailer short. */
        TRUNCATED_LAST_RECORD,
        /** The trailer record is dropped. */
        MISSING_TRAILER
    }

    private final LineEnd lineEnd;
    private final int recordLength;
    private final MunicipalityCode otherCode;

    /**
     * @param recordLength bytes per record for files without line ends; ignored otherwise
     * @param otherCode    the code {@link Corruption#WRONG_CODE} writes
     */
    public InterfaceFileCorrupter(LineEnd lineEnd, int recordLength, MunicipalityCode otherCode) {
        this.lineEnd = lineEnd;
        this.recordLength = recordLength;
        this.otherCode = otherCode;
    }

    /** Writes a broken copy of {@code source} to {@code target}. */
    public void corrupt(Path source, Path target, Corruption corruption) throws IOException {
        if (corruption == Corruption.TRUNCATED_LAST_RECORD) {
            truncate(source, target);
            return;
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(source));
                OutputStream out = new BufferedOutputStream(Files.newOutputStream(target))) {
            byte[] record = nextRecord(in);
            long number = 0;
            while (record != null) {
                number++;
                byte[] following = nextRecord(in);
                boolean last = following == null;
                write(out, change(record, number, last, corruption), last && corruption == Corruption.MISSING_TRAILER);
                record = following;
            }
        }
    }

    private void truncate(Path source, Path target) throws IOException {
        long size = Files.size(source);
        try (InputStream in = Files.newInputStream(source); OutputStream out = Files.newOutputStream(target)) {
            copy(in, out, size - TRUNCATED_BYTES);
        }
    }

    private static void copy(InputStream in, OutputStream out, long length) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long left = length;
        while (left > 0) {
            int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (read < 0) {
                return;
            }
            out.write(buffer, 0, read);
            left -= read;
        }
    }

    private byte[] change(byte[] record, long number, boolean last, Corruption corruption) {
        if (last && corruption == Corruption.WRONG_TRAILER_COUNT) {
            long count = Long.parseLong(new String(record, 7, 9, StandardCharsets.US_ASCII));
            return replace(record, 7, String.format(Locale.ROOT, "%09d", count + 1));
        }
        if (number != TARGET_RECORD) {
            return record;
        }
        switch (corruption) {
            case SHIFTED_FIELD:
                return insert(Arrays.copyOf(record, record.length - 1), 1, new byte[] {' '});
            case LONG_RECORD:
                return insert(record, 7, new byte[] {' '});
            case WRONG_CODE:
                return replace(record, 1, otherCode.value());
            case UNDECODABLE_BYTES:
                byte[] broken = record.clone();
                broken[broken.length - 10] = (byte) 0x81;
                broken[broken.length - 9] = (byte) 0xFF;
                return broken;
            default:
                return record;
        }
    }

    private static byte[] replace(byte[] record, int index, String ascii) {
        byte[] changed = record.clone();
        byte[] bytes = ascii.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, changed, index, bytes.length);
        return changed;
    }

    private static byte[] insert(byte[] record, int index, byte[] inserted) {
        byte[] changed = new byte[record.length + inserted.length];
        System.arraycopy(record, 0, changed, 0, index);
        System.arraycopy(inserted, 0, changed, index, inserted.length);
        System.arraycopy(record, index, changed, index + inserted.length, record.length - index);
        return changed;
    }

    private void write(OutputStream out, byte[] record, boolean skip) throws IOException {
        if (!skip) {
            out.write(record);
            out.write(lineEnd.bytes());
        }
    }

    /** Reads one record without its line end, or returns null at the end. */
    private byte[] nextRecord(InputStream in) throws IOException {
        if (lineEnd == LineEnd.NONE) {
            byte[] record = in.readNBytes(recordLength);
            return record.length == 0 ? null : record;
        }
        ByteArrayOutputStream record = new ByteArrayOutputStream(recordLength + 2);
        int b;
        while ((b = in.read()) >= 0 && b != '\n') {
            record.write(b);
        }
        if (b < 0 && record.size() == 0) {
            return null;
        }
        byte[] bytes = record.toByteArray();
        return lineEnd == LineEnd.CRLF ? Arrays.copyOf(bytes, bytes.length - 1) : bytes;
    }
}
