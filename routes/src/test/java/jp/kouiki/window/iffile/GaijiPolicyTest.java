package jp.kouiki.window.iffile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;

/** 外字 found while converting, under the refuse and the replace policies, and lossless conversion. */
class GaijiPolicyTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final Charset WINDOWS_31J = Charset.forName("windows-31j");
    /** Code points of names-utf8.txt that UTF-8 → windows-31j cannot carry unchanged, in file order. */
    private static final List<String> NOT_IN_WINDOWS_31J = List.of("U+20BB7", "U+4D92", "U+29E3D", "U+3402",
            "U+845B U+E0100", "U+8FBB U+E0100", "U+9089 U+E0101", "U+301C", "U+2212", "U+3099", "U+E000");
    /** Code points of the Windows-31J names that strict Shift_JIS lacks or maps to another character. */
    private static final List<String> NOT_IN_SHIFT_JIS = List.of("U+9AD9", "U+FA11", "U+5FB7", "U+6FF5", "U+6801",
            "U+FA10", "U+663B", "U+2162", "U+2460", "U+3231", "U+FF5E", "U+FF0D", "U+2015", "U+E000");

    @TempDir
    Path directory;

    @Test
    void refusePolicyListsLineColumnAndCodePoint() throws Exception {
        InterfaceFileChecker checker = TestKinds.checker(utf8ToWindows31j("refuse"));
        Path file = utf8Generator().kind("IDOU").writeFile(directory, CHIYODA, 1, 34);

        assertThatThrownBy(() -> checker.inspect(file, name(file)))
                .isInstanceOf(InterfaceFileRejectedException.class)
                .hasMessageContaining("Windows-31J で表せない外字が 11文字あります: ")
                .hasMessageContaining("15行目 16文字目（行内 16バイト目）U+20BB7")
                .hasMessageContaining("11 character(s) cannot be written in Windows-31J (gaiji, 外字): line 15 column"
                        + " 16 (byte 16 of the record) U+20BB7; line 16 column 16 (byte 16 of the record) U+4D92;")
                .hasMessageContaining("line 19 column 16 (byte 16 of the record) U+845B U+E0100; line 20 column 16"
                        + " (byte 16 of the record) U+8FBB U+E0100; line 21 column 17 (byte 19 of the record)"
                        + " U+9089 U+E0101")
                .hasMessageContaining("line 33 column 21 (byte 31 of the record) U+3099; line 34 column 16"
                        + " (byte 16 of the record) U+E000")
                .hasMessageContaining("(IF kind IDOU refuses them)");
    }

    @Test
    void refusalListsAtMostTwentyAndCountsAll() throws Exception {
        InterfaceFileChecker checker = TestKinds.checker(utf8ToWindows31j("refuse"));
        Path file = utf8Generator().kind("IDOU").writeFile(directory, CHIYODA, 1, 34 * 3);

        assertThatThrownBy(() -> checker.inspect(file, name(file)))
                .hasMessageContaining("外字が 33文字あります")
                .hasMessageContaining("; and 13 more;")
                .hasMessageContaining("、ほか 13文字");
    }

    @Test
    void replacePolicyWritesReplacementAndListsEach() throws Exception {
        InterfaceKind kind = TestKinds.catalogue(utf8ToWindows31j("replace")).find("IDOU").orElseThrow();
        Path file = utf8Generator().kind("IDOU").writeFile(directory, CHIYODA, 1, 34);
        ByteArrayOutputStream converted = new ByteArrayOutputStream();
        StringWriter replacements = new StringWriter();

        InterfaceFileReport report = new InterfaceFileChecker().convert(kind, file, name(file), converted,
                replacements);

        assertThat(report.gaijiCount()).isEqualTo(11);
        assertThat(report.firstFindings()).extracting(GaijiFinding::codePoints).containsExactlyElementsOf(
                NOT_IN_WINDOWS_31J);
        assertThat(replacements.toString().lines()).hasSize(11)
                .contains("15\t16\t16\tU+20BB7\tU+25CF", "19\t16\t16\tU+845B U+E0100\tU+25CF");
        List<String> records = new String(converted.toByteArray(), WINDOWS_31J).lines().toList();
        assertThat(records).hasSize(36);
        assertThat(records.get(14)).contains("●田　悠真");
        assertThat(records.get(18)).contains("●城　孝");
        assertThat(records.get(4)).contains("髙橋　直樹");
        for (String record : records) {
            assertThat(record.getBytes(WINDOWS_31J)).as(record).hasSize(500);
        }
    }

    @Test
    void inspectionUnderReplaceLetsFilePass() throws Exception {
        InterfaceFileChecker checker = TestKinds.checker(utf8ToWindows31j("replace"));
        Path file = utf8Generator().kind("IDOU").writeFile(directory, CHIYODA, 1, 34);

        InterfaceFileReport report = checker.inspect(file, name(file));

        assertThat(report.gaijiCount()).isEqualTo(11);
        assertThat(report.dataRecords()).isEqualTo(34);
    }

    @Test
    void windows31jToShiftJisReplacesVendorCharactersKeepingLength() throws Exception {
        String text = TestKinds.fixed("SHOTOKU", "windows-31j", "crlf", """
                kind.{id}.convert-to=shift_jis
                kind.{id}.gaiji=replace
                kind.{id}.gaiji.replacement=〓
                """);
        InterfaceKind kind = TestKinds.catalogue(text).find("SHOTOKU").orElseThrow();
        Path file = FixedLengthFileGenerator.windows31j().writeFile(directory, CHIYODA, 1, 27);
        ByteArrayOutputStream converted = new ByteArrayOutputStream();

        InterfaceFileReport report = new InterfaceFileChecker().convert(kind, file, name(file), converted, null);

        assertThat(report.firstFindings()).extracting(GaijiFinding::codePoints)
                .containsExactlyElementsOf(NOT_IN_SHIFT_JIS);
        String delivered = new String(converted.toByteArray(), Charset.forName("Shift_JIS"));
        assertThat(delivered).contains("〓橋　直樹", "北野　修（〓2019年　旧姓森）").doesNotContain("髙");
        assertThat(converted.size()).isEqualTo(Files.size(file));
    }

    @Test
    void windows31jToUtf8IsLossless() throws Exception {
        InterfaceKind kind = TestKinds.catalogue(TestKinds.fixed("SHOTOKU", "windows-31j", "crlf",
                "kind.{id}.convert-to=utf-8\n")).find("SHOTOKU").orElseThrow();
        List<GaijiNames.Name> names = GaijiNames.writableIn(FileCharset.WINDOWS_31J).stream()
                .filter(name -> !name.category().equals("pua-gaiji")).toList();
        Path file = new FixedLengthFileGenerator(FileCharset.WINDOWS_31J, FileCharset.WINDOWS_31J, LineEnd.CRLF,
                names).writeFile(directory, CHIYODA, 1, 200);
        ByteArrayOutputStream converted = new ByteArrayOutputStream();

        InterfaceFileReport report = new InterfaceFileChecker().convert(kind, file, name(file), converted, null);

        assertThat(report.gaijiCount()).isZero();
        byte[] original = Files.readAllBytes(file);
        assertThat(converted.toByteArray())
                .isEqualTo(new String(original, WINDOWS_31J).getBytes(StandardCharsets.UTF_8));
        assertThat(new String(converted.toByteArray(), StandardCharsets.UTF_8)).contains("髙橋", "①", "～", "－", "―");
    }

    @Test
    void privateUseCharacterIsGaijiInAnyConversion() throws Exception {
        InterfaceFileChecker checker = TestKinds.checker(TestKinds.fixed("SHOTOKU", "windows-31j", "crlf",
                "kind.{id}.convert-to=utf-8\n"));
        Path file = new FixedLengthFileGenerator(FileCharset.WINDOWS_31J, FileCharset.WINDOWS_31J, LineEnd.CRLF,
                List.of(GaijiNames.byId("P01"))).writeFile(directory, CHIYODA, 1, 1);

        assertThatThrownBy(() -> checker.inspect(file, name(file)))
                .hasMessageContaining("1 character(s) cannot be written in UTF-8 (gaiji, 外字): line 2 column 16 (byte"
                        + " 16 of the record) U+E000");
    }

    @Test
    void oneWayEncoderMappingIsRefused() throws Exception {
        InterfaceFileChecker checker = TestKinds.checker("""
                kind.MEIBO.format=csv
                kind.MEIBO.charset=utf-8
                kind.MEIBO.code-column=1
                kind.MEIBO.convert-to=windows-31j
                """);
        Path file = Files.writeString(directory.resolve("131016_MEIBO.csv"), "131016,\"手数料¥300\",ゔぁ\r\n",
                StandardCharsets.UTF_8);

        assertThatThrownBy(() -> checker.inspect(file, name(file)))
                .hasMessageContaining("line 1 column 12 (byte 18 of the record) U+00A5; line 1 column 18 (byte 25 of"
                        + " the record) U+3094");
    }

    @Test
    void variationSelectorAfterAsciiIsOneGaiji() throws Exception {
        InterfaceFileChecker checker = TestKinds.checker("""
                kind.MEIBO.format=csv
                kind.MEIBO.charset=utf-8
                kind.MEIBO.code-column=1
                kind.MEIBO.convert-to=windows-31j
                """);
        Path file = Files.writeString(directory.resolve("131016_MEIBO.csv"), "131016,A\uDB40\uDD00,1\uFE0F\r\n",
                StandardCharsets.UTF_8);

        assertThatThrownBy(() -> checker.inspect(file, name(file)))
                .hasMessageContaining("2 character(s) cannot be written in Windows-31J (gaiji, 外字): line 1 column 8"
                        + " (byte 8 of the record) U+0041 U+E0100; line 1 column 11 (byte 14 of the record) U+0031"
                        + " U+FE0F;");
    }

    @Test
    void convertedRecordLengthIsCheckedInTargetBytes() throws Exception {
        InterfaceFileChecker checker = TestKinds.checker(TestKinds.fixed("SHOTOKU", "windows-31j", "crlf", """
                kind.{id}.convert-to=utf-8
                kind.{id}.converted-record-length=500
                """));
        Path file = FixedLengthFileGenerator.windows31j().writeFile(directory, CHIYODA, 1, 3);

        assertThatThrownBy(() -> checker.inspect(file, name(file)))
                .hasMessageContaining("2行目は UTF-8 に変換すると 505バイトになり")
                .hasMessageContaining("record 2 has 505 bytes after conversion to UTF-8 where IF kind SHOTOKU"
                        + " requires 500");
    }

    @Test
    void utf8RecordsAreMeasuredInTargetBytes() throws Exception {
        InterfaceFileChecker checker = TestKinds.checker(utf8ToWindows31j("replace"));
        Path source = utf8Generator().kind("IDOU").writeFile(directory, CHIYODA, 1, 3);
        String text = Files.readString(source, StandardCharsets.UTF_8).replaceFirst("山川　春子", "山川　春子子");
        Path file = Files.writeString(source, text, StandardCharsets.UTF_8);

        assertThatThrownBy(() -> checker.inspect(file, name(file)))
                .hasMessageContaining("record 2 has 502 bytes where IF kind IDOU requires 500 bytes of Windows-31J");
    }

    @Test
    void overlongUtf8RecordNamesBothCharsets() throws Exception {
        InterfaceFileChecker checker = TestKinds.checker(utf8ToWindows31j("replace"));
        Path source = utf8Generator().kind("IDOU").writeFile(directory, CHIYODA, 1, 3);
        String text = Files.readString(source, StandardCharsets.UTF_8).replaceFirst("\r\n", " ".repeat(1100));
        Path file = Files.writeString(source, text, StandardCharsets.UTF_8);

        assertThatThrownBy(() -> checker.inspect(file, name(file)))
                .hasMessageContaining("record 1 is longer than 1500 bytes of UTF-8, more than any record of 500 bytes"
                        + " of Windows-31J can take; check that every record ends with CRLF");
    }

    @Test
    void bomIsRequiredWhereDeclared() throws Exception {
        InterfaceFileChecker checker = TestKinds.checker("""
                kind.MEIBO.format=csv
                kind.MEIBO.charset=utf-8-bom
                kind.MEIBO.code-column=1
                """);
        Path file = Files.writeString(directory.resolve("131016_MEIBO.csv"), "131016,山川\r\n", StandardCharsets.UTF_8);

        assertThatThrownBy(() -> checker.inspect(file, name(file)))
                .hasMessageContaining("does not start with the UTF-8 byte order mark EF BB BF; IF kind MEIBO requires"
                        + " UTF-8 with BOM");
    }

    @Test
    void unexpectedBomIsRejected() throws Exception {
        InterfaceFileChecker checker = TestKinds.checker("""
                kind.MEIBO.format=csv
                kind.MEIBO.charset=utf-8
                kind.MEIBO.code-column=1
                """);
        Path file = Files.writeString(directory.resolve("131016_MEIBO.csv"), "\uFEFF131016,山川\r\n",
                StandardCharsets.UTF_8);

        assertThatThrownBy(() -> checker.inspect(file, name(file)))
                .hasMessageContaining("starts with the UTF-8 byte order mark EF BB BF; IF kind MEIBO requires UTF-8"
                        + " without BOM");
    }

    @Test
    void conversionToUtf8WithBomWritesBom() throws Exception {
        InterfaceKind kind = TestKinds.catalogue("""
                kind.MEIBO.format=csv
                kind.MEIBO.charset=windows-31j
                kind.MEIBO.code-column=1
                kind.MEIBO.convert-to=utf-8-bom
                """).find("MEIBO").orElseThrow();
        Path file = Files.write(directory.resolve("131016_MEIBO.csv"), "131016,\"髙橋\"\r\n".getBytes(WINDOWS_31J));
        ByteArrayOutputStream converted = new ByteArrayOutputStream();

        new InterfaceFileChecker().convert(kind, file, name(file), converted, null);

        assertThat(converted.toByteArray()).isEqualTo(("\uFEFF131016,\"髙橋\"\r\n").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void undecodableUtf8ReportsOffset() throws Exception {
        InterfaceFileChecker checker = TestKinds.checker(utf8ToWindows31j("replace"));
        Path clean = utf8Generator().kind("IDOU").writeFile(Files.createDirectories(directory.resolve("clean")),
                CHIYODA, 1, 5);
        Path file = directory.resolve(clean.getFileName());
        new InterfaceFileCorrupter(LineEnd.CRLF, 500, MunicipalityCode.of("131024")).corrupt(clean, file,
                InterfaceFileCorrupter.Corruption.UNDECODABLE_BYTES);

        assertThatThrownBy(() -> checker.inspect(file, name(file)))
                .hasMessageContaining("record 3 has bytes that are not valid UTF-8 at byte 496 of the record (file"
                        + " offset 1504: 81 FF)");
    }

    @Test
    void everyNameCategoryIsCovered() {
        Set<String> categories = new LinkedHashSet<>();
        GaijiNames.all().forEach(name -> categories.add(name.category()));

        assertThat(categories).contains("ms932-only", "nec-special", "neither", "ivs", "wave-dash",
                "fullwidth-tilde", "minus-sign", "pua-gaiji", "nfd-kana", "sjis-5c", "halfwidth-kana");
    }

    private static String utf8ToWindows31j(String policy) {
        return TestKinds.fixed("IDOU", "utf-8", "crlf", """
                kind.{id}.convert-to=windows-31j
                kind.{id}.gaiji=%s
                """.formatted(policy));
    }

    private static FixedLengthFileGenerator utf8Generator() {
        return new FixedLengthFileGenerator(FileCharset.UTF_8, FileCharset.WINDOWS_31J, LineEnd.CRLF,
                GaijiNames.all());
    }

    private static InterfaceFileName name(Path file) throws IOException, InterfaceFileRejectedException {
        return InterfaceFileName.parse(file.getFileName().toString(), CHIYODA);
    }
}
