package jp.kouiki.window.iffile;

import java.util.List;

/**
 * The result of checking or converting one interface file.
 *
 * @param kindId        the IF kind from the file name
 * @param known         false when the kind is not in the catalogue; the file was then neither read nor changed
 * @param records       every record read, header and trailer included
 * @param dataRecords   data records of a fixed-length kind; for CSV, equal to {@code records}
 * @param gaijiCount    characters the conversion target cannot hold (replaced, or the reason for rejection)
 * @param firstFindings the first of them, at most {@value RejectionMessages#LISTED_FINDINGS}
 */
public record InterfaceFileReport(String kindId, boolean known, long records, long dataRecords, long gaijiCount,
        List<GaijiFinding> firstFindings) {

    static InterfaceFileReport unknown(String kindId) {
        return new InterfaceFileReport(kindId, false, -1, -1, 0, List.of());
    }
}
