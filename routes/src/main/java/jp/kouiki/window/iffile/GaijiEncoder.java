package jp.kouiki.window.iffile;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;

/**
 * Encodes records into a target character set without losing a character. A character counts as 外字 when the
 * encoder reports it or when decoding its bytes does not give it back, because Java 17's encoders map some characters
 * one way (¥ U+00A5 to 0x5C and ゔ U+3094 to ヴ in windows-31j). Private-use (user-defined) characters and characters
 * followed by a variation selector count as 外字 too. Each 外字 is written as the replacement and passed to the
 * listener.
 */
final class GaijiEncoder {

    /** Receives each 外字 found. */
    interface Listener {
        void found(int charIndex, int column, String original) throws InterfaceFileRejectedException;
    }

    private final FileCharset target;
    private final CharsetEncoder encoder;
    private final CharsetDecoder verifier;
    private final byte[] replacement;
    private final ByteBuffer unitBytes = ByteBuffer.allocate(64);
    private final CharBuffer unitChars = CharBuffer.allocate(64);
    private CharBuffer roundTrip = CharBuffer.allocate(0);

    GaijiEncoder(FileCharset target, String replacement) {
        this.target = target;
        this.encoder = target.newEncoder();
        this.verifier = target.newDecoder();
        try {
            this.replacement = toArray(encoder.reset().encode(CharBuffer.wrap(replacement)));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("replacement " + GaijiFinding.codePoints(replacement)
                    + " cannot be written in " + target.configName(), e);
        }
    }

    /** Returns true when the text encodes in the charset and decodes back to the same text. */
    static boolean roundTrips(FileCharset charset, String text) {
        try {
            ByteBuffer bytes = charset.newEncoder().encode(CharBuffer.wrap(text));
            return charset.newDecoder().decode(bytes).toString().equals(text);
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    static boolean isPrivateUse(int codePoint) {
        return codePoint >= 0xE000 && codePoint <= 0xF8FF || codePoint >= 0xF0000;
    }

    static boolean isVariationSelector(int codePoint) {
        return codePoint >= 0xFE00 && codePoint <= 0xFE0F || codePoint >= 0xE0100 && codePoint <= 0xE01EF;
    }

    /**
     * Encodes one record into {@code out}, which must hold four bytes per character, and returns it ready to read.
     * The fast path encodes the whole record at once; a record that fails it is encoded character by character.
     */
    ByteBuffer encode(CharBuffer record, ByteBuffer out, Listener listener) throws InterfaceFileRejectedException {
        out.clear();
        if (!hasSuspectCharacter(record) && encodeWhole(record, out) && roundTripsWhole(record, out)) {
            return out.flip();
        }
        out.clear();
        encodeByUnit(record, out, listener);
        return out.flip();
    }

    private static boolean hasSuspectCharacter(CharBuffer record) {
        for (int i = record.position(); i < record.limit(); i++) {
            char c = record.get(i);
            if (c >= 0xE000 && c <= 0xF8FF || c >= 0xDB80 && c <= 0xDBFF) {
                return true;
            }
        }
        return false;
    }

    private boolean encodeWhole(CharBuffer record, ByteBuffer out) {
        CharBuffer in = record.duplicate();
        encoder.reset();
        CoderResult result = encoder.encode(in, out, true);
        if (!result.isUnderflow()) {
            return false;
        }
        return encoder.flush(out).isUnderflow();
    }

    /** Decodes what was written and compares it with the record, because some encoders map characters one way. */
    private boolean roundTripsWhole(CharBuffer record, ByteBuffer out) {
        if (!target.isShiftJisFamily()) {
            return true;
        }
        if (roundTrip.capacity() < record.remaining()) {
            roundTrip = CharBuffer.allocate(record.remaining());
        }
        roundTrip.clear();
        verifier.reset();
        ByteBuffer written = out.duplicate().flip();
        CoderResult result = verifier.decode(written, roundTrip, true);
        if (result.isError() || result.isOverflow() || verifier.flush(roundTrip).isError()) {
            return false;
        }
        return roundTrip.flip().equals(record);
    }

    private void encodeByUnit(CharBuffer record, ByteBuffer out, Listener listener)
            throws InterfaceFileRejectedException {
        int start = record.position();
        int end = record.limit();
        int column = 0;
        int i = start;
        while (i < end) {
            int codePoint = Character.codePointAt(record, i - start);
            int unitEnd = i + Character.charCount(codePoint);
            if (codePoint < 0x80 && (unitEnd == end || !isVariationSelector(Character.codePointAt(record, unitEnd - start)))) {
                // ASCII is one identical byte in every supported charset; this keeps filler-heavy records fast.
                out.put((byte) codePoint);
                column++;
                i = unitEnd;
                continue;
            }
            while (unitEnd < end && isVariationSelector(Character.codePointAt(record, unitEnd - start))) {
                unitEnd += Character.charCount(Character.codePointAt(record, unitEnd - start));
            }
            column++;
            String unit = record.subSequence(i - start, unitEnd - start).toString();
            if (unitEnd - i == Character.charCount(codePoint) && !isPrivateUse(codePoint) && encodeUnit(unit)) {
                out.put(unitBytes.flip());
            } else {
                listener.found(i - start, column, unit);
                out.put(replacement);
            }
            column += unit.codePointCount(0, unit.length()) - 1;
            i = unitEnd;
        }
    }

    /** Encodes one character into unitBytes and checks that it decodes back unchanged. */
    private boolean encodeUnit(String unit) {
        unitBytes.clear();
        encoder.reset();
        CoderResult result = encoder.encode(CharBuffer.wrap(unit), unitBytes, true);
        if (!result.isUnderflow() || !encoder.flush(unitBytes).isUnderflow()) {
            return false;
        }
        unitChars.clear();
        verifier.reset();
        CoderResult back = verifier.decode(unitBytes.duplicate().flip(), unitChars, true);
        if (back.isError() || verifier.flush(unitChars).isError()) {
            return false;
        }
        return unitChars.flip().toString().equals(unit);
    }

    private static byte[] toArray(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
