package jp.kouiki.window.iffile;

import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads one kind's {@code kind.<ID>.*} keys from a catalogue and checks that they describe a layout that can be
 * checked. Every error names the key, the value and what to write instead.
 */
final class InterfaceKindReader {

    static final Set<String> CSV_KEYS = Set.of("format", "charset", "line-end", "name-pattern", "gaiji",
            "gaiji.replacement", "convert-to", "max-record-bytes", "code-column", "code-digits");
    static final Set<String> FIXED_KEYS = Set.of("format", "charset", "line-end", "name-pattern", "gaiji",
            "gaiji.replacement", "convert-to", "converted-record-length", "record-length", "record-type",
            "header.type", "header.code", "data.type", "data.code", "trailer.type", "trailer.code", "trailer.count");
    private static final int MAX_RECORD_BYTES = 1024 * 1024;
    private static final String DEFAULT_REPLACEMENT = "●";

    private final Properties properties;
    private final String source;
    private final String id;

    InterfaceKindReader(Properties properties, String source, String id) {
        this.properties = properties;
        this.source = source;
        this.id = id;
    }

    InterfaceKind read() {
        RecordFormat format = format();
        rejectUnknownKeys(format == RecordFormat.CSV ? CSV_KEYS : FIXED_KEYS, format);
        FileCharset charset = charset("charset", null);
        LineEnd lineEnd = lineEnd(format);
        FileCharset convertTo = charset("convert-to", "");
        if (convertTo == charset) {
            throw invalid("convert-to", convertTo.configName(), "a character set other than the file's own "
                    + charset.configName() + ", or no convert-to key when the file is delivered unchanged");
        }
        GaijiPolicy policy = gaijiPolicy();
        String replacement = replacement(charset, convertTo);
        FileNamePattern namePattern = namePattern();
        if (format == RecordFormat.CSV) {
            return new InterfaceKind(id, format, namePattern, charset, lineEnd, integer("max-record-bytes", 65536, 1,
                    MAX_RECORD_BYTES), integer("code-column", 0, 0, 1000), codeDigits(), 0, null, List.of(), policy,
                    replacement, convertTo, 0);
        }
        return fixed(namePattern, charset, lineEnd, policy, replacement, convertTo);
    }

    private InterfaceKind fixed(FileNamePattern namePattern, FileCharset charset, LineEnd lineEnd, GaijiPolicy policy,
            String replacement, FileCharset convertTo) {
        boolean layoutIsTarget = convertTo != null && !charset.isShiftJisFamily() && convertTo.isShiftJisFamily();
        if (lineEnd == LineEnd.NONE && (layoutIsTarget || !charset.isShiftJisFamily())) {
            throw invalid("line-end", "none", "crlf or lf, because records of a UTF-8 file have no fixed number of"
                    + " bytes and can only be told apart by their line ends");
        }
        int recordLength = integer("record-length", -1, 1, MAX_RECORD_BYTES);
        ByteRange typeField = range("record-type", recordLength, false);
        List<RecordType> types = List.of(recordType("header", typeField, recordLength),
                recordType("data", typeField, recordLength), recordType("trailer", typeField, recordLength));
        if (types.stream().map(RecordType::marker).distinct().count() != 3) {
            throw invalid("data.type", text("data.type", ""), "a marker different from those of the header ("
                    + types.get(0).marker() + ") and the trailer (" + types.get(2).marker() + ")");
        }
        int defaultConverted = convertTo != null && convertTo.isShiftJisFamily() && !layoutIsTarget ? recordLength : 0;
        if (convertTo == null && properties.containsKey(key("converted-record-length"))) {
            throw invalid("converted-record-length", text("converted-record-length", ""),
                    "no value, because the kind has no convert-to key");
        }
        int converted = layoutIsTarget ? 0
                : integer("converted-record-length", defaultConverted, 0, MAX_RECORD_BYTES);
        return new InterfaceKind(id, RecordFormat.FIXED, namePattern, charset, lineEnd, recordLength, 0, 0,
                recordLength, typeField, types, policy, replacement, convertTo, converted);
    }

    private RecordType recordType(String role, ByteRange typeField, int recordLength) {
        String marker = text(role + ".type", null);
        if (marker.length() != typeField.length() || !marker.chars().allMatch(c -> c >= 0x21 && c < 0x7F)) {
            throw invalid(role + ".type", marker, typeField.length() + " printable ASCII character(s), the width of"
                    + " record-type " + typeField);
        }
        ByteRange code = properties.containsKey(key(role + ".code")) ? range(role + ".code", recordLength, true) : null;
        ByteRange count = null;
        if (role.equals("trailer")) {
            count = range("trailer.count", recordLength, false);
            if (count.length() > 18) {
                throw invalid("trailer.count", count.toString(), "at most 18 bytes of digits");
            }
        }
        return new RecordType(role, marker, code, count);
    }

