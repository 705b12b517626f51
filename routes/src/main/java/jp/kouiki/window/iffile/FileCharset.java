package jp.kouiki.window.iffile;

import java.nio.charset.Charset;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A character set an interface file may be written in. Decoders and encoders are strict: a byte sequence or character
 * the charset cannot hold is reported, never replaced.
 */
public enum FileCharset {

    WINDOWS_31J("windows-31j", "Windows-31J", "Windows-31J (MS932)", Charset.forName("windows-31j"), false),
    SHIFT_JIS("shift_jis", "Shift_JIS", "Shift_JIS (JIS X 0208 only)", Charset.forName("Shift_JIS"), false),
    UTF_8("utf-8", "UTF-8", "UTF-8 without BOM", StandardCharsets.UTF_8, false),
    UTF_8_BOM("utf-8-bom", "UTF-8", "UTF-8 with BOM", StandardCharsets.UTF_8, true);

    /** The UTF-8 byte order mark EF BB BF. */
    static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private final String configName;
    private final String displayName;
    private final String saveAs;
    private final Charset charset;
    private final boolean bom;

    FileCharset(String configName, String displayName, String saveAs, Charset charset, boolean bom) {
        this.configName = configName;
        this.displayName = displayName;
        this.saveAs = saveAs;
        this.charset = charset;
        this.bom = bom;
    }

    /** Parses a catalogue value: windows-31j (or ms932, cp932), shift_jis (or sjis), utf-8, utf-8-bom. */
    static FileCharset parse(String value) {
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "windows-31j", "ms932", "cp932":
                return WINDOWS_31J;
            case "shift_jis", "sjis":
                return SHIFT_JIS;
            case "utf-8", "utf8":
                return UTF_8;
            case "utf-8-bom", "utf8-bom":
                return UTF_8_BOM;
            default:
                throw new IllegalArgumentException("unknown character set '" + value + "'");
        }
    }

    /** Returns the values a catalogue accepts, for error messages. */
    static String choices() {
        return "windows-31j, shift_jis, utf-8 or utf-8-bom";
    }

    public String configName() {
        return configName;
    }

    /** Returns the name staff know the charset by, such as Windows-31J. */
    public String displayName() {
        return displayName;
    }

    /** Returns the charset as a save dialog names it, for the fix in a message. */
    String saveAs() {
        return saveAs;
    }

    public Charset charset() {
        return charset;
    }

    public boolean hasBom() {
        return bom;
    }

    /** Returns true for Shift_JIS and its Windows-31J variant, whose characters take one or two bytes. */
    public boolean isShiftJisFamily() {
        return this == WINDOWS_31J || this == SHIFT_JIS;
    }

    CharsetDecoder newDecoder() {
        return charset.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    CharsetEncoder newEncoder() {
        return charset.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
    }
}
