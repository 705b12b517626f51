package jp.kouiki.window.iffile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;

/** Checks files cut from Japan Post's Tokyo postal code CSV in the repository's data folder. */
class InterfaceFileCheckerTest {

    private static final Path TOKYO_CSV = Path.of("../data/postal/13TOKYO.CSV");
    private static final Charset WINDOWS_31J = Charset.forName("windows-31j");
    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final String FILE_NAME = "131016_POSTAL_20261204.csv";
    private static final byte[] CRLF = {'\r', '\n'};

    private static List<byte[]> chiyodaRecords;
    private static byte[] chuoRecord;

    @TempDir
    Path directory;

    private final InterfaceFileChecker checker = new InterfaceFileChecker();

    @BeforeAll
    static void readTokyoRecords() throws IOException {
        List<byte[]> records = splitRecords(Files.readAllBytes(TOKYO_CSV));
        chiyodaRecords = records.stream().filter(record -> startsWith(record, "13101,")).toList();
        chuoRecord = records.stream().filter(record -> startsWith(record, "13102,")).findFirst().orElseThrow();
    }

    @Test
    void chiyodaRecordsPass() throws Exception {
        Path file = write(join(chiyodaRecords));

        long count = checker.check(file, postalName());

        assertThat(chiyodaRecords).as("Chiyoda records in 13TOKYO.CSV").hasSizeGreaterThan(100);
        assertThat(count).isEqualTo(chiyodaRecords.size());
    }

    @Test
    void chiyodaRecordsContainWardName() {
        String first = new String(chiyodaRecords.get(0), WINDOWS_31J);

        assertThat(first).contains("\"東京都\",\"千代田区\"");
    }

    @Test
    void msExtensionCharactersPass() throws Exception {
        // NEC special (circled one) and IBM extension (髙) characters exist in Windows-31J but not in Shift_JIS.
        byte[] record = "13101,\"100  \",\"1000000\",\"ﾄｳｷｮｳﾄ\",\"ﾁﾖﾀﾞｸ\",\"ﾃｽﾄ\",\"東京都\",\"千代田区\",\"①髙\",0,0,0,0,0,0"
                .getBytes(WINDOWS_31J);

        assertThat(checker.check(write(join(List.of(record))), postalName())).isEqualTo(1);
    }

    @Test
    void emptyFileHasNoRecords() throws Exception {
        assertThat(checker.check(write(new byte[0]), postalName())).isZero();
    }

    @Test
    void otherMunicipalityRecordIsRejected() throws Exception {
        List<byte[]> records = new ArrayList<>(chiyodaRecords);
        records.set(2, chuoRecord);
        Path file = write(join(records));

        assertThatThrownBy(() -> checker.check(file, postalName()))
                .isInstanceOf(InterfaceFileRejectedException.class)
                .hasMessageContaining("3行目の団体コード「13102」が送信元 131016（13101）と一致しません")
                .hasMessageContaining("record 3 carries local government code '13102' where the sender 131016"
                        + " requires 13101");
    }

    @Test
    void sixDigitCodeInColumnOneIsRejected() throws Exception {
        List<byte[]> records = new ArrayList<>(chiyodaRecords);
        records.set(0, replaceStart(records.get(0), "13101,", "131016,"));
        Path file = write(join(records));

        assertThatThrownBy(() -> checker.check(file, postalName()))
                .isInstanceOf(InterfaceFileRejectedException.class)
                .hasMessageContaining("record 1 carries local government code '131016'");
    }

    @Test
    void lfLineEndsAreRejected() throws Exception {
        Path file = write(join(chiyodaRecords, new byte[] {'\n'}));

        assertThatThrownBy(() -> checker.check(file, postalName()))
                .isInstanceOf(InterfaceFileRejectedException.class)
                .hasMessageContaining(FILE_NAME + " の 1行目が CRLF で終わっていません")
                .hasMessageContaining("record 1 of " + FILE_NAME + " does not end with CRLF");
    }

    @Test
    void singleLfLineEndIsRejected() throws Exception {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (int i = 0; i < 10; i++) {
            content.writeBytes(chiyodaRecords.get(i));
            content.writeBytes(i == 4 ? new byte[] {'\n'} : CRLF);
        }
        Path file = write(content.toByteArray());

        assertThatThrownBy(() -> checker.check(file, postalName()))
                .isInstanceOf(InterfaceFileRejectedException.class)
                .hasMessageContaining("5行目が CRLF で終わっていません")
                .hasMessageContaining("record 5 of " + FILE_NAME);
    }

    @Test
    void missingFinalCrlfIsRejected() throws Exception {
        byte[] content = join(chiyodaRecords);
        Path file = write(Arrays.copyOf(content, content.length - 2));
        int last = chiyodaRecords.size();

        assertThatThrownBy(() -> checker.check(file, postalName()))
                .isInstanceOf(InterfaceFileRejectedException.class)
                .hasMessageContaining(last + "行目が CRLF で終わっていません")
                .hasMessageContaining("record " + last + " of " + FILE_NAME + " does not end with CRLF");
    }

    @Test
    void finalCrWithoutLfIsRejected() throws Exception {
        byte[] content = join(chiyodaRecords);
        Path file = write(Arrays.copyOf(content, content.length - 1));

        assertThatThrownBy(() -> checker.check(file, postalName()))
                .isInstanceOf(InterfaceFileRejectedException.class)
                .hasMessageContaining("record " + chiyodaRecords.size() + " of " + FILE_NAME);
    }

