package jp.kouiki.window.iffile;

/** Reads one field of a CSV record with RFC 4180 quoting (a quoted field may hold commas and doubled quotes). */
final class CsvFields {

    private CsvFields() {
    }

    /** Returns the field at the 1-based column without its quotes, or null when the record has fewer columns. */
    static String field(CharSequence record, int column) {
        int current = 1;
        int i = 0;
        int length = record.length();
        while (current < column) {
            i = skipField(record, i);
            if (i >= length) {
                return null;
            }
            i++;
            current++;
        }
        return unquoted(record, i);
    }

    /** Returns the index of the comma that ends the field starting at {@code start}, or the record's length. */
    private static int skipField(CharSequence record, int start) {
        boolean quoted = false;
        for (int i = start; i < record.length(); i++) {
            char c = record.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                return i;
            }
        }
        return record.length();
    }

    private static String unquoted(CharSequence record, int start) {
        int end = skipField(record, start);
        String field = record.subSequence(start, end).toString();
        if (field.length() >= 2 && field.startsWith("\"") && field.endsWith("\"")) {
            return field.substring(1, field.length() - 1).replace("\"\"", "\"");
        }
        return field;
    }
}
