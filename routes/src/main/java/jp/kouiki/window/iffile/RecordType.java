package jp.kouiki.window.iffile;

/**
 * One record type of a fixed-length kind: the marker its type field carries and where the record keeps the
 * municipality code and, for the trailer, the number of data records.
 *
 * @param role   header, data or trailer
 * @param marker the ASCII text of the record type field, such as 1
 * @param code   bytes of the municipality code (five or six digits), or null when this type carries none
 * @param count  bytes of the data record count (trailer only), or null
 */
public record RecordType(String role, String marker, ByteRange code, ByteRange count) {

    /** Returns the record type in Japanese, for reason files. */
    String japaneseRole() {
        switch (role) {
            case "header":
                return "ヘッダレコード";
            case "trailer":
                return "トレーラレコード";
            default:
                return "データレコード";
        }
    }
}
