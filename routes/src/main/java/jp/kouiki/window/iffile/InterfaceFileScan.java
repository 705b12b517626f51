package jp.kouiki.window.iffile;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One pass over an interface file: reads each record, decodes it strictly, checks it against the kind and the
 * sender, and, when the kind converts, encodes it into the target charset and writes it out. Memory is bounded by the
 * longest record, whatever the file's size.
 */
final class InterfaceFileScan {

    private final InterfaceKind kind;
    private final InterfaceFileName name;
    private final RejectionMessages messages;
    private final Writer replacements;
    private final CharsetDecoder decoder;
    private final GaijiEncoder encoder;
    private final CharsetEncoder sourceMeasure;
    private final int capacity;
    private final CharBuffer chars;
    private final ByteBuffer encoded;
    private final List<GaijiFinding> firstFindings = new ArrayList<>();
    private long gaijiCount;
    private long records;
    private long dataRecords;
    private boolean trailerSeen;

    /**
     * @param replacements receives one tab-separated line per replaced character, or null when not needed
     */
    InterfaceFileScan(InterfaceKind kind, InterfaceFileName name, Writer replacements) {
        this.kind = kind;
        this.name = name;
        this.messages = new RejectionMessages(kind, name);
        this.replacements = replacements;
        this.decoder = kind.charset().newDecoder();
        this.encoder = kind.converts() ? new GaijiEncoder(kind.convertTo(), kind.replacement()) : null;
        this.sourceMeasure = kind.charset().charset().newEncoder()
                .onUnmappableCharacter(CodingErrorAction.REPLACE)
                .onMalformedInput(CodingErrorAction.REPLACE);
        this.capacity = capacity(kind);
        this.chars = CharBuffer.allocate(capacity);
        this.encoded = ByteBuffer.allocate(capacity * 4 + 16);
    }

    /** Returns the maximum record length the reader accepts, in bytes of the file as sent. */
    private static int capacity(InterfaceKind kind) {
        if (!kind.isFixedLength()) {
            return kind.maxRecordBytes();
        }
        // A Shift_JIS byte is at most three UTF-8 bytes (half-width katakana), so a UTF-8 record whose layout is
        // counted in Shift_JIS bytes may be up to three times as long.
        return kind.layoutIsTarget() ? kind.recordLength() * 3 : kind.recordLength();
    }

    /** Checks the file and writes the converted records into {@code out} when it is not null. */
    InterfaceFileReport run(InputStream in, OutputStream out) throws IOException, InterfaceFileRejectedException {
        int fixedLength = kind.isFixedLength() && kind.lineEnd() == LineEnd.NONE ? kind.recordLength() : 0;
        RecordReader reader = new RecordReader(in, kind.lineEnd(), fixedLength, capacity, messages);
        checkBom(reader);
        if (out != null && kind.convertTo().hasBom()) {
            out.write(FileCharset.BOM);
        }
        while (reader.next()) {
            records++;
            if (kind.isFixedLength()) {
                fixedRecord(reader, out);
            } else {
                csvRecord(reader, out);
            }
        }
        finish();
        return new InterfaceFileReport(kind.id(), true, records, kind.isFixedLength() ? dataRecords : records,
                gaijiCount, List.copyOf(firstFindings));
    }

    private void checkBom(RecordReader reader) throws IOException, InterfaceFileRejectedException {
        if (kind.charset() == FileCharset.UTF_8_BOM && !reader.skipPrefix(FileCharset.BOM)) {
            throw messages.bomMissing();
        }
        if (kind.charset() == FileCharset.UTF_8 && reader.skipPrefix(FileCharset.BOM)) {
            throw messages.bomUnexpected();
        }
    }

    private void finish() throws InterfaceFileRejectedException {
        if (kind.isFixedLength()) {
            if (records == 0) {
                throw messages.emptyFixedFile();
            }
            if (!trailerSeen) {
                throw messages.trailerMissing(records);
            }
        }
        if (gaijiCount > 0 && kind.gaijiPolicy() == GaijiPolicy.REFUSE) {
            throw messages.gaiji(firstFindings, gaijiCount);
        }
    }

    private void csvRecord(RecordReader reader, OutputStream out) throws IOException, InterfaceFileRejectedException {
        CharBuffer text = decode(reader);
        ByteBuffer converted = kind.converts() ? encode(text, reader.number()) : null;
        if (kind.codeColumn() > 0) {
            String value = CsvFields.field(text, kind.codeColumn());
            if (value == null) {
                throw messages.columnMissing(reader.number());
            }
            String expected = kind.codeDigits() == 5 ? name.code().fiveDigits() : name.code().value();
            if (!value.equals(expected)) {
                throw messages.codeMismatch(reader.number(), value, expected, null, null);
            }
        }
        write(out, converted);
    }

