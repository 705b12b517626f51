package jp.kouiki.window.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import jp.kouiki.window.municipality.MunicipalityCode;

class FileManifestTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final String FILE_ID = "0123456789abcdef0123456789abcdef";
    private static final String SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    private static final String EXPECTED_JSON = "{\"fileId\":\"0123456789abcdef0123456789abcdef\","
            + "\"municipality\":\"131016\",\"fileName\":\"131016_POSTAL_20261204.csv\",\"size\":489473,"
            + "\"sha256\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\","
            + "\"ifKind\":\"POSTAL\",\"pickedUpAt\":\"2026-12-04T09:15:00+09:00\"}";

    private static FileManifest manifest() {
        return new FileManifest(FILE_ID, "131016", "131016_POSTAL_20261204.csv", 489_473, SHA256, "POSTAL",
                "2026-12-04T09:15:00+09:00");
    }

    @Test
    void jsonHasFieldsInDeclaredOrder() {
        String json = new String(manifest().toJson(), StandardCharsets.UTF_8);

        assertThat(json).isEqualTo(EXPECTED_JSON);
    }

    @Test
    void signingKeyIdRoundTripsAfterTheOtherFields() {
        FileManifest signed = manifest().withSigningKeyId("0123456789abcdef");

        String json = new String(signed.toJson(), StandardCharsets.UTF_8);

        assertThat(json).isEqualTo(EXPECTED_JSON.replace("}", ",\"signingKeyId\":\"0123456789abcdef\"}"));
        assertThat(FileManifest.fromJson(signed.toJson())).isEqualTo(signed);
    }

    @Test
    void signingKeyIdOfWrongFormIsRejected() {
        byte[] json = manifest().withSigningKeyId("XYZ").toJson();

        assertThatThrownBy(() -> FileManifest.fromJson(json)).hasMessageContaining("signingKeyId 'XYZ'");
    }

    @Test
    void jsonRoundTripKeepsBytes() {
        byte[] json = manifest().toJson();

        FileManifest parsed = FileManifest.fromJson(json);

        assertThat(parsed).isEqualTo(manifest());
        assertThat(parsed.toJson()).isEqualTo(json);
        assertThat(parsed.municipalityCode()).isEqualTo(CHIYODA);
    }

    @Test
    void jsonInOtherOrderParsesToSameBytes() {
        String reordered = "{\"pickedUpAt\":\"2026-12-04T09:15:00+09:00\",\"ifKind\":\"POSTAL\",\"sha256\":\""
                + SHA256 + "\",\"size\":489473,\"fileName\":\"131016_POSTAL_20261204.csv\",\"municipality\":\"131016\","
                + "\"fileId\":\"" + FILE_ID + "\"}";

        FileManifest parsed = FileManifest.fromJson(reordered.getBytes(StandardCharsets.UTF_8));

        assertThat(new String(parsed.toJson(), StandardCharsets.UTF_8)).isEqualTo(EXPECTED_JSON);
    }

    @Test
    void japaneseFileNameSurvivesRoundTrip() {
        FileManifest withJapanese = new FileManifest(FILE_ID, "131016", "131016_POSTAL_千代田区.csv", 1, SHA256,
                "POSTAL", "2026-12-04T09:15:00+09:00");

        byte[] json = withJapanese.toJson();

        assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"fileName\":\"131016_POSTAL_千代田区.csv\"");
        assertThat(FileManifest.fromJson(json)).isEqualTo(withJapanese);
        assertThat(FileManifest.fromJson(json).toJson()).isEqualTo(json);
    }

    @Test
    void validManifestValidates() {
        FileManifest manifest = manifest();

        assertThat(manifest.validate()).isSameAs(manifest);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0",
            "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef0123456789abcdeg", "../../../../etc/passwd000000000"})
    void badFileIdIsRejected(String fileId) {
        FileManifest manifest = new FileManifest(fileId, "131016", "131016_POSTAL.csv", 1, SHA256, "POSTAL", "now");

        assertThatThrownBy(manifest::validate)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fileId '" + fileId + "'")
                .hasMessageContaining("32 lowercase hexadecimal digits");
    }

    @Test
    void missingFileIdIsRejected() {
        FileManifest manifest = new FileManifest(null, "131016", "131016_POSTAL.csv", 1, SHA256, "POSTAL", "now");

        assertThatThrownBy(manifest::validate)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("fileId 'null'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a080",
            "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
            "zf86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"})
    void badSha256IsRejected(String sha256) {
        FileManifest manifest = new FileManifest(FILE_ID, "131016", "131016_POSTAL.csv", 1, sha256, "POSTAL", "now");

        assertThatThrownBy(manifest::validate)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sha256 '" + sha256 + "'")
                .hasMessageContaining("64 lowercase hexadecimal digits");
    }

    @Test
    void negativeSizeIsRejected() {
        FileManifest manifest = new FileManifest(FILE_ID, "131016", "131016_POSTAL.csv", -1, SHA256, "POSTAL", "now");

        assertThatThrownBy(manifest::validate)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("size -1 is negative");
    }

    @Test
    void zeroSizeIsAccepted() {
        FileManifest manifest = new FileManifest(FILE_ID, "131016", "131016_POSTAL.csv", 0, SHA256, "POSTAL", "now");

        assertThat(manifest.validate()).isSameAs(manifest);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "13101", "1310160", "131017", "abcdef"})
    void badMunicipalityCodeIsRejected(String code) {
        FileManifest manifest = new FileManifest(FILE_ID, code, "131016_POSTAL.csv", 1, SHA256, "POSTAL", "now");

        assertThatThrownBy(manifest::validate)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("municipality code")
                .hasMessageContaining(code);
    }

    @Test
    void missingMunicipalityCodeIsRejected() {
        FileManifest manifest = new FileManifest(FILE_ID, null, "131016_POSTAL.csv", 1, SHA256, "POSTAL", "now");

        assertThatThrownBy(manifest::validate).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("municipality code 'null'");
    }

    @Test
    void badFileNameIsRejected() {
        for (String fileName : new String[] {null, "", "x".repeat(201)}) {
            FileManifest manifest = new FileManifest(FILE_ID, "131016", fileName, 1, SHA256, "POSTAL", "now");

            assertThatThrownBy(manifest::validate).as("file name %s", fileName)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("fileName is missing or longer than 200 characters");
        }
    }

    @Test
    void unknownJsonPropertyIsRejected() {
        String json = EXPECTED_JSON.replace("}", ",\"destination\":\"131032\"}");

        assertThatThrownBy(() -> FileManifest.fromJson(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("manifest is not valid JSON of the expected fields")
                .hasMessageContaining("destination");
    }

    @Test
    void malformedJsonIsRejected() {
        byte[] json = EXPECTED_JSON.substring(0, 40).getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> FileManifest.fromJson(json))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("manifest is not valid JSON of the expected fields");
    }

    @Test
    void fromJsonValidatesFields() {
        String json = EXPECTED_JSON.replace("\"size\":489473", "\"size\":-5");

        assertThatThrownBy(() -> FileManifest.fromJson(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("size -5 is negative");
    }

    @Test
    void isFileIdMatchesOnlyLowercaseHex() {
        assertThat(FileManifest.isFileId(FILE_ID)).isTrue();
        assertThat(FileManifest.isFileId(FILE_ID.toUpperCase(java.util.Locale.ROOT))).isFalse();
        assertThat(FileManifest.isFileId(FILE_ID.substring(1))).isFalse();
        assertThat(FileManifest.isFileId(null)).isFalse();
    }

    private static final String DROP = "(dev=801,ino=1);2026-12-04T00:00:00Z";

    @Test
    void deriveIsDeterministic() {
        String first = FileIds.derive(CHIYODA, "131016_POSTAL.csv", 100, 1_700_000_000_000L, DROP, SHA256);
        String second = FileIds.derive(CHIYODA, "131016_POSTAL.csv", 100, 1_700_000_000_000L, DROP, SHA256);

        assertThat(first).isEqualTo(second);
        assertThat(FileManifest.isFileId(first)).as("derived id %s is a file id", first).isTrue();
    }

    @Test
    void deriveChangesWithEveryInput() {
        String base = FileIds.derive(CHIYODA, "131016_POSTAL.csv", 100, 1_700_000_000_000L, DROP, SHA256);
        List<String> variants = List.of(
                FileIds.derive(MunicipalityCode.of("131024"), "131016_POSTAL.csv", 100, 1_700_000_000_000L, DROP, SHA256),
                FileIds.derive(CHIYODA, "131016_POSTAL2.csv", 100, 1_700_000_000_000L, DROP, SHA256),
                FileIds.derive(CHIYODA, "131016_POSTAL.csv", 101, 1_700_000_000_000L, DROP, SHA256),
                FileIds.derive(CHIYODA, "131016_POSTAL.csv", 100, 1_700_000_000_001L, DROP, SHA256),
                FileIds.derive(CHIYODA, "131016_POSTAL.csv", 100, 1_700_000_000_000L, "(dev=801,ino=2);2026-12-04T00:00:00Z",
                        SHA256),
                FileIds.derive(CHIYODA, "131016_POSTAL.csv", 100, 1_700_000_000_000L, DROP, SHA256.replace('9', '8')));

        for (String variant : variants) {
            assertThat(variant).isNotEqualTo(base);
        }
        Set<String> distinct = variants.stream().collect(Collectors.toSet());
        assertThat(distinct).as("variants differ from each other").hasSize(variants.size());
    }

    @Test
    void deriveSeparatesFields() {
        // Moving a digit from the size to the modification time must not give the same id.
        String first = FileIds.derive(CHIYODA, "131016_POSTAL.csv", 12, 3, DROP, SHA256);
        String second = FileIds.derive(CHIYODA, "131016_POSTAL.csv", 1, 23, DROP, SHA256);

        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void hexIsLowercase() {
        assertThat(FileIds.hex(new byte[] {0x00, (byte) 0xAB, 0x7f})).isEqualTo("00ab7f");
    }

    @Test
    void sha256MatchesKnownDigest() {
        byte[] digest = FileIds.sha256().digest("test".getBytes(StandardCharsets.US_ASCII));

        assertThat(FileIds.hex(digest)).isEqualTo(SHA256);
        assertThat(HexFormat.of().parseHex(SHA256)).isEqualTo(digest);
    }
}
