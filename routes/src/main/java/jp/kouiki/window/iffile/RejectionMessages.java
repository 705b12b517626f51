package jp.kouiki.window.iffile;

import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * The reasons an interface file of one kind is rejected, in Japanese for the staff who fix the file and in English
 * beside it. Each names the record, the rule and what to do. Record numbers count from 1 (行目), byte positions in a
 * record from 1 as interface layouts do, and file offsets from 0.
 */
final class RejectionMessages {

    /** Most 外字 listed in one reason; the total is always given. */
    static final int LISTED_FINDINGS = 20;

    private final InterfaceKind kind;
    private final InterfaceFileName name;

    RejectionMessages(InterfaceKind kind, InterfaceFileName name) {
        this.kind = kind;
        this.name = name;
    }

    InterfaceFileRejectedException nameMismatch() {
        String example = kind.namePattern().example(name.code().value(), kind.id());
        return new InterfaceFileRejectedException(
                "ファイル名「" + InterfaceFileName.printable(name.name()) + "」が IF 種別 " + kind.id() + " の形式「"
                        + kind.namePattern() + "」と一致しません。例: " + example,
                "file name '" + InterfaceFileName.printable(name.name()) + "' does not match the pattern "
                        + kind.namePattern() + " of IF kind " + kind.id() + "; name it like " + example);
    }

    InterfaceFileRejectedException bomMissing() {
        return new InterfaceFileRejectedException(
                "ファイルの先頭に BOM がありません。IF 種別 " + kind.id() + " は BOM 付き UTF-8 です。",
                "the file does not start with the UTF-8 byte order mark EF BB BF; IF kind " + kind.id()
                        + " requires UTF-8 with BOM, so save the file as UTF-8 with BOM");
    }

    InterfaceFileRejectedException bomUnexpected() {
        return new InterfaceFileRejectedException(
                "ファイルの先頭に BOM があります。IF 種別 " + kind.id() + " は BOM なしの UTF-8 です。",
                "the file starts with the UTF-8 byte order mark EF BB BF; IF kind " + kind.id()
                        + " requires UTF-8 without BOM, so save the file without BOM");
    }

    InterfaceFileRejectedException undecodable(long record, long fileOffset, int recordByte, byte[] bytes) {
        FileCharset charset = kind.charset();
        String hex = HexFormat.ofDelimiter(" ").withUpperCase().formatHex(bytes);
        return new InterfaceFileRejectedException(
                record + "行目に " + charset.displayName() + " として読めないバイト列があります（行内 " + recordByte
                        + "バイト目、ファイル先頭から " + fileOffset + "バイト目: " + hex + "）。" + charset.saveAs()
                        + " で保存し直してください。",
                "record " + record + " has bytes that are not valid " + charset.displayName() + " at byte "
                        + recordByte + " of the record (file offset " + fileOffset + ": " + hex + "); save the file as "
                        + charset.saveAs());
    }

    InterfaceFileRejectedException lineEndMissing(long record) {
        return new InterfaceFileRejectedException(
                InterfaceFileName.printable(name.name()) + " の " + record + "行目が " + kind.lineEnd()
                        + " で終わっていません。",
                "record " + record + " of " + InterfaceFileName.printable(name.name()) + " does not end with "
                        + kind.lineEnd() + "; IF kind " + kind.id() + " requires " + kind.lineEnd()
                        + " after every record");
    }

    InterfaceFileRejectedException crlfWhereLf(long record) {
        return new InterfaceFileRejectedException(
                record + "行目が CRLF で終わっています。IF 種別 " + kind.id() + " の改行は LF です。",
                "record " + record + " ends with CRLF; IF kind " + kind.id() + " requires LF alone after every"
                        + " record, so save the file with LF line ends");
    }

    /** Rejects a delimited record longer than allowed. {@code length} is -1 when its end was not found. */
    InterfaceFileRejectedException overlong(long record, long length) {
        if (kind.layoutIsTarget()) {
            int limit = kind.recordLength() * 3;
            return new InterfaceFileRejectedException(
                    record + "行目が " + kind.charset().displayName() + " で" + limit + "バイトを超えています。IF 種別 "
                            + kind.id() + " のレコード長は " + kind.layoutCharset().displayName() + " で "
                            + kind.recordLength() + "バイトです。改行が抜けていないか確認してください。",
                    "record " + record + " is longer than " + limit + " bytes of " + kind.charset().displayName()
                            + ", more than any record of " + kind.recordLength() + " bytes of "
                            + kind.layoutCharset().displayName() + " can take; check that every record ends with "
                            + kind.lineEnd());
        }
        if (kind.isFixedLength()) {
            return wrongLength(record, length);
        }
        return new InterfaceFileRejectedException(
                record + "行目が" + kind.maxRecordBytes() + "バイトを超えています。",
                "record " + record + " is longer than " + kind.maxRecordBytes() + " bytes; check that the file is the"
                        + " expected CSV with " + kind.lineEnd() + " line ends");
    }

