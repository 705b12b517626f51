package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.transfer.FileManifest;

/**
 * A municipality's certificate reaches only its own downloads, acknowledgements are idempotent, and a download's
 * ciphertext cannot be replayed as an upload.
 */
class CrossMunicipalityDownloadIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final byte[] CHUO_FILE = "chuo only\r\n".repeat(500).getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path root;

    private WindowSystem system;
    private DirectDownloader downloader;

    @BeforeEach
    void startCentralWithOneDownloadForChuo() throws Exception {
        system = new WindowSystem(root, List.of(CHIYODA, CHUO));
        system.startCentral();
        downloader = new DirectDownloader(new KeyMaterialLayout(system.keys()), system.port);
        system.placeOutbound(CHUO.value(), CHUO + "_KYUFU_20261204.csv", CHUO_FILE);
        await("download queued for Chuo").atMost(Duration.ofSeconds(30))
                .until(() -> system.centralMessages(QueueNames.download(CHUO)) == 1);
    }

    @AfterEach
    void stopCentral() throws Exception {
        system.close();
    }

    @Test
    void anotherMunicipalitysDownloadsAreForbidden() throws Exception {
        HttpClient chiyoda = downloader.client(CHIYODA);
        String chuoFileId = fileIdOfChuosDownload();

        HttpResponse<byte[]> next = downloader.next(chiyoda, CHUO);
        HttpResponse<String> ack = downloader.acknowledge(chiyoda, CHUO, chuoFileId);
        HttpResponse<byte[]> own = downloader.next(chiyoda, CHIYODA);

        assertEquals(403, next.statusCode());
        assertThat(next.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        assertThat(new String(next.body(), StandardCharsets.UTF_8)).contains("\"status\":403")
                .contains("the client certificate of municipality 131016 may not act for municipality 131024")
                .doesNotContain("chuo only");
        assertThat(next.headers().firstValue("Window-Manifest")).isEmpty();
        assertEquals(403, ack.statusCode());
        assertEquals(204, own.statusCode());
        assertThat(own.body()).isEmpty();
        assertEquals(1, system.centralMessages(QueueNames.download(CHUO)), "Chuo's download is still queued");
        assertEquals(0, system.centralMessages(QueueNames.deadLetter(CHUO)));
    }

    @Test
    void downloadStaysUntilAcknowledgedAndAckIsIdempotent() throws Exception {
        HttpClient chuo = downloader.client(CHUO);

        DirectDownloader.Download first = downloader.open(CHUO, downloader.next(chuo, CHUO));
        DirectDownloader.Download again = downloader.open(CHUO, downloader.next(chuo, CHUO));
        HttpResponse<String> ack = downloader.acknowledge(chuo, CHUO, first.manifest().fileId());
        HttpResponse<String> repeated = downloader.acknowledge(chuo, CHUO, first.manifest().fileId());
        HttpResponse<String> unknown = downloader.acknowledge(chuo, CHUO, "0123456789abcdef0123456789abcdef");
        HttpResponse<String> invalid = downloader.acknowledge(chuo, CHUO, "not-a-file-id");
        HttpResponse<byte[]> empty = downloader.next(chuo, CHUO);

        assertThat(first.plaintext()).isEqualTo(CHUO_FILE);
        assertThat(first.manifest().fileName()).isEqualTo(CHUO + "_KYUFU_20261204.csv");
        assertThat(again.manifest().fileId()).isEqualTo(first.manifest().fileId());
        assertEquals(200, ack.statusCode(), ack.body());
        assertThat(ack.body()).contains("\"state\":\"acknowledged\"").contains("\"repeated\":false");
        assertEquals(200, repeated.statusCode(), repeated.body());
        assertThat(repeated.body()).contains("\"state\":\"acknowledged\"").contains("\"repeated\":true");
        assertEquals(404, unknown.statusCode());
        assertThat(unknown.body()).contains("\"status\":404").contains("no download with file id");
        assertEquals(400, invalid.statusCode());
        assertEquals(204, empty.statusCode());
        assertEquals(0, system.centralMessages(QueueNames.download(CHUO)));
    }

    @Test
    void acknowledgementOfFileNotOfferedIsRejected() throws Exception {
        HttpClient chuo = downloader.client(CHUO);
        String fileId = waitingFileId(CHUO);

        HttpResponse<String> early = downloader.acknowledge(chuo, CHUO, fileId);

        assertEquals(404, early.statusCode(), early.body());
        assertThat(early.body()).contains("waits but was not offered");
        assertEquals(1, system.centralMessages(QueueNames.download(CHUO)), "the file still waits");
        DirectDownloader.Download offered = downloader.open(CHUO, downloader.next(chuo, CHUO));
        assertThat(offered.manifest().fileId()).isEqualTo(fileId);
        HttpResponse<String> ack = downloader.acknowledge(chuo, CHUO, fileId);
        assertEquals(200, ack.statusCode(), ack.body());
        assertEquals(0, system.centralMessages(QueueNames.download(CHUO)));
    }

    /** Reads the file id of the first waiting download by browsing the central server's queue. */
    private String waitingFileId(MunicipalityCode code) throws Exception {
        try (org.apache.activemq.artemis.api.core.client.ClientSession session =
                system.centralBroker().openRoutesSession(false)) {
            session.start();
            try (org.apache.activemq.artemis.api.core.client.ClientConsumer browser =
                    session.createConsumer(QueueNames.download(code), true)) {
                return browser.receive(5000).getStringProperty("WindowFileId");
            }
        }
    }

    @Test
    void downloadCiphertextReplayedAsUploadIsRejected() throws Exception {
        HttpClient chuo = downloader.client(CHUO);
        DirectDownloader.Download download = downloader.open(CHUO, downloader.next(chuo, CHUO));
        FileManifest upload = new FileManifest(download.manifest().fileId(), CHUO.value(),
                download.manifest().fileName(), download.manifest().size(), download.manifest().sha256(), "KYUFU",
                "2026-12-04T09:00:00+09:00");

        DirectUploader.Result result = new DirectUploader(new KeyMaterialLayout(system.keys()), system.port)
                .upload(chuo, CHUO, upload, download.ciphertext());

        assertEquals(200, result.chunk().statusCode(), result.chunk().body());
        Path rejected = root.resolve("union/rejected").resolve(CHUO.value());
        await("replayed ciphertext rejected at delivery").atMost(Duration.ofSeconds(30))
                .until(() -> TestFiles.countFiles(rejected) == 1);
        try (var reasons = Files.list(rejected)) {
            assertThat(Files.readString(reasons.findFirst().orElseThrow())).contains("does not decrypt");
        }
        assertThat(system.inbound(CHUO).resolve(download.manifest().fileName())).doesNotExist();
    }

    private String fileIdOfChuosDownload() throws Exception {
        return downloader.open(CHUO, downloader.next(downloader.client(CHUO), CHUO)).manifest().fileId();
    }
}
