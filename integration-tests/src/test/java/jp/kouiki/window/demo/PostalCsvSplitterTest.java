package jp.kouiki.window.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.LocalDate;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;

class PostalCsvSplitterTest {

    private static final LocalDate DATE = LocalDate.of(2026, 12, 4);
    private static final Charset WINDOWS_31J = Charset.forName("windows-31j");

    private static MunicipalityDirectory directory;
    private static byte[] tokyo;

    @TempDir
    Path output;

    @BeforeAll
    static void load() throws IOException {
        directory = MunicipalityDirectory.bundled();
        try (InputStream in = PostalCsvSplitterTest.class.getResourceAsStream(PostalCsvSplitter.BUNDLED_TOKYO_CSV)) {
            assertThat(in).as("bundled file " + PostalCsvSplitter.BUNDLED_TOKYO_CSV).isNotNull();
            tokyo = in.readAllBytes();
        }
    }

    private List<PostalCsvSplitter.SplitFile> splitTokyo() throws IOException {
        return PostalCsvSplitter.split(new ByteArrayInputStream(tokyo), output, directory, DATE);
    }

    private List<PostalCsvSplitter.SplitFile> splitText(String text) throws IOException {
        return PostalCsvSplitter.split(new ByteArrayInputStream(text.getBytes(WINDOWS_31J)), output, directory, DATE);
    }

    private static PostalCsvSplitter.SplitFile find(List<PostalCsvSplitter.SplitFile> files, String fiveDigits) {
        return files.stream().filter(file -> file.code().fiveDigits().equals(fiveDigits)).findFirst().orElseThrow();
    }

    @Test
    void tokyoSplitsIntoSixtyTwoFiles() throws IOException {
        List<PostalCsvSplitter.SplitFile> files = splitTokyo();

        assertThat(tokyo).hasSize(489_473);
        assertThat(files).hasSize(62);
        assertThat(files.stream().mapToLong(PostalCsvSplitter.SplitFile::bytes).sum()).isEqualTo(489_473L);
        assertThat(files.stream().mapToInt(PostalCsvSplitter.SplitFile::records).sum()).isEqualTo(4_087);
        try (Stream<Path> written = Files.list(output)) {
            assertThat(written).hasSize(62);
        }
    }

    @Test
    void tokyoFilesConcatenateToOriginal() throws IOException {
        // The Tokyo file lists each municipality's records contiguously, so the files in order rebuild it.
        List<PostalCsvSplitter.SplitFile> files = splitTokyo();

        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (PostalCsvSplitter.SplitFile file : files) {
            joined.write(Files.readAllBytes(file.file()));
        }
        assertThat(joined.toByteArray()).isEqualTo(tokyo);
    }

    @Test
    void everyRecordStartsWithFileCode() throws IOException {
        for (PostalCsvSplitter.SplitFile file : splitTokyo()) {
            byte[] content = Files.readAllBytes(file.file());
            String prefix = file.code().fiveDigits() + ",";
            // ISO-8859-1 maps each byte to one char, so CRLF positions and ASCII prefixes are exact.
            String[] records = new String(content, StandardCharsets.ISO_8859_1).split("\r\n", -1);

            assertThat(records).hasSize(file.records() + 1);
            assertThat(records[records.length - 1]).as("text after the last CRLF of " + file.file()).isEmpty();
            for (int i = 0; i < file.records(); i++) {
                assertThat(records[i]).as(file.file() + " record " + (i + 1)).startsWith(prefix);
            }
        }
    }

    @Test
    void fileMetadataMatchesContent() throws Exception {
        for (PostalCsvSplitter.SplitFile file : splitTokyo()) {
            byte[] content = Files.readAllBytes(file.file());
            String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));