    /** Rejects a fixed-length record of the wrong size. {@code length} is -1 when it is unknown but too long. */
    InterfaceFileRejectedException wrongLength(long record, long length) {
        FileCharset layout = kind.layoutCharset();
        String japanese = length < 0 ? kind.recordLength() + "バイトを大きく超えています"
                : length + "バイトです";
        String english = length < 0 ? "far more than " + kind.recordLength() + " bytes" : length + " bytes";
        return new InterfaceFileRejectedException(
                record + "行目が" + japanese + "。IF 種別 " + kind.id() + " のレコード長は " + layout.displayName()
                        + " で " + kind.recordLength() + "バイト（改行を除く）です。項目のずれや欠けがないか確認してください。",
                "record " + record + " has " + english + " where IF kind " + kind.id() + " requires "
                        + kind.recordLength() + " bytes of " + layout.displayName() + ", line end excluded; a field is"
                        + " probably shifted or cut, so rebuild the file");
    }

    InterfaceFileRejectedException convertedLength(long record, int length) {
        FileCharset target = kind.convertTo();
        return new InterfaceFileRejectedException(
                record + "行目は " + target.displayName() + " に変換すると " + length + "バイトになり、変換後のレコード長 "
                        + kind.convertedRecordLength() + "バイトと一致しません。",
                "record " + record + " has " + length + " bytes after conversion to " + target.displayName()
                        + " where IF kind " + kind.id() + " requires " + kind.convertedRecordLength()
                        + "; the conversion would break the fixed-length layout, so correct the record or the kind's"
                        + " converted-record-length");
    }

    /** Rejects a last record that ends early without line end, because the file was cut off. */
    InterfaceFileRejectedException truncated(long record, long length) {
        return new InterfaceFileRejectedException(
                record + "行目（最終レコード）が " + length + "バイトで途切れています（" + kind.recordLength()
                        + "バイト必要）。ファイルが途中で切れています。完全なファイルを送り直してください。",
                "the last record " + record + " has only " + length + " of " + kind.recordLength()
                        + " bytes; the file is truncated, so send the complete file again");
    }

    /** Rejects a file that ends inside a record that lacks its line end. */
    InterfaceFileRejectedException incompleteLastRecord(long record, long length) {
        if (kind.isFixedLength() && !kind.layoutIsTarget() && length < kind.recordLength()) {
            return truncated(record, length);
        }
        return lineEndMissing(record);
    }

    InterfaceFileRejectedException emptyFixedFile() {
        return new InterfaceFileRejectedException(
                "ファイルが空です。IF 種別 " + kind.id() + " にはヘッダ、データ、トレーラのレコードが必要です。",
                "the file is empty; IF kind " + kind.id() + " requires a header record, data records and a trailer"
                        + " record");
    }

    InterfaceFileRejectedException unknownType(long record, String marker) {
        return new InterfaceFileRejectedException(
                record + "行目のレコード区分「" + marker + "」（" + kind.recordTypeField() + "バイト目）が不明です。ヘッダ "
                        + kind.header().marker() + "、データ " + kind.data().marker() + "、トレーラ "
                        + kind.trailer().marker() + " のいずれかです。",
                "record " + record + " has record type '" + marker + "' at bytes " + kind.recordTypeField()
                        + " where IF kind " + kind.id() + " knows header '" + kind.header().marker() + "', data '"
                        + kind.data().marker() + "' and trailer '" + kind.trailer().marker() + "'");
    }

    InterfaceFileRejectedException headerNotFirst(RecordType type) {
        return new InterfaceFileRejectedException(
                "1行目が" + type.japaneseRole() + "です。先頭はヘッダレコード（区分 " + kind.header().marker()
                        + "）でなければなりません。",
                "record 1 is a " + type.role() + " record where IF kind " + kind.id()
                        + " requires the header record (type '" + kind.header().marker() + "') first");
    }

    InterfaceFileRejectedException secondHeader(long record) {
        return new InterfaceFileRejectedException(
                record + "行目が2つ目のヘッダレコードです。ヘッダは1行目の1件だけです。",
                "record " + record + " is a second header record; a file has one header record, at record 1");
    }

    InterfaceFileRejectedException afterTrailer(long record) {
        return new InterfaceFileRejectedException(
                record + "行目がトレーラレコードの後にあります。トレーラは最終レコードでなければなりません。",
                "record " + record + " follows the trailer record; the trailer must be the last record, so rebuild"
                        + " the file");
    }

