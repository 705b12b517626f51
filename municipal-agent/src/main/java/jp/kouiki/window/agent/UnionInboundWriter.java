package jp.kouiki.window.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.iffile.InterfaceFileChecker;
import jp.kouiki.window.iffile.InterfaceFileDelivery;
import jp.kouiki.window.iffile.InterfaceFileName;
import jp.kouiki.window.iffile.InterfaceFileRejectedException;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.ManifestSignatures;
import jp.kouiki.window.security.SigningKeyRing;
import jp.kouiki.window.transfer.FileIds;
import jp.kouiki.window.transfer.FileManifest;

/**
 * Writes one municipality's file, pulled by the union's agent from its window server, into the union's
 * {@code inbound/<code>/}. It checks the municipality's own signature on the manifest, so a file that the window server
 * or the line altered or invented is refused; decrypts the ciphertext that the municipality's agent made as it streams
 * into {@code inbound/<code>/.part/}; checks size, SHA-256 and records and converts where the IF kind declares a conversion; fsyncs;
 * records the file in the ledger and renames it into place without replacing anything. Only then does the puller
 * acknowledge it, so the window server removes it. A file offered again after a crash is recognised by its file id.
 */
final class UnionInboundWriter implements DownloadPuller.Writer {

    private static final Logger LOG = LoggerFactory.getLogger(UnionInboundWriter.class);
    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

    private final AgentSettings settings;
    private final PayloadCipher cipher;
    private final SigningKeyRing signingKeys;
    private final InboxLedger ledger;
    private final ArrivalOrder order;
    private final InterfaceFileDelivery contents;
    private final Set<String> waitingReported = ConcurrentHashMap.newKeySet();

    UnionInboundWriter(AgentSettings settings, PayloadCipher cipher, SigningKeyRing signingKeys, InboxLedger ledger) {
        this.settings = settings;
        this.cipher = cipher;
        this.signingKeys = signingKeys;
        this.ledger = ledger;
        this.order = new ArrivalOrder(ledger, "union folder", this::finishPending, this::reportWaiting);
        this.contents = new InterfaceFileDelivery(new InterfaceFileChecker(settings.interfaceKinds()));
    }

    @Override
    public InboxWriter.Outcome write(MunicipalityCode code, String fileId, String manifestBase64, String signature,
            InputStream ciphertext, long ciphertextBytes) throws IOException {
        FileManifest manifest;
        InterfaceFileName name;
        try {
            manifest = verifiedManifest(code, fileId, manifestBase64, signature);
            name = InterfaceFileName.parse(manifest.fileName(), code);
        } catch (InterfaceFileRejectedException e) {
            return refuse(code, fileId, null, e.getMessage());
        }
        if (ledger.isKnown(code, fileId)) {
            order.place(code, manifest.fileName());
            return new InboxWriter.AlreadyReceived(fileId);
        }
        Path part = AtomicFiles.createDirectories(settings.unionInbound(code).resolve(".part"))
                .resolve(fileId + ".part");
        try {
            decrypt(code, manifest, ciphertext, ciphertextBytes, part);
            contents.prepare(part, name, fileId, manifest.sha256(), settings.unionReports(code));
        } catch (InterfaceFileRejectedException e) {
            Files.deleteIfExists(part);
            return refuse(code, fileId, manifest, e.getMessage());
        } catch (IOException e) {
            Files.deleteIfExists(part);
            throw e;
        }
        AtomicFiles.fsync(part);
        ledger.recordPending(code, fileId, manifest.fileName());
        order.place(code, manifest.fileName());
        return new InboxWriter.Written(manifest.fileName());
    }

    /** Checks the municipality's signature first, so that nothing unsigned is parsed further than its key id. */
    private FileManifest verifiedManifest(MunicipalityCode code, String fileId, String manifestBase64,
            String signature) throws InterfaceFileRejectedException, IOException {
        byte[] json;
        try {
            json = Base64.getDecoder().decode(manifestBase64 == null ? "" : manifestBase64);
        } catch (IllegalArgumentException e) {
            json = new byte[0];
        }
        PublicKey key;
        try {
            key = json.length == 0 ? null : signingKeys.find(code, FileManifest.fromJson(json).signingKeyId());
        } catch (IllegalArgumentException e) {
            key = null;
        }
        if (key == null || signature == null || !ManifestSignatures.verify(json, signature, key)) {
            throw new InterfaceFileRejectedException(
                    "ファイルの署名が団体 " + code + " の署名鍵で検証できません。",
                    "the manifest's signature does not verify with a signing key of municipality " + code
                            + " installed at the union's agent; the file may have been altered, or the municipality's"
                            + " new signing-public.pem is missing");
        }
        FileManifest manifest = FileManifest.fromJson(json);
        if (!manifest.municipality().equals(code.value())) {
            throw new InterfaceFileRejectedException(
                    "ファイルの送信元団体コード " + manifest.municipality() + " が " + code + " ではありません。",
                    "the signed manifest names municipality " + manifest.municipality() + ", not " + code);
        }
        if (!manifest.fileId().equals(fileId)) {
            throw new InterfaceFileRejectedException(
                    "ファイルIDが署名付きマニフェストと一致しません。",
                    "the offered file id " + fileId + " differs from the signed manifest's " + manifest.fileId());
        }
        return manifest;
    }