    private ByteRange range(String name, int recordLength, boolean code) {
        String value = text(name, null);
        ByteRange range;
        try {
            range = ByteRange.parse(value);
        } catch (IllegalArgumentException e) {
            throw invalid(name, value, "a byte range start-end counted from 1, such as 2-7");
        }
        if (range.end() > recordLength) {
            throw invalid(name, value, "a byte range within the record-length of " + recordLength + " bytes");
        }
        if (code && range.length() != 5 && range.length() != 6) {
            throw invalid(name, value, "a range of 6 bytes (code with check digit) or 5 bytes (without), such as"
                    + " 2-7");
        }
        return range;
    }

    private RecordFormat format() {
        String value = text("format", null);
        switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "csv":
                return RecordFormat.CSV;
            case "fixed":
                return RecordFormat.FIXED;
            default:
                throw invalid("format", value, "csv or fixed");
        }
    }

    private FileCharset charset(String name, String fallback) {
        String value = text(name, fallback);
        if (value.isEmpty()) {
            return null;
        }
        try {
            return FileCharset.parse(value);
        } catch (IllegalArgumentException e) {
            throw invalid(name, value, FileCharset.choices());
        }
    }

    private LineEnd lineEnd(RecordFormat format) {
        String value = text("line-end", "crlf");
        LineEnd lineEnd;
        try {
            lineEnd = LineEnd.parse(value);
        } catch (IllegalArgumentException e) {
            throw invalid("line-end", value, "crlf, lf or none");
        }
        if (lineEnd == LineEnd.NONE && format == RecordFormat.CSV) {
            throw invalid("line-end", value, "crlf or lf, because CSV records end with a line end");
        }
        return lineEnd;
    }

    private GaijiPolicy gaijiPolicy() {
        String value = text("gaiji", "refuse");
        switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "refuse":
                return GaijiPolicy.REFUSE;
            case "replace":
                return GaijiPolicy.REPLACE;
            default:
                throw invalid("gaiji", value, "refuse or replace");
        }
    }

    private String replacement(FileCharset charset, FileCharset convertTo) {
        String value = properties.getProperty(key("gaiji.replacement"), DEFAULT_REPLACEMENT).strip();
        FileCharset target = convertTo == null ? charset : convertTo;
        if (value.codePointCount(0, value.length()) != 1 || !GaijiEncoder.roundTrips(target, value)
                || GaijiEncoder.isPrivateUse(value.codePointAt(0))) {
            throw invalid("gaiji.replacement", value, "one character that " + target.configName()
                    + " holds, such as ● (the default) or 〓");
        }
        return value;
    }

    private FileNamePattern namePattern() {
        String value = text("name-pattern", "");
        if (value.isEmpty()) {
            return null;
        }
        try {
            return FileNamePattern.compile(value, id);
        } catch (IllegalArgumentException e) {
            throw invalid("name-pattern", value, "a template starting with {code}_{kind} that uses only {code},"
                    + " {kind}, {date} and {seq}, such as {code}_{kind}_{date}_{seq}.dat (" + e.getMessage() + ")");
        }
    }

    private int codeDigits() {
        return integer("code-digits", 6, 5, 6);
    }

    private int integer(String name, int fallback, int min, int max) {
        String value = text(name, fallback < 0 ? null : Integer.toString(fallback));
        try {
            int number = Integer.parseInt(value);
            if (number >= min && number <= max) {
                return number;
            }
        } catch (NumberFormatException e) {
            // reported below with the allowed range
        }
        throw invalid(name, value, "a whole number from " + min + " to " + max);
    }

    private void rejectUnknownKeys(Set<String> known, RecordFormat format) {
        String prefix = "kind." + id + ".";
        for (String key : properties.stringPropertyNames()) {
            if (key.startsWith(prefix) && !known.contains(key.substring(prefix.length()))) {
                throw new IllegalArgumentException(where() + "key " + key + " is not a setting of a "
                        + format.name().toLowerCase(java.util.Locale.ROOT) + " kind; remove it or use one of "
                        + new TreeSet<>(known));
            }
        }
    }

    /** Returns the trimmed value, the fallback when the key is absent, or fails when both are missing. */
    private String text(String name, String fallback) {
        String value = properties.getProperty(key(name));
        if (value == null || value.isBlank()) {
            if (fallback == null) {
                throw new IllegalArgumentException(where() + "key " + key(name) + " is missing; add it to the"
                        + " catalogue (see docs/interface-files.md)");
            }
            return fallback;
        }
        return value.strip();
    }

    private String key(String name) {
        return "kind." + id + "." + name;
    }

    private String where() {
        return "interface kind catalogue " + source + ": ";
    }

    private IllegalArgumentException invalid(String name, String value, String expected) {
        return new IllegalArgumentException(where() + key(name) + "=" + value + " is invalid; expected " + expected);
    }
}
