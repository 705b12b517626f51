package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.transfer.FileIds;
import jp.kouiki.window.transfer.FileManifest;

/**
 * A validly signed upload that reuses the file id of a stored file with another name and other bytes is rejected
 * with 409, so that the sender never reads "stored" for a file that was not taken.
 */
class ReusedFileIdIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");

    @TempDir
    Path root;

    @Test
    void reusedFileIdIsNotLost() throws Exception {
        byte[] records = TestFiles.postalRecords("13101");
        byte[] fewerRecords = firstLines(records, 3);
        try (WindowSystem system = new WindowSystem(root.resolve("system"), List.of(CHIYODA))) {
            system.startCentral(new Properties());
            KeyMaterialLayout keys = new KeyMaterialLayout(system.keys());
            DirectUploader uploader = new DirectUploader(keys, system.port);
            HttpClient client = uploader.client(CHIYODA);

            FileManifest first = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261204.csv", records);
            HttpResponse<String> firstResponse = uploader.uploadWhole(client, CHIYODA, CHIYODA, first,
                    uploader.encrypt(CHIYODA, first.fileId(), records));
            assertThat(firstResponse.statusCode()).as(firstResponse.body()).isEqualTo(200);
            Path firstDelivered = system.inbound(CHIYODA).resolve(first.fileName());
            await("first file delivered").atMost(Duration.ofSeconds(30)).until(() -> Files.exists(firstDelivered));

            FileManifest second = new FileManifest(first.fileId(), CHIYODA.value(), "131016_POSTAL_20261205.csv",
                    fewerRecords.length, FileIds.hex(FileIds.sha256().digest(fewerRecords)), "POSTAL",
                    "2026-12-05T09:00:00+09:00");
            HttpResponse<String> secondResponse = uploader.uploadWhole(client, CHIYODA, CHIYODA, second,
                    uploader.encrypt(CHIYODA, second.fileId(), fewerRecords));

            assertThat(secondResponse.statusCode()).as(secondResponse.body()).isEqualTo(409);
            assertThat(secondResponse.body()).contains("belongs to a stored file with another manifest");
            assertThat(system.inbound(CHIYODA).resolve(second.fileName())).doesNotExist();
            assertThat(firstDelivered).hasBinaryContent(records);
        }
    }

    private static byte[] firstLines(byte[] records, int lines) {
        int end = 0;
        for (int seen = 0; seen < lines && end < records.length; end++) {
            if (records[end] == '\n') {
                seen++;
            }
        }
        byte[] prefix = Arrays.copyOf(records, end);
        assertThat(new String(prefix, StandardCharsets.ISO_8859_1)).endsWith("\r\n");
        return prefix;
    }
}