    @Test
    void invalidWindows31jBytesAreRejected() throws Exception {
        List<byte[]> records = new ArrayList<>(chiyodaRecords);
        records.set(1, insertBeforeEnd(records.get(1), new byte[] {(byte) 0x81, 0x20}));
        Path file = write(join(records));

        assertThatThrownBy(() -> checker.check(file, postalName()))
                .isInstanceOf(InterfaceFileRejectedException.class)
                .hasMessageContaining("2行目に Windows-31J として読めないバイト列があります")
                .hasMessageContaining("record 2 has bytes that are not valid Windows-31J");
    }

    @Test
    void leadByteBeforeCrlfIsRejected() throws Exception {
        List<byte[]> records = new ArrayList<>(chiyodaRecords);
        records.set(3, concat(records.get(3), new byte[] {(byte) 0x82}));
        Path file = write(join(records));

        assertThatThrownBy(() -> checker.check(file, postalName()))
                .isInstanceOf(InterfaceFileRejectedException.class)
                .hasMessageContaining("record 4 has bytes that are not valid Windows-31J");
    }

    @Test
    void utf8FileIsRejected() throws Exception {
        String text = new String(join(chiyodaRecords), WINDOWS_31J);
        Path file = write(text.getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> checker.check(file, postalName()))
                .isInstanceOf(InterfaceFileRejectedException.class)
                .hasMessageContaining("record 1 has bytes that are not valid Windows-31J");
    }

    @Test
    void overlongRecordIsRejected() throws Exception {
        byte[] record = new byte[64 * 1024 + 1];
        Arrays.fill(record, (byte) 'A');
        Path file = write(join(List.of(chiyodaRecords.get(0), record)));

        assertThatThrownBy(() -> checker.check(file, postalName()))
                .isInstanceOf(InterfaceFileRejectedException.class)
                .hasMessageContaining("2行目が65536バイトを超えています")
                .hasMessageContaining("record 2 is longer than 65536 bytes");
    }

    @Test
    void otherKindsAreNotRead() throws Exception {
        Path absent = directory.resolve("absent.csv");
        Path lfFile = write(join(List.of(chuoRecord), new byte[] {'\n'}));

        for (String fileName : List.of("131016_JUKI_20261204.csv", "131016_POSTALX_20261204.csv",
                "131016_ADDRESS.txt")) {
            InterfaceFileName name = InterfaceFileName.parse(fileName, CHIYODA);

            assertThat(checker.check(absent, name)).as("missing file as " + fileName).isEqualTo(-1);
            assertThat(checker.check(lfFile, name)).as("LF file of another municipality as " + fileName)
                    .isEqualTo(-1);
        }
    }

    @Test
    void missingPostalFileFails() {
        Path absent = directory.resolve("absent.csv");

        assertThatThrownBy(() -> checker.check(absent, postalName())).isInstanceOf(IOException.class);
    }

    private static InterfaceFileName postalName() throws InterfaceFileRejectedException {
        return InterfaceFileName.parse(FILE_NAME, CHIYODA);
    }

    private Path write(byte[] content) throws IOException {
        Path file = Files.createTempFile(directory, "postal", ".csv");
        Files.write(file, content);
        return file;
    }

    /** Splits CRLF-ended records, failing on any other line end so that the fixture is known to be clean. */
    private static List<byte[]> splitRecords(byte[] content) {
        List<byte[]> records = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < content.length; i++) {
            if (content[i] == '\n') {
                if (i == 0 || content[i - 1] != '\r') {
                    throw new IllegalStateException(TOKYO_CSV + " has a line end without CR at byte " + i);
                }
                records.add(Arrays.copyOfRange(content, start, i - 1));
                start = i + 1;
            }
        }
        if (start != content.length) {
            throw new IllegalStateException(TOKYO_CSV + " does not end with CRLF");
        }
        return records;
    }

    private static byte[] join(List<byte[]> records) {
        return join(records, CRLF);
    }

    private static byte[] join(List<byte[]> records, byte[] lineEnd) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] record : records) {
            content.writeBytes(record);
            content.writeBytes(lineEnd);
        }
        return content.toByteArray();
    }

    private static boolean startsWith(byte[] record, String prefix) {
        byte[] expected = prefix.getBytes(StandardCharsets.US_ASCII);
        return record.length >= expected.length
                && Arrays.equals(record, 0, expected.length, expected, 0, expected.length);
    }

    private static byte[] replaceStart(byte[] record, String oldStart, String newStart) {
        byte[] oldBytes = oldStart.getBytes(StandardCharsets.US_ASCII);
        return concat(newStart.getBytes(StandardCharsets.US_ASCII),
                Arrays.copyOfRange(record, oldBytes.length, record.length));
    }

    /** Inserts bytes before the record's last field so that column 1 stays intact. */
    private static byte[] insertBeforeEnd(byte[] record, byte[] inserted) {
        int lastComma = record.length - 1;
        while (record[lastComma] != ',') {
            lastComma--;
        }
        return concat(concat(Arrays.copyOf(record, lastComma + 1), inserted),
                Arrays.copyOfRange(record, lastComma + 1, record.length));
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] joined = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, joined, first.length, second.length);
        return joined;
    }
}