    InterfaceFileRejectedException trailerMissing(long lastRecord) {
        return new InterfaceFileRejectedException(
                "トレーラレコード（区分 " + kind.trailer().marker() + "）がないまま " + lastRecord
                        + "行目でファイルが終わっています。ファイルが途中で切れている可能性があります。完全なファイルを送り直してください。",
                "the file ends at record " + lastRecord + " without a trailer record (type '"
                        + kind.trailer().marker() + "'); it may be cut off, so send the complete file again");
    }

    InterfaceFileRejectedException countNotNumber(long record, String value) {
        return new InterfaceFileRejectedException(
                record + "行目（トレーラレコード）の件数欄「" + InterfaceFileName.printable(value) + "」（"
                        + kind.trailer().count() + "バイト目）が数字ではありません。",
                "the trailer record " + record + " holds '" + InterfaceFileName.printable(value)
                        + "' at bytes " + kind.trailer().count() + " where the number of data records is expected"
                        + " as digits");
    }

    InterfaceFileRejectedException countMismatch(long record, long stated, long actual) {
        return new InterfaceFileRejectedException(
                record + "行目（トレーラレコード）のデータ件数 " + stated + " が実際のデータレコード数 " + actual
                        + " と一致しません。レコードの欠落か追加がないか確認し、ファイルを作り直してください。",
                "the trailer record " + record + " states " + stated + " data records (bytes "
                        + kind.trailer().count() + ") where the file has " + actual
                        + "; records are missing or were added, so rebuild the file");
    }

    InterfaceFileRejectedException columnMissing(long record) {
        return new InterfaceFileRejectedException(
                record + "行目に団体コードの " + kind.codeColumn() + "列目がありません。",
                "record " + record + " has no column " + kind.codeColumn() + ", where IF kind " + kind.id()
                        + " carries the municipality code");
    }

    /**
     * A record carrying another code than the sender's. {@code type} and {@code range} are null for CSV, so that the
     * POSTAL message keeps its established wording.
     */
    InterfaceFileRejectedException codeMismatch(long record, String value, String expected, RecordType type,
            ByteRange range) {
        MunicipalityCode code = name.code();
        String shown = InterfaceFileName.printable(value);
        String checkDigitJapanese = "";
        String checkDigitEnglish = "";
        if (value.matches("[0-9]{6}") && !MunicipalityCode.isValid(value)) {
            int digit = MunicipalityCode.checkDigit(value.substring(0, 5));
            checkDigitJapanese = "（検査数字も誤り: " + value.charAt(5) + " ではなく " + digit + "）";
            checkDigitEnglish = " (its check digit " + value.charAt(5) + " is also wrong, " + digit + " is expected)";
        }
        String role = type == null ? "" : " (" + type.role() + " record)";
        String where = range == null ? "" : " at bytes " + range;
        String japaneseRole = type == null ? "" : "（" + type.japaneseRole() + "、" + range + "バイト目）";
        return new InterfaceFileRejectedException(
                record + "行目" + japaneseRole + "の団体コード「" + shown + "」" + checkDigitJapanese + "が送信元 " + code
                        + "（" + expected + "）と一致しません。他団体のレコードが混じっています。ファイルを作り直してください。",
                "record " + record + role + " carries local government code '" + shown + "'" + where
                        + checkDigitEnglish + " where the sender " + code + " requires " + expected
                        + "; the file holds another municipality's records, so rebuild it");
    }

    /** 外字 under the refuse policy: lists the first findings and gives the total. */
    InterfaceFileRejectedException gaiji(List<GaijiFinding> findings, long total) {
        FileCharset target = kind.convertTo();
        String more = total > findings.size() ? "、ほか " + (total - findings.size()) + "文字" : "";
        String moreEnglish = total > findings.size() ? "; and " + (total - findings.size()) + " more" : "";
        return new InterfaceFileRejectedException(
                target.displayName() + " で表せない外字が " + total + "文字あります: "
                        + findings.stream().map(GaijiFinding::japanese).collect(Collectors.joining("、")) + more
                        + "。" + target.displayName() + " にある文字に直すか、外字の扱いを広域連合と相談してください。",
                total + " character(s) cannot be written in " + target.displayName() + " (gaiji, 外字): "
                        + findings.stream().map(GaijiFinding::english).collect(Collectors.joining("; ")) + moreEnglish
                        + "; replace them with characters " + target.displayName() + " holds, or agree with the union"
                        + " how to send them (IF kind " + kind.id() + " refuses them)");
    }
}
