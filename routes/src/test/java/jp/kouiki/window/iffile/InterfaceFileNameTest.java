package jp.kouiki.window.iffile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import jp.kouiki.window.municipality.MunicipalityCode;

class InterfaceFileNameTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");

    @Test
    void postalNameOfSenderIsAccepted() throws Exception {
        InterfaceFileName name = InterfaceFileName.parse("131016_POSTAL_20261204.csv", CHIYODA);

        assertThat(name.name()).isEqualTo("131016_POSTAL_20261204.csv");
        assertThat(name.code()).isEqualTo(CHIYODA);
        assertThat(name.kind()).isEqualTo(InterfaceFileChecker.POSTAL_KIND);
    }

    @Test
    void kindIsUpperCased() throws Exception {
        assertThat(InterfaceFileName.parse("131016_postal_20261204.csv", CHIYODA).kind()).isEqualTo("POSTAL");
    }

    @ParameterizedTest
    @ValueSource(strings = {"131016_POSTAL", "131016_POSTAL.csv", "131016_JUKI_0001_20261204.txt"})
    void otherShapesOfSenderAreAccepted(String fileName) throws Exception {
        InterfaceFileName name = InterfaceFileName.parse(fileName, CHIYODA);

        assertThat(name.name()).isEqualTo(fileName);
        assertThat(name.code()).isEqualTo(CHIYODA);
    }

    @Test
    void otherMunicipalityCodeIsRejected() {
        assertThat(MunicipalityCode.isValid("131024")).as("131024 has a valid check digit").isTrue();

        assertRejected("131024_POSTAL_20261204.csv", CHIYODA)
                .hasMessageContaining("ファイル名の団体コード 131024 が送信元の団体コード 131016 と一致しません")
                .hasMessageContaining("municipality code 131024 in the file name does not match the sending"
                        + " municipality 131016");
    }

    @Test
    void otherRecipientCodeIsRejected() {
        assertThatThrownBy(() -> InterfaceFileName.parseForRecipient("131024_POSTAL_20261204.csv", CHIYODA))
                .isInstanceOf(InterfaceFileRejectedException.class)
                .hasMessageContaining("ファイル名の団体コード 131024 が送付先の団体コード 131016 と一致しません")
                .hasMessageContaining("municipality code 131024 in the file name does not match the receiving"
                        + " municipality 131016")
                .hasMessageNotContaining("send");
    }

    @Test
    void recipientCodeIsAccepted() throws Exception {
        assertThat(InterfaceFileName.parseForRecipient("131016_POSTAL_20261204.csv", CHIYODA).code())
                .isEqualTo(CHIYODA);
    }

    @Test
    void senderCodeIsRejectedForOtherSender() {
        assertRejected("131016_POSTAL_20261204.csv", CHUO)
                .hasMessageContaining("131016")
                .hasMessageContaining("131024");
    }

    @Test
    void wrongCheckDigitNamesExpectedDigit() {
        assertRejected("131017_POSTAL_20261204.csv", CHIYODA)
                .hasMessageContaining("131017 の検査数字が誤っています（7 ではなく 6）")
                .hasMessageContaining("check digit 7 where 6 is expected");
    }

    @ParameterizedTest
    @ValueSource(strings = {"POSTAL_20261204.csv", "13101_POSTAL_20261204.csv", "1310160_POSTAL.csv",
            "131016POSTAL.csv", "131016_.csv", "131016_", "x131016_POSTAL.csv", "131016-POSTAL.csv", "",
            "１３１０１６_POSTAL.csv"})
    void nameWithoutCodePrefixIsRejected(String fileName) {
        assertRejected(fileName, CHIYODA)
                .hasMessageContaining("「団体コード6桁_IF種別_…」の形式ではありません")
                .hasMessageContaining("does not start with a six-digit municipality code")
                .hasMessageContaining("131016_POSTAL_20261204.csv");
    }

    @ParameterizedTest
    @ValueSource(strings = {".131016_POSTAL.csv", ".", "..", "131016_POSTAL/../x.csv", "131016_POSTAL\\x.csv",
            "../131016_POSTAL.csv", "131016_POSTAL_a/b.csv"})
    void hiddenOrPathNameIsRejected(String fileName) {
        assertRejected(fileName, CHIYODA)
                .hasMessageContaining("ファイル名「" + fileName + "」は使えません")
                .hasMessageContaining("file name '" + fileName + "' is not allowed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"131016_POSTAL_20261204.csv.done", "131016_POSTAL_20261204.csv.DONE",
            "131016_POSTAL.part", "131016_POSTAL.csv.reason", "131016_POSTAL.csv.receipt",
            "131016_POSTAL.csv.confirm", "131016_POSTAL.camelLock"})
    void reservedEndingIsRejected(String fileName) {
        assertRejected(fileName, CHIYODA)
                .hasMessageContaining("予約されています")
                .hasMessageContaining("the endings .done, .part, .reason, .receipt, .confirm and .camelLock are"
                        + " reserved");
    }

    @Test
    void nameOf200CharactersIsAccepted() throws Exception {
        String fileName = padded(200);

        assertThat(InterfaceFileName.parse(fileName, CHIYODA).name()).hasSize(200);
    }

    @Test
    void nameOf201CharactersIsRejected() {
        String fileName = padded(201);

        assertRejected(fileName, CHIYODA)
                .hasMessageContaining("200文字以内")
                .hasMessageContaining("use at most 200 characters");
    }

    @Test
    void messageGivesJapaneseThenEnglish() {
        assertThatThrownBy(() -> InterfaceFileName.parse("131024_POSTAL_20261204.csv", CHIYODA))
                .isInstanceOf(InterfaceFileRejectedException.class)
                .hasMessageMatching("(?s)[^a-z]*団体コード.*一致しません.* / municipality code .*");
    }

    private static String padded(int length) {
        String start = "131016_POSTAL_";
        String end = ".csv";
        return start + "9".repeat(length - start.length() - end.length()) + end;
    }

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(String fileName,
            MunicipalityCode sender) {
        return assertThatThrownBy(() -> InterfaceFileName.parse(fileName, sender))
                .isInstanceOf(InterfaceFileRejectedException.class)
                .hasMessageContaining(" / ");
    }

    @Test
    void rejectsControlAndReservedCharacters() {
        for (String name : List.of("131016_POSTAL_\u0000.csv", "131016_POSTAL_\u001b[31m.csv", "131016_POSTAL\t1.csv",
                "131016_POSTAL_a:b.csv", "131016_POSTAL_a*b.csv", "131016_POSTAL_a?b.csv", "131016_POSTAL_a|b.csv",
                "131016_POSTAL_\u202Etxt.csv", "131016_POSTAL_x.", "131016_POSTAL_x ")) {
            assertThatThrownBy(() -> InterfaceFileName.parse(name, CHIYODA))
                    .as("name %s", InterfaceFileName.printable(name))
                    .isInstanceOf(InterfaceFileRejectedException.class)
                    .hasMessageContaining("remove control characters");
        }
    }

    @Test
    void rejectionShowsControlCharactersEscaped() {
        assertThatThrownBy(() -> InterfaceFileName.parse("131016_POSTAL_\u001b.csv", CHIYODA))
                .hasMessageContaining("131016_POSTAL_\\u001B.csv")
                .hasMessageNotContaining("\u001b");
    }

    @Test
    void rejectsNameOverTwoHundredBytesInUtf8() {
        String name = "131016_POSTAL_" + "長".repeat(62) + ".csv";

        assertThat(name.length()).isLessThanOrEqualTo(200);
        assertThat(name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isGreaterThan(200);
        assertThatThrownBy(() -> InterfaceFileName.parse(name, CHIYODA))
                .hasMessageContaining("200 bytes in UTF-8");
    }

    @Test
    void acceptsJapaneseNameWithinTheByteLimit() throws Exception {
        String name = "131016_POSTAL_" + "長".repeat(60) + ".csv";

        assertThat(InterfaceFileName.parse(name, CHIYODA).kind()).isEqualTo("POSTAL");
    }
}
