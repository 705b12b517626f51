package jp.kouiki.window.iffile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import jp.kouiki.window.config.Settings;

class InterfaceKindCatalogueTest {

    private static final String FIXED = """
            kind.TEST.format=fixed
            kind.TEST.charset=windows-31j
            kind.TEST.record-length=500
            kind.TEST.record-type=1
            kind.TEST.header.type=1
            kind.TEST.data.type=2
            kind.TEST.data.code=2-7
            kind.TEST.trailer.type=9
            kind.TEST.trailer.count=8-16
            """;

    @TempDir
    Path directory;

    @Test
    void builtInHasPostalAndFixedLengthKind() {
        InterfaceKindCatalogue catalogue = InterfaceKindCatalogue.builtIn();

        InterfaceKind postal = catalogue.find("POSTAL").orElseThrow();
        InterfaceKind shotoku = catalogue.find("SHOTOKU").orElseThrow();
        assertThat(postal.format()).isEqualTo(RecordFormat.CSV);
        assertThat(postal.charset()).isEqualTo(FileCharset.WINDOWS_31J);
        assertThat(postal.codeColumn()).isEqualTo(1);
        assertThat(postal.codeDigits()).isEqualTo(5);
        assertThat(shotoku.format()).isEqualTo(RecordFormat.FIXED);
        assertThat(shotoku.recordLength()).isEqualTo(500);
        assertThat(shotoku.lineEnd()).isEqualTo(LineEnd.CRLF);
        assertThat(shotoku.trailer().count()).isEqualTo(new ByteRange(8, 16));
        assertThat(shotoku.data().code()).isEqualTo(new ByteRange(2, 7));
        assertThat(shotoku.gaijiPolicy()).isEqualTo(GaijiPolicy.REFUSE);
        assertThat(shotoku.replacement()).isEqualTo("●");
        assertThat(catalogue.digest()).hasSize(64);
    }

    @Test
    void fixedKindGetsDefaults() throws IOException {
        InterfaceKind kind = parse(FIXED).find("TEST").orElseThrow();

        assertThat(kind.lineEnd()).isEqualTo(LineEnd.CRLF);
        assertThat(kind.header().code()).isNull();
        assertThat(kind.convertTo()).isNull();
        assertThat(kind.layoutCharset()).isEqualTo(FileCharset.WINDOWS_31J);
    }

    @Test
    void utf8FileWithShiftJisTargetCountsTargetBytes() throws IOException {
        InterfaceKind kind = parse(FIXED.replace("charset=windows-31j", "charset=utf-8")
                + "kind.TEST.convert-to=windows-31j\n").find("TEST").orElseThrow();

        assertThat(kind.layoutCharset()).isEqualTo(FileCharset.WINDOWS_31J);
        assertThat(kind.convertedRecordLength()).isZero();
    }

