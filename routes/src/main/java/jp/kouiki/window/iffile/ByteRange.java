package jp.kouiki.window.iffile;

/**
 * The bytes of a field in a fixed-length record, counted from 1 in the record's code page, both ends included, as
 * interface file layouts list them (for example 2-7 for a six-digit municipality code after a one-byte record type).
 */
public record ByteRange(int start, int end) {

    public ByteRange {
        if (start < 1 || end < start) {
            throw new IllegalArgumentException("byte range " + start + "-" + end
                    + " is invalid; expected start-end with 1 <= start <= end, such as 2-7");
        }
    }

    /** Parses "start-end" or a single position "start". */
    static ByteRange parse(String value) {
        String text = value.trim();
        int dash = text.indexOf('-');
        try {
            if (dash < 0) {
                int position = Integer.parseInt(text);
                return new ByteRange(position, position);
            }
            return new ByteRange(Integer.parseInt(text.substring(0, dash).trim()),
                    Integer.parseInt(text.substring(dash + 1).trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("byte range '" + value + "' is not start-end, such as 2-7", e);
        }
    }

    public int length() {
        return end - start + 1;
    }

    @Override
    public String toString() {
        return start == end ? Integer.toString(start) : start + "-" + end;
    }
}