    /** Decrypts into the part file, checking size and SHA-256 against the signed manifest. */
    private void decrypt(MunicipalityCode code, FileManifest manifest, InputStream ciphertext, long ciphertextBytes,
            Path part) throws IOException, InterfaceFileRejectedException {
        InboxWriter.LineStream line = new InboxWriter.LineStream(ciphertext);
        MessageDigest digest = FileIds.sha256();
        long size = 0;
        try (InputStream plaintext = cipher.decryptingStream(line, code, manifest.fileId(),
                PayloadCipher.Direction.UPLOAD);
                OutputStream out = new DigestOutputStream(Files.newOutputStream(part, StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), digest)) {
            byte[] buffer = new byte[64 * 1024];
            while (true) {
                int read;
                try {
                    read = plaintext.read(buffer);
                } catch (IOException e) {
                    if (line.failure != null) {
                        throw line.failure;
                    }
                    InboxWriter.requireWholeBody(line, ciphertextBytes);
                    throw new InterfaceFileRejectedException(
                            "暗号文を復号できません（改ざん・破損・鍵違い）。",
                            "the ciphertext does not decrypt with the keyset of " + code
                                    + " (tampered, truncated, replayed from another file or municipality, or another"
                                    + " key): " + e.getMessage());
                }
                if (read < 0) {
                    break;
                }
                out.write(buffer, 0, read);
                size += read;
            }
        }
        String sha256 = FileIds.hex(digest.digest());
        if (size != manifest.size() || !sha256.equals(manifest.sha256())) {
            throw new InterfaceFileRejectedException(
                    "復号したファイルが送信時の SHA-256・サイズと一致しません。",
                    "the decrypted file has " + size + " bytes and SHA-256 " + sha256 + " where the signed manifest"
                            + " states " + manifest.size() + " bytes and " + manifest.sha256()
                            + "; the municipality must send the file again");
        }
    }

    /** Finishes every waiting file whose turn has come. A name that fails does not hold up the others. */
    void sweep() {
        order.sweep();
    }

    /** Logs each newly waiting file of a name once. */
    private void reportWaiting(MunicipalityCode code, String fileName, List<InboxLedger.Pending> waiting) {
        for (InboxLedger.Pending pending : waiting) {
            if (waitingReported.add(pending.fileId())) {
                LOG.warn("File waiting, its name is taken in the union folder: municipality={} file={} fileId={};"
                        + " it is delivered as soon as the union's system takes the existing file and any earlier"
                        + " file of the name", code, fileName, pending.fileId());
            }
        }
    }

    /**
     * Renames one checked file into place without replacing anything there, because an existing file is never
     * overwritten.
     *
     * @return true when the file is now in place or was placed before, false when its name is taken
     */
    private boolean finishPending(MunicipalityCode code, String fileId, String fileName) throws IOException {
        Path part = settings.unionInbound(code).resolve(".part").resolve(fileId + ".part");
        Path target = settings.unionInbound(code).resolve(fileName);
        if (!Files.exists(part)) {
            ledger.recordReceived(code, fileId, fileName);
            return true;
        }
        if (Files.exists(target) && Files.isSameFile(part, target)) {
            Files.delete(part);
            ledger.recordReceived(code, fileId, fileName);
            return true;
        }
        if (AtomicFiles.hasOtherLinks(part)) {
            // Linked into place by an earlier version before a crash, and since moved on by the union's system.
            Files.delete(part);
            ledger.recordReceived(code, fileId, fileName);
            LOG.info("File was delivered before a restart and has been taken since, its staged copy deleted:"
                    + " municipality={} file={} fileId={}", code, fileName, fileId);
            return true;
        }
        if (AtomicFiles.publish(part, target)) {
            ledger.recordReceived(code, fileId, fileName);
            waitingReported.remove(fileId);
            LOG.info("File delivered: municipality={} file={} fileId={} size={}", code, fileName, fileId,
                    Files.size(target));
            return true;
        }
        return false;
    }

    /**
     * Writes the reason into {@code rejected/<code>/}, as the window server does for local union folders, and returns
     * the refusal that the puller reports. The window server then reports it to the municipality's agent.
     *
     * @param manifest the signed manifest, or null when it could not be trusted
     */
    private InboxWriter.Refused refuse(MunicipalityCode code, String fileId, FileManifest manifest, String reason)
            throws IOException {
        Path folder = AtomicFiles.createDirectories(settings.unionRejected(code));
        String text = (manifest == null ? "" : "file: " + InterfaceFileName.printable(manifest.fileName()) + "\n")
                + "fileId: " + fileId + "\nmunicipality: " + code
                + (manifest == null ? "" : "\nsize: " + manifest.size() + "\nsha256: " + manifest.sha256())
                + "\nreason: " + reason + "\n";
        String name = ZonedDateTime.now(TOKYO).format(STAMP) + "_" + fileId + ".reason";
        AtomicFiles.writeAtomically(folder.resolve(name), text.getBytes(StandardCharsets.UTF_8));
        LOG.warn("File refused at delivery: municipality={} fileId={} reason={}", code, fileId, reason);
        return new InboxWriter.Refused(reason);
    }
}