    @Test
    void shiftJisTargetKeepsRecordLengthByDefault() throws IOException {
        InterfaceKind kind = parse(FIXED + "kind.TEST.convert-to=shift_jis\n").find("TEST").orElseThrow();

        assertThat(kind.convertedRecordLength()).isEqualTo(500);
        assertThat(kind.layoutCharset()).isEqualTo(FileCharset.WINDOWS_31J);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "kind.TEST.record-length=abc|kind.TEST.record-length=abc is invalid; expected a whole number from 1 to",
        "kind.TEST.charset=euc-jp|kind.TEST.charset=euc-jp is invalid; expected windows-31j, shift_jis, utf-8 or"
                + " utf-8-bom",
        "kind.TEST.format=xml|kind.TEST.format=xml is invalid; expected csv or fixed",
        "kind.TEST.line-end=cr|kind.TEST.line-end=cr is invalid; expected crlf, lf or none",
        "kind.TEST.gaiji=drop|kind.TEST.gaiji=drop is invalid; expected refuse or replace",
        "kind.TEST.gaiji.replacement=𠮷|kind.TEST.gaiji.replacement=𠮷 is invalid; expected one character that"
                + " windows-31j holds",
        "kind.TEST.gaiji.replacement=??|kind.TEST.gaiji.replacement=?? is invalid",
        "kind.TEST.data.code=2-8|kind.TEST.data.code=2-8 is invalid; expected a range of 6 bytes",
        "kind.TEST.trailer.count=495-505|kind.TEST.trailer.count=495-505 is invalid; expected a byte range within"
                + " the record-length of 500 bytes",
        "kind.TEST.data.type=1|kind.TEST.data.type=1 is invalid; expected a marker different",
        "kind.TEST.header.type=10|kind.TEST.header.type=10 is invalid; expected 1 printable ASCII character",
        "kind.TEST.convert-to=windows-31j|kind.TEST.convert-to=windows-31j is invalid; expected a character set"
                + " other than the file's own",
        "kind.TEST.converted-record-length=500|kind.TEST.converted-record-length=500 is invalid; expected no value,"
                + " because the kind has no convert-to key",
        "kind.TEST.recordlength=500|key kind.TEST.recordlength is not a setting of a fixed kind; remove it or use"
                + " one of",
        "kind.TEST.name-pattern={code}_{kind}_{year}.dat|has the unknown placeholder {year}",
        "kind.TEST.name-pattern={kind}_{code}.dat|does not start with {code}_{kind}",
        "kinds.TEST.format=csv|key kinds.TEST.format is not of the form kind.<ID>.<setting>",
        "kind.test.format=csv|has the kind id 'test'; write kind ids in capital letters and digits only"})
    void invalidEntryNamesKeyAndFix(String line, String message) {
        String key = line.substring(0, line.indexOf('='));
        String text = FIXED.lines().filter(existing -> !existing.startsWith(key + "="))
                .reduce("", (all, next) -> all + next + "\n") + line + "\n";

        assertThatThrownBy(() -> parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("interface kind catalogue test: ")
                .hasMessageContaining(message);
    }

    @Test
    void missingKeyIsNamed() {
        String text = FIXED.replace("kind.TEST.trailer.count=8-16\n", "");

        assertThatThrownBy(() -> parse(text))
                .hasMessage("interface kind catalogue test: key kind.TEST.trailer.count is missing; add it to the"
                        + " catalogue (see docs/interface-files.md)");
    }

    @Test
    void utf8WithoutLineEndsIsRejected() {
        String text = FIXED.replace("charset=windows-31j", "charset=utf-8") + "kind.TEST.line-end=none\n";

        assertThatThrownBy(() -> parse(text))
                .hasMessageContaining("kind.TEST.line-end=none is invalid; expected crlf or lf, because records of a"
                        + " UTF-8 file");
    }

    @Test
    void settingNamesFileAndKey() throws IOException {
        Path file = directory.resolve("kinds.properties");
        Files.writeString(file, FIXED.replace("record-length=500", "record-length=0"), StandardCharsets.UTF_8);
        Properties values = new Properties();
        values.setProperty("agent.interface-kinds", file.toString());
        Settings settings = Settings.of("/settings-test-defaults.properties", values);

        assertThatThrownBy(() -> InterfaceKindCatalogue.fromSetting(settings, "agent.interface-kinds"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("setting agent.interface-kinds=" + file + ": interface kind catalogue " + file)
                .hasMessageContaining("kind.TEST.record-length=0 is invalid; expected a whole number from 1 to");
    }

    @Test
    void missingCatalogueFileIsNamed() throws IOException {
        Properties values = new Properties();
        values.setProperty("central.interface-kinds", directory.resolve("absent.properties").toString());
        Settings settings = Settings.of("/settings-test-defaults.properties", values);

        assertThatThrownBy(() -> InterfaceKindCatalogue.fromSetting(settings, "central.interface-kinds"))
                .hasMessageContaining("setting central.interface-kinds=")
                .hasMessageContaining("expected a readable interface kind catalogue file");
    }

    @Test
    void emptySettingGivesBuiltIn() throws IOException {
        Settings settings = Settings.of("/settings-test-defaults.properties", new Properties());

        InterfaceKindCatalogue catalogue = InterfaceKindCatalogue.fromSetting(settings, "agent.interface-kinds");

        assertThat(catalogue.kinds()).containsOnlyKeys("POSTAL", "SHOTOKU");
    }

    @Test
    void exampleConfigurationLoads() throws IOException {
        InterfaceKindCatalogue catalogue = InterfaceKindCatalogue.load(Path.of("../config/interface-kinds.properties"));

        assertThat(catalogue.kinds()).containsKeys("POSTAL", "SHOTOKU");
    }

    @Test
    void digestChangesWithContent() throws IOException {
        assertThat(parse(FIXED).digest()).isNotEqualTo(parse(FIXED + "kind.TEST.gaiji=replace\n").digest());
    }

    static InterfaceKindCatalogue parse(String text) throws IOException {
        return InterfaceKindCatalogue.read(new StringReader(text), "test");
    }
}
