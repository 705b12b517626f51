package jp.kouiki.window.iffile;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Checks an interface file's contents against its sender before it travels (at the agent) and before the union
 * receives it (at the central server). The POSTAL kind is Japan Post's postal code CSV: Windows-31J, CRLF, and column 1
 * of every record is the first five digits of the sender's code. Kinds without a known layout pass through unchanged.
 */
public final class InterfaceFileChecker {

    public static final String POSTAL_KIND = "POSTAL";

    private static final Charset WINDOWS_31J = Charset.forName("windows-31j");
    private static final int MAX_RECORD_BYTES = 64 * 1024;

    /** Returns the number of records checked, or -1 for a kind whose records are not checked. */
    public long check(Path file, InterfaceFileName name) throws IOException, InterfaceFileRejectedException {
        if (!POSTAL_KIND.equals(name.kind())) {
            return -1;
        }
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024)) {
            return checkPostal(in, name);
        }
    }

    private long checkPostal(InputStream in, InterfaceFileName name) throws IOException, InterfaceFileRejectedException {
        CharsetDecoder decoder = WINDOWS_31J.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteArrayOutputStream record = new ByteArrayOutputStream(256);
        long records = 0;
        int previous = -1;
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                if (previous != '\r') {
                    throw lineEndRejected(name, records + 1);
                }
                records++;
                byte[] bytes = record.toByteArray();
                checkPostalRecord(bytes, bytes.length - 1, records, name, decoder);
                record.reset();
            } else {
                if (record.size() >= MAX_RECORD_BYTES) {
                    throw new InterfaceFileRejectedException(
                            (records + 1) + "行目が" + MAX_RECORD_BYTES + "バイトを超えています。",
                            "record " + (records + 1) + " is longer than " + MAX_RECORD_BYTES
                                    + " bytes; check that the file is the expected CSV with CRLF line ends");
                }
                record.write(b);
            }
            previous = b;
        }
        if (record.size() > 0) {
            throw lineEndRejected(name, records + 1);
        }
        return records;
    }

    private static InterfaceFileRejectedException lineEndRejected(InterfaceFileName name, long recordNumber) {
        return new InterfaceFileRejectedException(
                name.name() + " の " + recordNumber + "行目が CRLF で終わっていません。",
                "record " + recordNumber + " of " + name.name()
                        + " does not end with CRLF; IF kind POSTAL requires CRLF after every record");
    }

    private static void checkPostalRecord(byte[] bytes, int length, long recordNumber, InterfaceFileName name,
            CharsetDecoder decoder) throws InterfaceFileRejectedException {
        try {
            decoder.reset().decode(ByteBuffer.wrap(bytes, 0, length));
        } catch (CharacterCodingException e) {
            throw new InterfaceFileRejectedException(
                    recordNumber + "行目に Windows-31J として読めないバイト列があります。",
                    "record " + recordNumber + " has bytes that are not valid Windows-31J; save the file as"
                            + " Windows-31J (MS932)");
        }
        int comma = indexOf(bytes, length, (byte) ',');
        String column1 = new String(bytes, 0, comma < 0 ? length : comma, StandardCharsets.US_ASCII);
        String expected = name.code().fiveDigits();
        if (!column1.equals(expected)) {
            throw new InterfaceFileRejectedException(
                    recordNumber + "行目の団体コード「" + column1 + "」が送信元 " + name.code() + "（" + expected
                            + "）と一致しません。他団体のレコードが混じっています。ファイルを作り直してください。",
                    "record " + recordNumber + " carries local government code '" + column1 + "' where the sender "
                            + name.code() + " requires " + expected
                            + "; the file holds another municipality's records, so rebuild it");
        }
    }

    private static int indexOf(byte[] bytes, int length, byte wanted) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] == wanted) {
                return i;
            }
        }
        return -1;
    }
}
