package jp.kouiki.window.it;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.ManifestSignatures;
import jp.kouiki.window.security.SigningKeys;
import jp.kouiki.window.security.TlsMaterial;
import jp.kouiki.window.transfer.DownloadManifest;

/**
 * Downloads from the window endpoint as an agent would, without one, so that tests can request what a correct agent
 * never requests: another municipality's downloads, unknown or repeated acknowledgements.
 */
final class DirectDownloader {

    /** A download as received: its checked manifest and its plaintext. */
    record Download(DownloadManifest manifest, byte[] ciphertext, byte[] plaintext) {
    }

    private final KeyMaterialLayout keys;
    private final int port;
    private final PayloadCipher cipher;

    DirectDownloader(KeyMaterialLayout keys, int port) {
        this.keys = keys;
        this.port = port;
        this.cipher = new PayloadCipher(keys::encryptionKeyset);
    }

    HttpClient client(MunicipalityCode code) throws Exception {
        return HttpClient.newBuilder()
                .sslContext(TlsMaterial.clientContext(keys.clientKeystore(code), keys.truststore()))
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Sends {@code GET .../municipalities/{pathCode}/downloads/next?waitMs=0}. */
    HttpResponse<byte[]> next(HttpClient client, MunicipalityCode pathCode) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base(pathCode) + "/downloads/next?waitMs=0"))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** Sends {@code POST .../municipalities/{pathCode}/downloads/{fileId}/ack} with {"outcome":"written"}. */
    HttpResponse<String> acknowledge(HttpClient client, MunicipalityCode pathCode, String fileId) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base(pathCode) + "/downloads/" + fileId + "/ack"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"outcome\":\"written\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Sends {@code POST .../municipalities/{pathCode}/downloads/{fileId}/ack} with a refusal and its reason. */
    HttpResponse<String> acknowledgeRefused(HttpClient client, MunicipalityCode pathCode, String fileId, String reason)
            throws Exception {
        String body = "{\"outcome\":\"refused\",\"reason\":\"" + reason + "\"}";
        return client.send(HttpRequest.newBuilder(URI.create(base(pathCode) + "/downloads/" + fileId + "/ack"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Checks a 200 response of {@code downloads/next} as the agent does: the union's signature, the manifest's
     * municipality and file id, then decrypts it with {@code code}'s keyset.
     */
    Download open(MunicipalityCode code, HttpResponse<byte[]> response) throws Exception {
        byte[] json = Base64.getDecoder().decode(response.headers().firstValue("Window-Manifest").orElseThrow());
        String signature = response.headers().firstValue("Window-Signature").orElseThrow();
        if (!ManifestSignatures.verify(json, signature, SigningKeys.readPublicKey(keys.unionSigningPublicKey()))) {
            throw new IOException("the download manifest's signature does not verify: "
                    + new String(json, StandardCharsets.UTF_8));
        }
        DownloadManifest manifest = DownloadManifest.fromJson(json);
        String fileId = response.headers().firstValue("Window-File-Id").orElseThrow();
        if (!manifest.fileId().equals(fileId) || !manifest.municipality().equals(code.value())) {
            throw new IOException("download " + fileId + " for " + code + " carries the manifest of "
                    + manifest.municipality() + "/" + manifest.fileId());
        }
        try (InputStream plaintext = cipher.decryptingStream(new ByteArrayInputStream(response.body()), code,
                fileId, PayloadCipher.Direction.DOWNLOAD)) {
            return new Download(manifest, response.body(), plaintext.readAllBytes());
        }
    }

    private String base(MunicipalityCode pathCode) {
        return "https://localhost:" + port + "/window/v1/municipalities/" + pathCode;
    }
}
