package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.api.SoftAssertions;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.transfer.FileManifest;

/**
 * A request whose body stalls is ended by the idle timeout, and the municipality's request slot is free again then.
 * The error response does not wait to drain a body whose read already failed, which would hold the slot for a second
 * idle timeout.
 */
class StalledRequestSlotIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final long IDLE_TIMEOUT_MILLIS = 2_000;

    @TempDir
    Path root;

    @Test
    void stalledRequestReleasesSlot() throws Exception {
        Properties settings = new Properties();
        settings.setProperty("central.window.idle-timeout-ms", Long.toString(IDLE_TIMEOUT_MILLIS));
        settings.setProperty("central.window.max-requests-per-municipality", "1");
        try (WindowSystem system = new WindowSystem(root.resolve("system"), List.of(CHIYODA))) {
            system.startCentral(settings);
            KeyMaterialLayout keys = new KeyMaterialLayout(system.keys());
            DirectUploader uploader = new DirectUploader(keys, system.port);
            FileManifest manifest = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261204.csv",
                    new byte[DirectUploader.STALLED_PLAINTEXT_BYTES]);
            assertThat(uploader.announce(uploader.client(CHIYODA), CHIYODA, manifest).statusCode()).isEqualTo(200);

            try (SSLSocket stalled = uploader.stallChunk(CHIYODA, manifest.fileId())) {
                long started = System.nanoTime();

                Thread.sleep(IDLE_TIMEOUT_MILLIS + 1_000);
                HttpResponse<String> after = uploader.client(CHIYODA).send(HttpRequest.newBuilder(
                        URI.create("https://localhost:" + system.port
                                + "/window/v1/municipalities/131016/uploads/fedcba9876543210fedcba9876543210"))
                        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.ofString());
                long requestMillis = (System.nanoTime() - started) / 1_000_000;

                byte[] answer = readUntilClosed(stalled.getInputStream());
                long answeredMillis = (System.nanoTime() - started) / 1_000_000;

                SoftAssertions soft = new SoftAssertions();
                soft.assertThat(after.statusCode())
                        .as("a request of the same municipality %d ms after the stall began, idle timeout %d ms",
                                requestMillis, IDLE_TIMEOUT_MILLIS)
                        .isNotEqualTo(429);
                soft.assertThat(answeredMillis).as("time until the stalled request was answered or closed")
                        .isLessThan(IDLE_TIMEOUT_MILLIS + 5_000);
                soft.assertThat(new String(answer, StandardCharsets.US_ASCII)).doesNotContain("200 OK");
                soft.assertAll();
            }
        }
    }

    private static byte[] readUntilClosed(InputStream in) throws IOException {
        try {
            return in.readAllBytes();
        } catch (javax.net.ssl.SSLException closed) {
            return new byte[0];
        }
    }
}
