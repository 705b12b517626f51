package jp.kouiki.window.central;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;

import org.apache.camel.Exchange;
import org.apache.camel.http.common.HttpMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.iffile.InterfaceFileName;
import jp.kouiki.window.iffile.InterfaceFileRejectedException;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.ManifestSignatures;
import jp.kouiki.window.transfer.DownloadManifest;
import jp.kouiki.window.transfer.FileIds;

/**
 * Takes a download from the union's agent ({@code PUT /window/v1/union/municipalities/{code}/downloads/{fileId}}), for
 * a union whose folders are remote. The agent picked the file up in the union's outbound folder, signed its download
 * manifest with the union's key and encrypted it with the municipality's keyset; the body is that ciphertext and the
 * headers {@value DownloadRequests#MANIFEST_HEADER} and {@value DownloadRequests#SIGNATURE_HEADER} carry the base64
 * manifest and signature. The ciphertext is spooled to {@code central.data-dir/union-downloads/}, checked by decrypting
 * it without keeping the plaintext, and queued as it is for the municipality's agent. The file id is the duplicate
 * detection id, so a repeated request after a lost response queues nothing twice.
 */
final class UnionDownloadReceiver {

    private static final Logger LOG = LoggerFactory.getLogger(UnionDownloadReceiver.class);
    /** Room for Tink's header and one tag per segment above the plaintext size. */
    private static final long CIPHERTEXT_OVERHEAD = 1024 * 1024;

    private final CentralSettings settings;
    private final PublicKey unionSigningKey;
    private final PayloadCipher cipher;
    private final DownloadQueueWriter writer;
    private final Path spool;

    UnionDownloadReceiver(CentralSettings settings, PublicKey unionSigningKey, PayloadCipher cipher,
            DownloadQueueWriter writer) throws IOException {
        this.settings = settings;
        this.unionSigningKey = unionSigningKey;
        this.cipher = cipher;
        this.writer = writer;
        this.spool = AtomicFiles.createDirectories(settings.dataDirectory().resolve("union-downloads"));
        try (var leftovers = Files.list(spool)) {
            for (Path leftover : leftovers.toList()) {
                Files.deleteIfExists(leftover);
            }
        }
    }

    /** Checks the signed manifest, spools and checks the ciphertext, and queues it. */
    void receive(Exchange exchange) throws Exception {
        HttpServletRequest request = exchange.getMessage(HttpMessage.class).getRequest();
        MunicipalityCode code = exchange.getProperty(WindowRequests.CODE, MunicipalityCode.class);
        String fileId = exchange.getProperty(WindowRequests.FILE_ID, String.class);

        String signature = request.getHeader(DownloadRequests.SIGNATURE_HEADER);
        byte[] json = decode(request.getHeader(DownloadRequests.MANIFEST_HEADER));
        if (json.length == 0 || signature == null || !ManifestSignatures.verify(json, signature, unionSigningKey)) {
            LOG.warn("Download from the union's agent refused, its signature does not verify: municipality={}"
                    + " fileId={}", code, fileId);
            throw new WindowHttpException(403, "the download manifest's signature does not verify with the union's"
                    + " signing key", "sign the manifest with union/signing-private.pem whose public key the window"
                    + " server holds");
        }

        DownloadManifest manifest;
        try {
            manifest = DownloadManifest.fromJson(json);
            InterfaceFileName.parseForRecipient(manifest.fileName(), code);
        } catch (IllegalArgumentException | InterfaceFileRejectedException e) {
            throw new WindowHttpException(422, "the signed download manifest is invalid: " + e.getMessage(),
                    "correct the file in the union's outbound folder");
        }
        if (!manifest.municipality().equals(code.value()) || !manifest.fileId().equals(fileId)) {
            throw new WindowHttpException(403, "the signed manifest names municipality " + manifest.municipality()
                    + " and file id " + manifest.fileId() + ", not the path's " + code + " and " + fileId,
                    "send each download to the path of its own municipality and file id");
        }
        if (manifest.size() > settings.maxFileBytes()) {
            throw new WindowHttpException(413, "file of " + manifest.size() + " bytes exceeds the maximum of "
                    + settings.maxFileBytes() + " bytes", "split the file or raise central.window.max-file-bytes");
        }

        Path part = Files.createTempFile(spool, fileId + ".", ".part");
        try {
            long limit = manifest.size() + manifest.size() / 64 + CIPHERTEXT_OVERHEAD;
            try (InputStream in = request.getInputStream();
                    OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE,
                            StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                long copied = in.transferTo(out);
                if (copied > limit) {
                    throw new WindowHttpException(413, "ciphertext of " + copied + " bytes is larger than a file of "
                            + manifest.size() + " bytes can be", "send the ciphertext of the manifest's file");
                }
            }
            requireDecrypts(part, manifest);
            writer.queueCiphertext(part, manifest, json, signature);
        } finally {
            Files.deleteIfExists(part);
        }
        LOG.info("Download received from the union's agent: municipality={} file={} fileId={} size={}", code,
                manifest.fileName(), fileId, manifest.size());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("fileId", fileId);
        body.put("state", "queued");
        WindowRequests.json(exchange, 200, body);
    }

    /** Decrypts the spooled ciphertext into nothing, checking size and SHA-256 against the signed manifest. */
    private void requireDecrypts(Path ciphertext, DownloadManifest manifest) throws IOException, WindowHttpException {
        MessageDigest digest = FileIds.sha256();
        long size;
        try (InputStream plaintext = cipher.decryptingStream(Files.newInputStream(ciphertext),
                manifest.municipalityCode(), manifest.fileId(), PayloadCipher.Direction.DOWNLOAD);
                DigestOutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), digest)) {
            size = plaintext.transferTo(out);
        } catch (IOException e) {
            throw new WindowHttpException(422, "the ciphertext does not decrypt with the keyset of municipality "
                    + manifest.municipality() + ": " + e.getMessage(), "encrypt the file with that municipality's"
                    + " current keyset.json");
        }
        String sha256 = FileIds.hex(digest.digest());
        if (size != manifest.size() || !sha256.equals(manifest.sha256())) {
            throw new WindowHttpException(422, "the ciphertext decrypts to " + size + " bytes with SHA-256 " + sha256
                    + " where the signed manifest states " + manifest.size() + " bytes and " + manifest.sha256(),
                    "send the file again");
        }
    }

    private static byte[] decode(String base64) {
        try {
            return base64 == null ? new byte[0] : Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }
}