            assertThat(file.file().getFileName().toString()).isEqualTo(file.code().value() + "_POSTAL_20261204.csv");
            assertThat(file.file().getParent()).isEqualTo(output);
            assertThat(file.bytes()).isEqualTo(content.length);
            assertThat(file.sha256Hex()).isEqualTo(digest);
            assertThat(file.municipalityName()).isEqualTo(directory.member(file.code()).name());
        }
    }

    @Test
    void minatoHasLargestFile() throws IOException {
        List<PostalCsvSplitter.SplitFile> files = splitTokyo();
        PostalCsvSplitter.SplitFile minato = find(files, "13103");

        assertThat(minato.code()).isEqualTo(MunicipalityCode.of("131032"));
        assertThat(minato.municipalityName()).isEqualTo("港区");
        assertThat(minato.records()).isEqualTo(966);
        assertThat(minato.bytes()).isEqualTo(133_424L);
        assertThat(minato.file().getFileName().toString()).isEqualTo("131032_POSTAL_20261204.csv");
        assertThat(files).allMatch(file -> file.bytes() <= minato.bytes());
    }

    @Test
    void toshimaHasOneRecord() throws IOException {
        PostalCsvSplitter.SplitFile toshima = find(splitTokyo(), "13362");

        assertThat(toshima.code()).isEqualTo(MunicipalityCode.of("133621"));
        assertThat(toshima.municipalityName()).isEqualTo("利島村");
        assertThat(toshima.records()).isEqualTo(1);
        assertThat(toshima.bytes()).isEqualTo(97L);
    }

    @Test
    void firstFileIsChiyoda() throws IOException {
        PostalCsvSplitter.SplitFile first = splitTokyo().get(0);

        assertThat(first.code()).isEqualTo(MunicipalityCode.of("131016"));
        assertThat(first.file().getFileName().toString()).isEqualTo("131016_POSTAL_20261204.csv");
    }

    @Test
    void pathOverloadReadsFile() throws IOException {
        Path input = Files.createTempFile("postal", ".csv");
        try {
            Files.write(input, tokyo);
            List<PostalCsvSplitter.SplitFile> files = PostalCsvSplitter.split(input, output.resolve("out"),
                    directory, DATE);

            assertThat(files).hasSize(62);
            assertThat(output.resolve("out").resolve("131016_POSTAL_20261204.csv")).isRegularFile();
        } finally {
            Files.delete(input);
        }
    }

    @Test
    void separatedRecordsKeepInputOrder() throws IOException {
        // 表 is 0x95 0x5C in Windows-31J, and its second byte is the ASCII backslash and must stay unchanged.
        String text = "13101,\"表1\"\r\n13102,\"b\"\r\n13101,\"表2\"\r\n";

        List<PostalCsvSplitter.SplitFile> files = splitText(text);

        assertThat(files).extracting(file -> file.code().value()).containsExactly("131016", "131024");
        assertThat(Files.readAllBytes(files.get(0).file()))
                .isEqualTo("13101,\"表1\"\r\n13101,\"表2\"\r\n".getBytes(WINDOWS_31J));
        assertThat(files.get(0).records()).isEqualTo(2);
        assertThat(Files.readAllBytes(files.get(1).file())).isEqualTo("13102,\"b\"\r\n".getBytes(WINDOWS_31J));
    }

    @Test
    void designatedCityWardIsRejected() {
        // 01101 is Chuo ward of Sapporo, whose files travel under Sapporo's code 011002.
        assertThatThrownBy(() -> splitText("13101,\"a\"\r\n01101,\"b\"\r\n"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("line 2")
                .hasMessageContaining("01101")
                .hasMessageContaining("011002");
        assertThat(output).isEmptyDirectory();
    }

    @Test
    void unknownCodeIsRejected() {
        assertThatThrownBy(() -> splitText("13101,\"a\"\r\n13101,\"b\"\r\n99999,\"c\"\r\n"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("line 3")
                .hasMessageContaining("99999")
                .hasMessageContaining("not in the municipality list");
        assertThat(output).isEmptyDirectory();
    }

    @Test
    void malformedLinesAreRejected() {
        List<List<String>> cases = List.of(
                List.of("13101,\"a\"\r\n13101,\"b\"", "line 2 does not end with CRLF"),
                List.of("13101,\"a\"\n", "line 1 ends with LF alone"),
                List.of("13101,\"a\"\r\n\r\n", "line 2 is empty"),
                List.of("13101,\"a\rb\"\r\n", "line 1 contains a CR"),
                List.of("1310,\"a\"\r\n", "line 1: column 1 '1310'"),
                List.of("13101\r\n", "line 1: column 1 '13101'"),
                List.of("１３１０１,\"a\"\r\n", "line 1: column 1 '１３１０１'"),
                List.of("", "input contains no records"));
        for (List<String> testCase : cases) {
            assertThatThrownBy(() -> splitText(testCase.get(0)))
                    .as(testCase.get(0))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining(testCase.get(1));
        }
        assertThat(output).isEmptyDirectory();
    }

    @Test
    void existingOutputIsReplaced() throws IOException {
        Path target = output.resolve("131016_POSTAL_20261204.csv");
        Files.write(target, new byte[] {'x'});

        splitText("13101,\"a\"\r\n");

        assertThat(Files.readAllBytes(target)).isEqualTo("13101,\"a\"\r\n".getBytes(WINDOWS_31J));
        try (Stream<Path> written = Files.list(output)) {
            assertThat(written).containsExactly(target);
        }
    }
}
