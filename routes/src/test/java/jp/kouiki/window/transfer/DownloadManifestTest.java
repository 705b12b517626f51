package jp.kouiki.window.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import jp.kouiki.window.municipality.MunicipalityCode;

class DownloadManifestTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final String FILE_ID = "0123456789abcdef0123456789abcdef";
    private static final String SHA256 = "ab".repeat(32);

    private static DownloadManifest manifest() {
        return DownloadManifest.of(FILE_ID, CHIYODA, "131016_KYUFU_20261204.csv", 42, SHA256, "KYUFU", true,
                "2026-12-04T09:00:00+09:00");
    }

    @Test
    void jsonRoundTripKeepsEveryField() {
        DownloadManifest manifest = manifest();

        DownloadManifest parsed = DownloadManifest.fromJson(manifest.toJson());

        assertThat(parsed).isEqualTo(manifest);
        assertThat(new String(manifest.toJson(), StandardCharsets.UTF_8))
                .startsWith("{\"type\":\"window-download/v1\",\"fileId\":\"" + FILE_ID + "\"");
    }

    @Test
    void uploadManifestIsNotADownloadManifest() {
        byte[] upload = new FileManifest(FILE_ID, "131016", "131016_KYUFU_20261204.csv", 42, SHA256, "KYUFU",
                "2026-12-04T09:00:00+09:00").toJson();

        assertThatThrownBy(() -> DownloadManifest.fromJson(upload)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void downloadManifestIsNotAnUploadManifest() {
        assertThatThrownBy(() -> FileManifest.fromJson(manifest().toJson()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void otherTypeIsRejected() {
        String json = new String(manifest().toJson(), StandardCharsets.UTF_8)
                .replace("window-download/v1", "window-download/v2");

        assertThatThrownBy(() -> DownloadManifest.fromJson(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("manifest type 'window-download/v2' is not window-download/v1");
    }

    @Test
    void wrongCheckDigitIsRejected() {
        String json = new String(manifest().toJson(), StandardCharsets.UTF_8).replace("\"131016\"", "\"131017\"");

        assertThatThrownBy(() -> DownloadManifest.fromJson(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void missingBroadcastFlagIsRejected() {
        String json = new String(manifest().toJson(), StandardCharsets.UTF_8).replace(",\"broadcast\":true", "");

        assertThatThrownBy(() -> DownloadManifest.fromJson(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