    private void fixedRecord(RecordReader reader, OutputStream out) throws IOException, InterfaceFileRejectedException {
        long number = reader.number();
        if (!kind.layoutIsTarget() && reader.length() != kind.recordLength()) {
            throw messages.wrongLength(number, reader.length());
        }
        CharBuffer text = decode(reader);
        ByteBuffer converted = kind.converts() ? encode(text, number) : null;
        byte[] layout = reader.bytes();
        if (kind.layoutIsTarget()) {
            if (converted.remaining() != kind.recordLength()) {
                throw messages.wrongLength(number, converted.remaining());
            }
            layout = converted.array();
        } else if (converted != null && kind.convertedRecordLength() > 0
                && converted.remaining() != kind.convertedRecordLength()) {
            throw messages.convertedLength(number, converted.remaining());
        }
        RecordType type = recordType(number, layout);
        checkCode(number, type, layout);
        if (type == kind.trailer()) {
            checkCount(number, layout);
        }
        write(out, converted);
    }

    private RecordType recordType(long number, byte[] layout) throws InterfaceFileRejectedException {
        String marker = field(layout, kind.recordTypeField());
        RecordType type = kind.typeOf(marker);
        if (type == null) {
            throw messages.unknownType(number, marker);
        }
        if (trailerSeen) {
            throw messages.afterTrailer(number);
        }
        if (number == 1 && type != kind.header()) {
            throw messages.headerNotFirst(type);
        }
        if (number > 1 && type == kind.header()) {
            throw messages.secondHeader(number);
        }
        if (type == kind.data()) {
            dataRecords++;
        }
        trailerSeen = type == kind.trailer();
        return type;
    }

    private void checkCode(long number, RecordType type, byte[] layout) throws InterfaceFileRejectedException {
        ByteRange range = type.code();
        if (range == null) {
            return;
        }
        String value = field(layout, range);
        String expected = range.length() == 5 ? name.code().fiveDigits() : name.code().value();
        if (!value.equals(expected)) {
            throw messages.codeMismatch(number, value, expected, type, range);
        }
    }

    private void checkCount(long number, byte[] layout) throws InterfaceFileRejectedException {
        String value = field(layout, kind.trailer().count());
        if (!value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw messages.countNotNumber(number, value);
        }
        long stated = Long.parseLong(value);
        if (stated != dataRecords) {
            throw messages.countMismatch(number, stated, dataRecords);
        }
    }

    /** Returns a field's bytes as text of the layout charset, for comparison with ASCII values and for messages. */
    private String field(byte[] layout, ByteRange range) {
        return new String(layout, range.start() - 1, range.length(), kind.layoutCharset().charset());
    }

    private CharBuffer decode(RecordReader reader) throws InterfaceFileRejectedException {
        ByteBuffer in = ByteBuffer.wrap(reader.bytes(), 0, reader.length());
        chars.clear();
        decoder.reset();
        CoderResult result = decoder.decode(in, chars, true);
        if (!result.isError()) {
            result = decoder.flush(chars);
        }
        if (result.isError()) {
            int position = in.position();
            byte[] bad = Arrays.copyOfRange(reader.bytes(), position,
                    Math.min(reader.length(), position + Math.max(result.length(), 2)));
            throw messages.undecodable(reader.number(), reader.offset() + position, position + 1, bad);
        }
        return chars.flip();
    }

    private ByteBuffer encode(CharBuffer text, long number) throws InterfaceFileRejectedException {
        return encoder.encode(text, encoded, (charIndex, column, original) -> found(text, number, charIndex, column,
                original));
    }

    private void found(CharBuffer text, long number, int charIndex, int column, String original) {
        int recordByte = sourceBytes(text, charIndex) + 1;
        String replacement = kind.gaijiPolicy() == GaijiPolicy.REPLACE ? kind.replacement() : null;
        GaijiFinding finding = new GaijiFinding(number, column, recordByte, original, replacement);
        gaijiCount++;
        if (firstFindings.size() < RejectionMessages.LISTED_FINDINGS) {
            firstFindings.add(finding);
        }
        if (replacements != null && replacement != null) {
            try {
                replacements.write(number + "\t" + column + "\t" + recordByte + "\t" + finding.codePoints() + "\t"
                        + GaijiFinding.codePoints(replacement) + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the replacement list", e);
            }
        }
    }

    /** Counts the bytes the first {@code charIndex} characters take in the file as sent. */
    private int sourceBytes(CharBuffer text, int charIndex) {
        try {
            return sourceMeasure.reset().encode(CharBuffer.wrap(text, 0, charIndex)).remaining();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalStateException("decoded text does not encode back into " + kind.charset(), e);
        }
    }

    private void write(OutputStream out, ByteBuffer converted) throws IOException {
        if (out == null) {
            return;
        }
        out.write(converted.array(), 0, converted.remaining());
        out.write(kind.lineEnd().bytes());
    }
}
