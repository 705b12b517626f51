package jp.kouiki.window.iffile;

import java.util.Locale;

/** The line end after each record: CRLF, LF, or none for fixed-length records that follow each other directly. */
public enum LineEnd {

    CRLF(new byte[] {'\r', '\n'}),
    LF(new byte[] {'\n'}),
    NONE(new byte[0]);

    private final byte[] bytes;

    LineEnd(byte[] bytes) {
        this.bytes = bytes;
    }

    static LineEnd parse(String value) {
        return valueOf(value.trim().toUpperCase(Locale.ROOT));
    }

    byte[] bytes() {
        return bytes.clone();
    }

    int length() {
        return bytes.length;
    }
}
