package jp.kouiki.window.iffile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import jp.kouiki.window.iffile.InterfaceFileCorrupter.Corruption;
import jp.kouiki.window.municipality.Municipality;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;

/** Fixed-length H/D/T files of the built-in SHOTOKU kind, generated for real municipalities and then broken. */
class FixedLengthCheckTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final Charset WINDOWS_31J = Charset.forName("windows-31j");
    private static final int DATA_RECORDS = 40;

    @TempDir
    Path directory;

    private final InterfaceFileChecker checker = new InterfaceFileChecker();
    private final FixedLengthFileGenerator generator = FixedLengthFileGenerator.windows31j();

    @Test
    void generatedFilesOfRealMunicipalitiesPass() throws Exception {
        List<MunicipalityCode> codes = MunicipalityDirectory.bundled().members().stream()
                .filter(member -> List.of("01", "13", "47").contains(member.code().prefecture()))
                .map(Municipality::code).limit(200).toList();

        for (Path file : generator.writeFiles(directory, codes, DATA_RECORDS)) {
            InterfaceFileName name = InterfaceFileName.parse(file.getFileName().toString(),
                    MunicipalityCode.of(file.getFileName().toString().substring(0, 6)));

            InterfaceFileReport report = checker.inspect(file, name);

            assertThat(report.records()).as(file.getFileName().toString()).isEqualTo(DATA_RECORDS + 2);
            assertThat(report.dataRecords()).isEqualTo(DATA_RECORDS);
        }
        assertThat(codes).hasSize(200);
    }

    @Test
    void generatedRecordsHave500BytesOfWindows31j() throws Exception {
        Path file = generator.writeFile(directory, CHIYODA, 1, DATA_RECORDS);

        List<byte[]> records = splitCrlf(Files.readAllBytes(file));

        assertThat(records).hasSize(DATA_RECORDS + 2).allSatisfy(record -> assertThat(record).hasSize(500));
        assertThat(new String(records.get(4), WINDOWS_31J)).startsWith("213101600000004髙橋　直樹");
        assertThat(new String(records.get(DATA_RECORDS + 1), WINDOWS_31J)).startsWith("9131016000000040 ");
    }

    @Test
    void fileThatCrossesReadBuffersPasses() throws Exception {
        Path file = generator.writeFile(directory, CHIYODA, 1, 20_000);

        assertThat(checker.inspect(file, name(file)).dataRecords()).isEqualTo(20_000);
    }

    @ParameterizedTest
    @EnumSource(Corruption.class)
    void eachCorruptionIsRejected(Corruption corruption) throws Exception {
        Path file = corrupted(corruption, LineEnd.CRLF);

        AbstractThrowableAssert<?, ? extends Throwable> rejected = assertRejected(checker, file);

        switch (corruption) {
            case WRONG_TRAILER_COUNT -> rejected
                    .hasMessageContaining("42行目（トレーラレコード）のデータ件数 41 が実際のデータレコード数 40 と一致しません")
                    .hasMessageContaining("the trailer record 42 states 41 data records (bytes 8-16) where the file"
                            + " has 40");
            case SHIFTED_FIELD -> rejected
                    .hasMessageContaining("3行目（データレコード、2-7バイト目）の団体コード「 13101」が送信元 131016")
                    .hasMessageContaining("record 3 (data record) carries local government code ' 13101' at bytes"
                            + " 2-7 where the sender 131016 requires 131016");
            case LONG_RECORD -> rejected
                    .hasMessageContaining("3行目が501バイトです。IF 種別 SHOTOKU のレコード長は Windows-31J で 500バイト")
                    .hasMessageContaining("record 3 has 501 bytes where IF kind SHOTOKU requires 500 bytes of"
                            + " Windows-31J, line end excluded");
            case WRONG_CODE -> rejected
                    .hasMessageContaining("3行目（データレコード、2-7バイト目）の団体コード「131024」が送信元 131016（131016）と一致しません")
                    .hasMessageContaining("record 3 (data record) carries local government code '131024' at bytes 2-7"
                            + " where the sender 131016 requires 131016");
            case UNDECODABLE_BYTES -> rejected
                    .hasMessageContaining("3行目に Windows-31J として読めないバイト列があります（行内 491バイト目、ファイル先頭から"
                            + " 1494バイト目: 81 FF）")
                    .hasMessageContaining("record 3 has bytes that are not valid Windows-31J at byte 491 of the"
                            + " record (file offset 1494: 81 FF)");
            case TRUNCATED_LAST_RECORD -> rejected
                    .hasMessageContaining("42行目（最終レコード）が 400バイトで途切れています（500バイト必要）")
                    .hasMessageContaining("the last record 42 has only 400 of 500 bytes; the file is truncated");
            case MISSING_TRAILER -> rejected
                    .hasMessageContaining("トレーラレコード（区分 9）がないまま 41行目でファイルが終わっています")
                    .hasMessageContaining("the file ends at record 41 without a trailer record (type '9')");
            default -> throw new IllegalStateException("no expectation for " + corruption);
        }
    }

    @ParameterizedTest
    @EnumSource(Corruption.class)
    void eachCorruptionIsRejectedWithoutLineEnds(Corruption corruption) throws Exception {
        InterfaceFileChecker noLineEnds = TestKinds.checker(TestKinds.fixed("SHOTOKU", "windows-31j", "none", ""));
        Path file = corrupted(corruption, LineEnd.NONE);

        AbstractThrowableAssert<?, ? extends Throwable> rejected = assertRejected(noLineEnds, file);

        switch (corruption) {
            case WRONG_TRAILER_COUNT -> rejected.hasMessageContaining("states 41 data records");
            case SHIFTED_FIELD -> rejected.hasMessageContaining("record 3 (data record) carries local government"
                    + " code ' 13101'");
            case LONG_RECORD -> rejected.hasMessageContaining("record 4 has record type ' ' at bytes 1");
            case WRONG_CODE -> rejected.hasMessageContaining("record 3 (data record) carries local government code"
                    + " '131024'");
            case UNDECODABLE_BYTES -> rejected.hasMessageContaining("record 3 has bytes that are not valid"
                    + " Windows-31J at byte 491 of the record (file offset 1490: 81 FF)");
            case TRUNCATED_LAST_RECORD -> rejected.hasMessageContaining("the last record 42 has only 398 of 500"
                    + " bytes; the file is truncated");
            case MISSING_TRAILER -> rejected.hasMessageContaining("the file ends at record 41 without a trailer");
            default -> throw new IllegalStateException("no expectation for " + corruption);
        }
    }

    @Test
    void recordsWithoutLineEndsPass() throws Exception {
        InterfaceFileChecker noLineEnds = TestKinds.checker(TestKinds.fixed("SHOTOKU", "windows-31j", "none", ""));
        Path file = new FixedLengthFileGenerator(FileCharset.WINDOWS_31J, FileCharset.WINDOWS_31J, LineEnd.NONE,
                GaijiNames.writableIn(FileCharset.WINDOWS_31J)).writeFile(directory, CHIYODA, 1, DATA_RECORDS);

        assertThat(Files.size(file)).isEqualTo(500L * (DATA_RECORDS + 2));
        assertThat(noLineEnds.inspect(file, name(file)).dataRecords()).isEqualTo(DATA_RECORDS);
    }

    @Test
    void wrongCheckDigitInRecordIsNamed() throws Exception {
        Path file = rewrite(generator.writeFile(directory, CHIYODA, 1, 3), 2, 1, "131017");

        assertRejected(checker, file)
                .hasMessageContaining("団体コード「131017」（検査数字も誤り: 7 ではなく 6）")
                .hasMessageContaining("'131017' at bytes 2-7 (its check digit 7 is also wrong, 6 is expected)");
    }

    @Test
    void headerCodeIsChecked() throws Exception {
        Path file = rewrite(generator.writeFile(directory, CHIYODA, 1, 3), 0, 1, CHUO.value());

        assertRejected(checker, file).hasMessageContaining("record 1 (header record) carries local government code"
                + " '131024'");
    }

    @Test
    void trailerCodeIsChecked() throws Exception {
        Path file = rewrite(generator.writeFile(directory, CHIYODA, 1, 3), 4, 1, CHUO.value());

        assertRejected(checker, file).hasMessageContaining("record 5 (trailer record) carries local government code"
                + " '131024'");
    }

    @Test
    void firstRecordMustBeHeader() throws Exception {
        Path file = rewrite(generator.writeFile(directory, CHIYODA, 1, 3), 0, 0, "2");

        assertRejected(checker, file)
                .hasMessageContaining("1行目がデータレコードです。先頭はヘッダレコード（区分 1）でなければなりません")
                .hasMessageContaining("record 1 is a data record where IF kind SHOTOKU requires the header record"
                        + " (type '1') first");
    }

    @Test
    void secondHeaderIsRejected() throws Exception {
        Path file = rewrite(generator.writeFile(directory, CHIYODA, 1, 3), 2, 0, "1");

        assertRejected(checker, file).hasMessageContaining("record 3 is a second header record");
    }

    @Test
    void recordAfterTrailerIsRejected() throws Exception {
        Path file = generator.writeFile(directory, CHIYODA, 1, 3);
        byte[] content = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOfRange(content, 502, 1004), java.nio.file.StandardOpenOption.APPEND);

        assertRejected(checker, file)
                .hasMessageContaining("6行目がトレーラレコードの後にあります")
                .hasMessageContaining("record 6 follows the trailer record; the trailer must be the last record");
    }

    @Test
    void unknownRecordTypeIsRejected() throws Exception {
        Path file = rewrite(generator.writeFile(directory, CHIYODA, 1, 3), 2, 0, "5");

        assertRejected(checker, file)
                .hasMessageContaining("3行目のレコード区分「5」（1バイト目）が不明です")
                .hasMessageContaining("record 3 has record type '5' at bytes 1 where IF kind SHOTOKU knows header"
                        + " '1', data '2' and trailer '9'");
    }

    @Test
    void trailerCountMustBeDigits() throws Exception {
        Path file = rewrite(generator.writeFile(directory, CHIYODA, 1, 3), 4, 7, "00000000x");

        assertRejected(checker, file).hasMessageContaining("the trailer record 5 holds '00000000x' at bytes 8-16");
    }

    @Test
    void emptyFileIsRejected() throws Exception {
        Path file = Files.write(directory.resolve(generator.fileName(CHIYODA, 1)), new byte[0]);

        assertRejected(checker, file).hasMessageContaining("the file is empty; IF kind SHOTOKU requires a header"
                + " record, data records and a trailer record");
    }

    @Test
    void missingFinalLineEndIsRejected() throws Exception {
        Path source = generator.writeFile(directory, CHIYODA, 1, 3);
        byte[] content = Files.readAllBytes(source);
        Path file = Files.write(source, Arrays.copyOf(content, content.length - 2));

        assertRejected(checker, file).hasMessageContaining("record 5 of 131016_SHOTOKU_20261204_001.dat does not end"
                + " with CRLF");
    }

    @Test
    void lfFileIsRejectedForCrlfKind() throws Exception {
        Path file = new FixedLengthFileGenerator(FileCharset.WINDOWS_31J, FileCharset.WINDOWS_31J, LineEnd.LF,
                GaijiNames.writableIn(FileCharset.WINDOWS_31J)).writeFile(directory, CHIYODA, 1, 3);

        assertRejected(checker, file).hasMessageContaining("record 1 of 131016_SHOTOKU_20261204_001.dat does not end"
                + " with CRLF; IF kind SHOTOKU requires CRLF after every record");
    }

    @Test
    void crlfFileIsRejectedForLfKind() throws Exception {
        InterfaceFileChecker lf = TestKinds.checker(TestKinds.fixed("SHOTOKU", "windows-31j", "lf", ""));
        Path file = generator.writeFile(directory, CHIYODA, 1, 3);

        assertRejected(lf, file).hasMessageContaining("record 1 ends with CRLF; IF kind SHOTOKU requires LF alone");
    }

    @Test
    void strictShiftJisRejectsWindows31jExtensions() throws Exception {
        InterfaceFileChecker shiftJis = TestKinds.checker(TestKinds.fixed("SHOTOKU", "shift_jis", "crlf", ""));
        Path file = generator.writeFile(directory, CHIYODA, 1, DATA_RECORDS);

        assertRejected(shiftJis, file)
                .hasMessageContaining("5行目に Shift_JIS として読めないバイト列があります（行内 16バイト目、ファイル先頭から"
                        + " 2023バイト目: FB FC）")
                .hasMessageContaining("record 5 has bytes that are not valid Shift_JIS at byte 16 of the record (file"
                        + " offset 2023: FB FC); save the file as Shift_JIS (JIS X 0208 only)");
    }

    @Test
    void nameMustMatchKindPattern() throws Exception {
        Path source = generator.writeFile(directory, CHIYODA, 1, 3);
        Path file = Files.move(source, directory.resolve("131016_SHOTOKU_20261304_001.dat"));

        assertRejected(checker, file)
                .hasMessageContaining("ファイル名「131016_SHOTOKU_20261304_001.dat」が IF 種別 SHOTOKU の形式")
                .hasMessageContaining("does not match the pattern {code}_{kind}_{date}_{seq}.dat of IF kind SHOTOKU;"
                        + " name it like 131016_SHOTOKU_20261204_001.dat");
    }

    private Path corrupted(Corruption corruption, LineEnd lineEnd) throws IOException {
        Path clean = new FixedLengthFileGenerator(FileCharset.WINDOWS_31J, FileCharset.WINDOWS_31J, lineEnd,
                GaijiNames.writableIn(FileCharset.WINDOWS_31J))
                .writeFile(Files.createDirectories(directory.resolve("clean")), CHIYODA, 1, DATA_RECORDS);
        Path broken = directory.resolve(clean.getFileName());
        new InterfaceFileCorrupter(lineEnd, 500, CHUO).corrupt(clean, broken, corruption);
        return broken;
    }

    /** Overwrites ASCII text at a 0-based byte index of a 0-based record of a CRLF file. */
    private static Path rewrite(Path file, int record, int index, String ascii) throws IOException {
        byte[] content = Files.readAllBytes(file);
        byte[] text = ascii.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, content, record * 502 + index, text.length);
        return Files.write(file, content);
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(InterfaceFileChecker checker,
            Path file) {
        return assertThatThrownBy(() -> checker.inspect(file, name(file)))
                .isInstanceOf(InterfaceFileRejectedException.class)
                .hasMessageContaining(" / ");
    }

    private static InterfaceFileName name(Path file) throws InterfaceFileRejectedException {
        return InterfaceFileName.parse(file.getFileName().toString(), CHIYODA);
    }

    private static List<byte[]> splitCrlf(byte[] content) {
        List<byte[]> records = new ArrayList<>();
        ByteArrayOutputStream record = new ByteArrayOutputStream();
        for (int i = 0; i < content.length; i++) {
            if (content[i] == '\r' && i + 1 < content.length && content[i + 1] == '\n') {
                records.add(record.toByteArray());
                record.reset();
                i++;
            } else {
                record.write(content[i]);
            }
        }
        return records;
    }
}
