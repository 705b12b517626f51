package jp.kouiki.window.it;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.SigningKeys;
import jp.kouiki.window.security.TlsMaterial;
import jp.kouiki.window.transfer.FileIds;
import jp.kouiki.window.transfer.FileManifest;

/**
 * Uploads to the window endpoint as a municipality would, without an agent, so that tests can send what a correct
 * agent never sends: tampered or replayed ciphertext, records of another municipality.
 */
final class DirectUploader {

    /** The responses to the announce and to the single chunk. */
    record Result(HttpResponse<String> announce, HttpResponse<String> chunk) {
    }

    private final KeyMaterialLayout keys;
    private final int port;
    private final PayloadCipher cipher;

    DirectUploader(KeyMaterialLayout keys, int port) {
        this.keys = keys;
        this.port = port;
        this.cipher = new PayloadCipher(keys::encryptionKeyset);
    }

    HttpClient client(MunicipalityCode code) throws Exception {
        return HttpClient.newBuilder()
                .sslContext(TlsMaterial.clientContext(keys.clientKeystore(code), keys.truststore()))
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Builds the manifest of a plaintext with a fresh file id. */
    static FileManifest manifest(MunicipalityCode code, String fileName, byte[] plaintext) {
        String sha256 = FileIds.hex(FileIds.sha256().digest(plaintext));
        String fileId = FileIds.derive(code, fileName, plaintext.length, System.nanoTime(), "direct", sha256);
        return new FileManifest(fileId, code.value(), fileName, plaintext.length, sha256, "POSTAL",
                "2026-12-04T09:00:00+09:00");
    }

    /** Encrypts as the agent does: with the municipality's keyset, bound to the code and file id given. */
    byte[] encrypt(MunicipalityCode code, String fileId, byte[] plaintext) throws IOException {
        try (InputStream in = cipher.encryptedView(new ByteArrayInputStream(plaintext), code, fileId)) {
            return in.readAllBytes();
        }
    }

    /** Announces the manifest signed by {@code code} and sends the whole ciphertext as one chunk. */
    Result upload(HttpClient client, MunicipalityCode code, FileManifest manifest, byte[] ciphertext)
            throws Exception {
        return upload(client, code, manifest, ciphertext, java.util.Map.of());
    }

    /** Uploads like {@link #upload(HttpClient, MunicipalityCode, FileManifest, byte[])} with extra request headers. */
    Result upload(HttpClient client, MunicipalityCode code, FileManifest manifest, byte[] ciphertext,
            java.util.Map<String, String> extraHeaders) throws Exception {
        String uploads = "https://localhost:" + port + "/window/v1/municipalities/" + code + "/uploads";
        HttpRequest.Builder announce = HttpRequest.newBuilder(URI.create(uploads))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(announceBody(code, manifest)));
        HttpRequest.Builder chunk = HttpRequest.newBuilder(URI.create(uploads + "/" + manifest.fileId()))
                .header("Content-Range", "bytes 0-" + (ciphertext.length - 1) + "/" + ciphertext.length)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(ciphertext));
        extraHeaders.forEach(announce::header);
        extraHeaders.forEach(chunk::header);
        return new Result(client.send(announce.build(), HttpResponse.BodyHandlers.ofString()),
                client.send(chunk.build(), HttpResponse.BodyHandlers.ofString()));
    }

    /** Plaintext size whose ciphertext may be 1,000 bytes, so that the chunk of {@link #stallChunk} is valid. */
    static final int STALLED_PLAINTEXT_BYTES = 950;

    /**
     * Opens a connection and sends a chunk that declares 1,000 bytes but only its first 10, then leaves the body
     * stalled. The file must be announced with {@link #STALLED_PLAINTEXT_BYTES} of plaintext.
     */
    SSLSocket stallChunk(MunicipalityCode code, String fileId) throws Exception {
        SSLContext context = TlsMaterial.clientContext(keys.clientKeystore(code), keys.truststore());
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("localhost", port);
        socket.setSoTimeout(20_000);
        OutputStream out = socket.getOutputStream();
        out.write(("PUT /window/v1/municipalities/" + code + "/uploads/" + fileId + " HTTP/1.1\r\n"
                + "Host: localhost\r\nContent-Range: bytes 0-999/1000\r\nContent-Length: 1000\r\n\r\n"
                + "0123456789").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    /** Announces a manifest without sending any chunk. */
    HttpResponse<String> announce(HttpClient client, MunicipalityCode code, FileManifest manifest) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port
                        + "/window/v1/municipalities/" + code + "/uploads"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(announceBody(code, manifest))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String announceBody(MunicipalityCode signer, FileManifest manifest) throws Exception {
        return announceBody(keys, signer, manifest);
    }

    /** Builds an announce body for a manifest, signed with the signing key of {@code signer}. */
    static String announceBody(KeyMaterialLayout keys, MunicipalityCode signer, FileManifest manifest)
            throws Exception {
        Map<String, String> signed = signedManifest(keys, signer, manifest);
        return "{\"manifest\":\"" + signed.get("Window-Manifest") + "\",\"signature\":\""
                + signed.get("Window-Signature") + "\"}";
    }

    /**
     * Returns the headers that carry a manifest signed with the signing key of {@code signer} in a whole-file PUT:
     * Window-Manifest and Window-Signature, both base64.
     */
    static Map<String, String> signedManifest(KeyMaterialLayout keys, MunicipalityCode signer, FileManifest manifest)
            throws Exception {
        byte[] json = manifest.toJson();
        Signature signature = Signature.getInstance("SHA256withECDSA");
        signature.initSign(SigningKeys.readPrivateKey(keys.signingPrivateKey(signer)));
        signature.update(json);
        return Map.of("Window-Manifest", Base64.getEncoder().encodeToString(json),
                "Window-Signature", Base64.getEncoder().encodeToString(signature.sign()));
    }

    /** Sends the manifest signed by {@code signer} with the whole ciphertext in one PUT to {@code code}'s path. */
    HttpResponse<String> uploadWhole(HttpClient client, MunicipalityCode code, MunicipalityCode signer,
            FileManifest manifest, byte[] ciphertext) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://localhost:" + port
                        + "/window/v1/municipalities/" + code + "/uploads/" + manifest.fileId()))
                .header("Content-Range", "bytes 0-" + (ciphertext.length - 1) + "/" + ciphertext.length)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(ciphertext));
        signedManifest(keys, signer, manifest).forEach(request::header);
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
