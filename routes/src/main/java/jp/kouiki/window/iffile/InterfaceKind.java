package jp.kouiki.window.iffile;

import java.util.List;

/**
 * One IF kind of the catalogue: how its files are named, laid out and encoded, where its records carry the
 * municipality code, and whether and how the central server converts it at delivery.
 *
 * @param id                    the kind id as it appears in file names after the municipality code, in capitals
 * @param format                CSV or fixed-length records
 * @param namePattern           the file name template, or null when any name of the form code_KIND… is accepted
 * @param charset               the character set of the file as the municipality sends it
 * @param lineEnd               the line end after every record
 * @param maxRecordBytes        CSV only: the longest record accepted, in bytes without the line end
 * @param codeColumn            CSV only: the 1-based column holding the municipality code, or 0 for none
 * @param codeDigits            CSV only: 5 when the column contains the code without check digit, 6 with it
 * @param recordLength          fixed only: bytes per record in the layout charset, line end excluded
 * @param recordTypeField       fixed only: the bytes that tell header, data and trailer records apart
 * @param types                 fixed only: header, data and trailer, in this order
 * @param gaijiPolicy           what happens to characters the conversion target cannot hold
 * @param replacement           the character written in place of such a character under {@link GaijiPolicy#REPLACE}
 * @param convertTo             the character set the central server delivers the file in, or null for unchanged bytes
 * @param convertedRecordLength fixed only: bytes per record after conversion, or 0 when not checked
 */
public record InterfaceKind(
        String id,
        RecordFormat format,
        FileNamePattern namePattern,
        FileCharset charset,
        LineEnd lineEnd,
        int maxRecordBytes,
        int codeColumn,
        int codeDigits,
        int recordLength,
        ByteRange recordTypeField,
        List<RecordType> types,
        GaijiPolicy gaijiPolicy,
        String replacement,
        FileCharset convertTo,
        int convertedRecordLength) {

    public boolean isFixedLength() {
        return format == RecordFormat.FIXED;
    }

    public boolean converts() {
        return convertTo != null;
    }

    /**
     * Returns the character set in whose bytes record lengths and field positions are counted: the target for a UTF-8
     * file delivered in a Shift_JIS-family charset (the layout is defined in that code page), else the file's own.
     */
    public FileCharset layoutCharset() {
        return layoutIsTarget() ? convertTo : charset;
    }

    /** Returns true when records are measured after conversion, in the target's bytes. */
    boolean layoutIsTarget() {
        return converts() && !charset.isShiftJisFamily() && convertTo.isShiftJisFamily();
    }

    /** Returns the record type whose marker the type field holds, or null. */
    RecordType typeOf(String marker) {
        for (RecordType type : types) {
            if (type.marker().equals(marker)) {
                return type;
            }
        }
        return null;
    }

    RecordType header() {
        return types.get(0);
    }

    RecordType data() {
        return types.get(1);
    }

    RecordType trailer() {
        return types.get(2);
    }
}
