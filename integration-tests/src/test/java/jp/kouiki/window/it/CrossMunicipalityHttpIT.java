package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.TlsMaterial;
import jp.kouiki.window.transfer.FileManifest;

/** A municipality's certificate opens only its own municipality's window paths. */
class CrossMunicipalityHttpIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final String FILE_ID = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path root;

    private WindowSystem system;
    private KeyMaterialLayout keys;

    @BeforeEach
    void startCentral() throws Exception {
        system = new WindowSystem(root, List.of(CHIYODA, CHUO));
        system.startCentral();
        keys = new KeyMaterialLayout(system.keys());
    }

    @AfterEach
    void stopCentral() throws Exception {
        system.close();
    }

    @Test
    void uploadUnderAnotherMunicipalitysPathIsForbiddenAndQueuesNothing() throws Exception {
        HttpClient chiyoda = client(CHIYODA);
        String chuoUploads = "/window/v1/municipalities/" + CHUO + "/uploads";

        HttpResponse<String> announce = chiyoda.send(post(chuoUploads, announceBody(CHUO, CHUO)),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> chunk = chiyoda.send(request(chuoUploads + "/" + FILE_ID)
                .header("Content-Range", "bytes 0-3/4")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1, 2, 3, 4})).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> offset = chiyoda.send(request(chuoUploads + "/" + FILE_ID)
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(403, announce.statusCode());
        assertThat(announce.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        assertThat(announce.body()).contains("\"status\":403")
                .contains("the client certificate of municipality 131016 may not act for municipality 131024");
        assertEquals(403, chunk.statusCode());
        assertEquals(403, offset.statusCode());
        assertEquals(0, system.centralMessages(QueueNames.upload(CHUO)));
        assertThat(TestFiles.countFiles(system.centralData().resolve("uploads").resolve(CHUO.value()))).isZero();
    }

    @Test
    void manifestNamingAnotherMunicipalityIsForbidden() throws Exception {
        HttpResponse<String> response = client(CHIYODA).send(
                post("/window/v1/municipalities/" + CHIYODA + "/uploads", announceBody(CHUO, CHIYODA)),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(403, response.statusCode());
        assertThat(response.body()).contains("manifest names municipality 131024 but the caller is 131016");
    }

    @Test
    void manifestSignedWithAnotherMunicipalitysKeyIsForbidden() throws Exception {
        HttpResponse<String> response = client(CHIYODA).send(
                post("/window/v1/municipalities/" + CHIYODA + "/uploads", announceBody(CHIYODA, CHUO)),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(403, response.statusCode());
        assertThat(response.body()).contains("manifest signature does not verify with the signing key of"
                + " municipality 131016");
        assertThat(TestFiles.countFiles(system.centralData().resolve("uploads").resolve(CHIYODA.value()))).isZero();
    }

    @Test
    void ownManifestIsAcceptedAndAnswersTheOffset() throws Exception {
        HttpResponse<String> response = client(CHIYODA).send(
                post("/window/v1/municipalities/" + CHIYODA + "/uploads", announceBody(CHIYODA, CHIYODA)),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(200, response.statusCode(), response.body());
        assertThat(response.body()).contains("\"state\":\"receiving\"").contains("\"offset\":0");
    }

    @Test
    void wholeFilePutGetsAnnounceChecks() throws Exception {
        DirectUploader uploader = new DirectUploader(keys, system.port);
        HttpClient chiyoda = client(CHIYODA);
        byte[] plaintext = "13101,千代田区\r\n".getBytes(java.nio.charset.Charset.forName("windows-31j"));
        FileManifest own = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261204.csv", plaintext);
        FileManifest chuos = DirectUploader.manifest(CHUO, "131024_POSTAL_20261204.csv", plaintext);
        byte[] ciphertext = uploader.encrypt(CHIYODA, own.fileId(), plaintext);

        HttpResponse<String> otherPath = uploader.uploadWhole(chiyoda, CHUO, CHUO, chuos, ciphertext);
        HttpResponse<String> otherManifest = uploader.uploadWhole(chiyoda, CHIYODA, CHIYODA, chuos, ciphertext);
        HttpResponse<String> otherKey = uploader.uploadWhole(chiyoda, CHIYODA, CHUO, own, ciphertext);

        assertEquals(403, otherPath.statusCode());
        assertThat(otherPath.body()).contains("may not act for municipality 131024");
        assertEquals(403, otherManifest.statusCode());
        assertThat(otherManifest.body()).contains("manifest names municipality 131024 but the caller is 131016");
        assertEquals(403, otherKey.statusCode());
        assertThat(otherKey.body()).contains("manifest signature does not verify");
        assertEquals(0, system.centralMessages(QueueNames.upload(CHUO)));
        assertEquals(0, system.centralMessages(QueueNames.upload(CHIYODA)));
    }

    @Test
    void repeatedWholeFilePutIsQueuedOnce() throws Exception {
        DirectUploader uploader = new DirectUploader(keys, system.port);
        HttpClient chiyoda = client(CHIYODA);
        byte[] plaintext = "13101,千代田区\r\n".getBytes(java.nio.charset.Charset.forName("windows-31j"));
        FileManifest manifest = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261204.csv", plaintext);
        byte[] ciphertext = uploader.encrypt(CHIYODA, manifest.fileId(), plaintext);

        system.stopCentral();
        system.startCentral(false);
        HttpResponse<String> first = uploader.uploadWhole(chiyoda, CHIYODA, CHIYODA, manifest, ciphertext);
        HttpResponse<String> repeated = uploader.uploadWhole(chiyoda, CHIYODA, CHIYODA, manifest, ciphertext);

        assertEquals(200, first.statusCode(), first.body());
        assertThat(first.body()).contains("\"state\":\"stored\"").contains("\"offset\":" + ciphertext.length);
        assertEquals(200, repeated.statusCode(), repeated.body());
        assertThat(repeated.body()).contains("\"state\":\"stored\"");
        assertEquals(1, system.centralMessages(QueueNames.upload(CHIYODA)));
    }

    @Test
    void foreignSignedManifestNamesMunicipality() throws Exception {
        String chiyodaKey = jp.kouiki.window.security.SigningKeys.keyId(jp.kouiki.window.security.SigningKeys
                .readPublicKey(keys.signingPublicKey(CHIYODA)));
        FileManifest chiyodas = new FileManifest(FILE_ID, CHIYODA.value(), "131016_POSTAL_20261204.csv", 4,
                "0".repeat(64), "POSTAL", "2026-12-04T09:00:00+09:00", chiyodaKey);

        HttpResponse<String> response = client(CHUO).send(post("/window/v1/municipalities/" + CHUO + "/uploads",
                DirectUploader.announceBody(keys, CHIYODA, chiyodas)), HttpResponse.BodyHandlers.ofString());

        assertEquals(403, response.statusCode());
        assertThat(response.body()).contains("manifest names municipality 131016 but the caller is 131024")
                .doesNotContain("unknown-signing-key");
    }

    @Test
    void jettyErrorsAreJson() throws Exception {
        HttpResponse<String> wrongMethod = client(CHIYODA).send(request("/window/v1/municipalities/" + CHIYODA
                + "/receipts").DELETE().build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> hugeHeader = client(CHIYODA).send(request("/window/v1/municipalities/" + CHIYODA
                + "/receipts").header("X-Padding", "a".repeat(20_000)).GET().build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(405, wrongMethod.statusCode());
        assertThat(wrongMethod.headers().firstValue("Content-Type")).hasValue("application/json;charset=utf-8");
        assertThat(wrongMethod.body()).isEqualTo("{\"status\":405,\"error\":\"Method Not Allowed\",\"action\":"
                + "\"use the method that the API documents for this path\"}");
        assertEquals(431, hugeHeader.statusCode());
        assertThat(hugeHeader.headers().firstValue("Content-Type")).hasValue("application/json;charset=utf-8");
        assertThat(hugeHeader.body()).startsWith("{\"status\":431,\"error\":\"Request Header Fields Too Large");
    }

    @Test
    void formEncodedUploadIsRejected() throws Exception {
        HttpResponse<String> response = client(CHIYODA).send(request("/window/v1/municipalities/" + CHIYODA
                        + "/uploads/" + FILE_ID)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Content-Range", "bytes 0-3/4")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[] {1, 2, 3, 4})).build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(415, response.statusCode());
        assertThat(response.body()).contains("application/octet-stream");
    }

    @Test
    void receiptsReportOnlyOwnFiles() throws Exception {
        DirectUploader uploader = new DirectUploader(keys, system.port);
        byte[] plaintext = "13102,中央区\r\n".getBytes(java.nio.charset.Charset.forName("windows-31j"));
        FileManifest chuos = DirectUploader.manifest(CHUO, "131024_POSTAL_20261204.csv", plaintext);
        HttpResponse<String> stored = uploader.uploadWhole(client(CHUO), CHUO, CHUO, chuos,
                uploader.encrypt(CHUO, chuos.fileId(), plaintext));
        assertEquals(200, stored.statusCode(), stored.body());
        String ask = "{\"fileIds\":[\"" + chuos.fileId() + "\"]}";

        HttpResponse<String> otherPath = client(CHIYODA).send(post("/window/v1/municipalities/" + CHUO
                + "/receipts", ask), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> ownPath = client(CHIYODA).send(post("/window/v1/municipalities/" + CHIYODA
                + "/receipts", ask), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> owner = client(CHUO).send(post("/window/v1/municipalities/" + CHUO + "/receipts", ask),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(403, otherPath.statusCode());
        assertThat(otherPath.body()).contains("may not act for municipality 131024");
        assertEquals(200, ownPath.statusCode(), ownPath.body());
        assertThat(ownPath.body()).isEqualTo("{\"files\":[{\"fileId\":\"" + chuos.fileId()
                + "\",\"state\":\"unknown\"}]}");
        assertEquals(200, owner.statusCode(), owner.body());
        assertThat(owner.body()).containsPattern("\"state\":\"(stored|delivered)\"");
    }

    @Test
    void malformedReceiptsRequestsAreRejected() throws Exception {
        String receipts = "/window/v1/municipalities/" + CHIYODA + "/receipts";
        String tooMany = "{\"fileIds\":[" + String.join(",", java.util.Collections.nCopies(501, "\"" + FILE_ID
                + "\"")) + "]}";

        HttpResponse<String> notAFileId = client(CHIYODA).send(post(receipts, "{\"fileIds\":[\"../131024\"]}"),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> notJson = client(CHIYODA).send(post(receipts, "fileIds=" + FILE_ID),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> notAList = client(CHIYODA).send(post(receipts, "{\"fileIds\":\"" + FILE_ID + "\"}"),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> overLimit = client(CHIYODA).send(post(receipts, tooMany),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(400, notAFileId.statusCode());
        assertThat(notAFileId.body()).contains("32-digit file ids");
        assertEquals(400, notJson.statusCode());
        assertEquals(400, notAList.statusCode());
        assertEquals(413, overLimit.statusCode());
        assertThat(overLimit.body()).contains("names 501 files");
    }

    @Test
    void connectionWithoutClientCertificateIsRefused() throws Exception {
        SSLContext trustOnly = SSLContext.getInstance("TLS");
        javax.net.ssl.TrustManagerFactory trust = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        trust.init(TlsMaterial.loadPkcs12(keys.truststore()));
        trustOnly.init(null, trust.getTrustManagers(), null);
        HttpClient anonymous = HttpClient.newBuilder().sslContext(trustOnly).connectTimeout(Duration.ofSeconds(5))
                .build();

        assertThatThrownBy(() -> anonymous.send(post("/window/v1/municipalities/" + CHIYODA + "/uploads",
                announceBody(CHIYODA, CHIYODA)), HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(IOException.class);
    }

    private HttpClient client(MunicipalityCode code) throws Exception {
        return HttpClient.newBuilder()
                .sslContext(TlsMaterial.clientContext(keys.clientKeystore(code), keys.truststore()))
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("https://localhost:" + system.port + path))
                .timeout(Duration.ofSeconds(10));
    }

    private HttpRequest post(String path, String body) {
        return request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
    }

    /** Builds an announce body for a manifest of {@code owner}, signed with the signing key of {@code signer}. */
    private String announceBody(MunicipalityCode owner, MunicipalityCode signer) throws Exception {
        FileManifest manifest = new FileManifest(FILE_ID, owner.value(), owner + "_POSTAL_20261204.csv", 4,
                "0".repeat(64), "POSTAL", "2026-12-04T09:00:00+09:00");
        return DirectUploader.announceBody(keys, signer, manifest);
    }
}
