package jp.kouiki.window.iffile;

import java.util.Locale;
import java.util.stream.Collectors;

/**
 * One character (a code point, with its variation selector when it has one) that the target character set cannot
 * hold unchanged.
 *
 * @param line        the record number, from 1
 * @param column      the character position in the record, from 1, counting code points
 * @param recordByte  the byte position in the record as the file was sent, from 1
 * @param original    the character as sent
 * @param replacement the character written in its place, or null when the file is rejected
 */
public record GaijiFinding(long line, int column, int recordByte, String original, String replacement) {

    /** Returns the code points, such as "U+845B U+E0100". */
    public String codePoints() {
        return codePoints(original);
    }

    static String codePoints(String text) {
        return text.codePoints().mapToObj(c -> String.format(Locale.ROOT, "U+%04X", c))
                .collect(Collectors.joining(" "));
    }

    /** Describes the position in English, such as "line 3 column 12 (byte 45 of the record) U+9AD9". */
    public String english() {
        return "line " + line + " column " + column + " (byte " + recordByte + " of the record) " + codePoints();
    }

    /** Describes the position in Japanese, such as "3行目 12文字目（行内 45バイト目）U+9AD9". */
    public String japanese() {
        return line + "行目 " + column + "文字目（行内 " + recordByte + "バイト目）" + codePoints();
    }
}
