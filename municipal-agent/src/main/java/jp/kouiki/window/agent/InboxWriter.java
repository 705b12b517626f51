package jp.kouiki.window.agent;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.files.SafeFileNames;
import jp.kouiki.window.iffile.InterfaceFileChecker;
import jp.kouiki.window.iffile.InterfaceFileName;
import jp.kouiki.window.iffile.InterfaceFileRejectedException;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.ManifestSignatures;
import jp.kouiki.window.transfer.DownloadManifest;
import jp.kouiki.window.transfer.FileIds;

/**
 * Writes one download into {@code inbox/<code>/}: checks the union's signature on the manifest and that the manifest
 * names this municipality and file id, decrypts the ciphertext as it streams into {@code inbox/<code>/.part/}, checks
 * size, SHA-256 and records, fsyncs, records the file in the ledger and renames it into place without replacing
 * anything. The municipal system therefore never reads a partial file, and a download offered again after a crash is
 * recognised by its file id.
 */
final class InboxWriter implements DownloadPuller.Writer {

    /** Result of writing one download; the puller acknowledges every result to the central server. */
    sealed interface Outcome {
    }

    /** Written now (in place, or waiting for its name to become free). */
    record Written(String fileName) implements Outcome {
    }

    /** Written before: its file id is in the ledger. */
    record AlreadyReceived(String fileId) implements Outcome {
    }

    /** Refused for good; the reason is in {@code error/<code>/}. */
    record Refused(String reason) implements Outcome {
    }

    private static final Logger LOG = LoggerFactory.getLogger(InboxWriter.class);
    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

    private final AgentSettings settings;
    private final PayloadCipher cipher;
    private final PublicKey unionSigningKey;
    private final InboxLedger ledger;
    private final ArrivalOrder order;
    private final InterfaceFileChecker checker;
    private final Set<String> waitingReported = ConcurrentHashMap.newKeySet();

    InboxWriter(AgentSettings settings, PayloadCipher cipher, PublicKey unionSigningKey, InboxLedger ledger) {
        this.settings = settings;
        this.cipher = cipher;
        this.unionSigningKey = unionSigningKey;
        this.ledger = ledger;
        this.order = new ArrivalOrder(ledger, "inbox", this::finishPending, this::reportWaiting);
        this.checker = new InterfaceFileChecker(settings.interfaceKinds());
    }

    /**
     * Writes one download offered for {@code code}.
     *
     * @param fileId         the file id the central server offered, already checked to be 32 hex digits
     * @param manifestBase64 the download manifest as sent, base64
     * @param signature      the union's base64 signature over the manifest bytes
     * @param ciphertext     the body; left partly unread when the file is known or refused before decryption
     * @param ciphertextBytes the body's length as the central server announced it, or -1 when unknown
     * @throws IOException when reading the body from the line or writing to disk failed; nothing is acknowledged
     *                     then, and the download is offered again
     */
    @Override
    public Outcome write(MunicipalityCode code, String fileId, String manifestBase64, String signature,
            InputStream ciphertext, long ciphertextBytes) throws IOException {
        DownloadManifest manifest;
        InterfaceFileName name;
        try {
            manifest = verifiedManifest(code, fileId, manifestBase64, signature);
            name = InterfaceFileName.parseForRecipient(manifest.fileName(), code);
        } catch (InterfaceFileRejectedException e) {
            return refuse(code, fileId, null, null, e.getMessage());
        }
        if (ledger.isKnown(code, fileId)) {
            order.place(code, manifest.fileName());
            return new AlreadyReceived(fileId);
        }
        Path part = AtomicFiles.createDirectories(settings.inbox(code).resolve(".part")).resolve(fileId + ".part");
        try {
            decrypt(code, manifest, ciphertext, ciphertextBytes, part);
        } catch (InterfaceFileRejectedException e) {
            // Not the union's content, so nothing of it is kept.
            Files.deleteIfExists(part);
            return refuse(code, fileId, null, null, e.getMessage());
        } catch (IOException e) {
            Files.deleteIfExists(part);
            throw e;
        }
        try {
            checker.check(part, name);
        } catch (InterfaceFileRejectedException e) {
            return refuse(code, fileId, part, manifest.fileName(), e.getMessage());
        }
        AtomicFiles.fsync(part);
        ledger.recordPending(code, fileId, manifest.fileName());
        order.place(code, manifest.fileName());
        return new Written(manifest.fileName());
    }

    /** Checks the signature first, so that nothing unsigned is parsed further than base64. */
    private DownloadManifest verifiedManifest(MunicipalityCode code, String fileId, String manifestBase64,
            String signature) throws InterfaceFileRejectedException {
        byte[] json;
        try {
            json = Base64.getDecoder().decode(manifestBase64 == null ? "" : manifestBase64);
        } catch (IllegalArgumentException e) {
            json = new byte[0];
        }
        if (json.length == 0 || signature == null || !ManifestSignatures.verify(json, signature, unionSigningKey)) {
            throw new InterfaceFileRejectedException(
                    "ダウンロードの署名が広域連合の署名鍵で検証できません。",
                    "the download manifest's signature does not verify with the union's signing key; the file may"
                            + " have been altered or signed with another key");
        }
        DownloadManifest manifest;
        try {
            manifest = DownloadManifest.fromJson(json);
        } catch (IllegalArgumentException e) {
            throw new InterfaceFileRejectedException("ダウンロードのマニフェストが不正です。",
                    "the signed download manifest is invalid: " + e.getMessage());
        }
        if (!manifest.municipality().equals(code.value())) {
            throw new InterfaceFileRejectedException(
                    "ダウンロードの宛先団体コード " + manifest.municipality() + " がこの団体 " + code + " ではありません。",
                    "the download is addressed to municipality " + manifest.municipality() + ", not to " + code
                            + "; it was not written");
        }
        if (!manifest.fileId().equals(fileId)) {
            throw new InterfaceFileRejectedException(
                    "ダウンロードのファイルIDがマニフェストと一致しません。",
                    "the offered file id " + fileId + " differs from the signed manifest's " + manifest.fileId());
        }
        return manifest;
    }

    /** Decrypts into the part file, checking size and SHA-256 against the signed manifest. */
    private void decrypt(MunicipalityCode code, DownloadManifest manifest, InputStream ciphertext,
            long ciphertextBytes, Path part) throws IOException, InterfaceFileRejectedException {
        LineStream line = new LineStream(ciphertext);
        MessageDigest digest = FileIds.sha256();
        long size = 0;
        try (InputStream plaintext = cipher.decryptingStream(line, code, manifest.fileId(),
                PayloadCipher.Direction.DOWNLOAD);
                OutputStream out = new DigestOutputStream(Files.newOutputStream(part, StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), digest)) {
            byte[] buffer = new byte[64 * 1024];
            while (true) {
                int read;
                try {
                    read = plaintext.read(buffer);
                } catch (IOException e) {
                    if (line.failure != null) {
                        // Tink reports a failed read as a key mismatch, so the line's own exception is more precise.
                        throw line.failure;
                    }
                    requireWholeBody(line, ciphertextBytes);
                    throw new InterfaceFileRejectedException(
                            "ダウンロードの暗号文を復号できません（改ざん・破損・鍵違い）。",
                            "the download's ciphertext does not decrypt with the keyset of " + code
                                    + " (tampered, truncated, meant for another municipality or direction, or another"
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
                    "復号したファイルが署名付きマニフェストの SHA-256・サイズと一致しません。",
                    "the decrypted file has " + size + " bytes and SHA-256 " + sha256 + " where the signed manifest"
                            + " states " + manifest.size() + " bytes and " + manifest.sha256());
        }
    }

    /**
     * Reads the rest of a body that failed to decrypt, so that a body cut short, which fails like a tampered one, is
     * tried again instead of being refused.
     */
    static void requireWholeBody(LineStream line, long ciphertextBytes) throws IOException {
        line.transferTo(OutputStream.nullOutputStream());
        if (ciphertextBytes >= 0 && line.count != ciphertextBytes) {
            throw new IOException("download body ended after " + line.count + " of " + ciphertextBytes
                    + " bytes; it is requested again");
        }
    }

    /** Finishes every waiting download whose turn has come. A name that fails does not hold up the others. */
    void sweep() {
        order.sweep();
    }

    /**
     * Logs each newly waiting download of a name once, and keeps the name's reason in {@code waiting/<code>/} while
     * any of them waits.
     */
    private void reportWaiting(MunicipalityCode code, String fileName, List<InboxLedger.Pending> waiting)
            throws IOException {
        for (InboxLedger.Pending pending : waiting) {
            if (waitingReported.add(pending.fileId())) {
                LOG.warn("Download waiting, its name is taken in the inbox: municipality={} file={} fileId={}; it is"
                        + " written as soon as the municipal system takes the existing file and any earlier"
                        + " download of the name", code, fileName, pending.fileId());
            }
        }
        updateWaitingReason(code, fileName, waiting);
    }

    /**
     * Renames one checked download into place without replacing anything there.
     *
     * @return true when the download is now in place or was placed before, false when its name is taken
     */
    private boolean finishPending(MunicipalityCode code, String fileId, String fileName) throws IOException {
        Path part = settings.inbox(code).resolve(".part").resolve(fileId + ".part");
        Path target = settings.inbox(code).resolve(fileName);
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
            // Linked into the inbox by an earlier version before a crash, and since moved on by the municipal system:
            // placing the staged copy again would deliver the file twice.
            Files.delete(part);
            ledger.recordReceived(code, fileId, fileName);
            LOG.info("Download was placed before a restart and has been taken since, its staged copy deleted:"
                    + " municipality={} file={} fileId={}", code, fileName, fileId);
            return true;
        }
        if (AtomicFiles.publish(part, target)) {
            ledger.recordReceived(code, fileId, fileName);
            waitingReported.remove(fileId);
            LOG.info("Download written: municipality={} file={} fileId={} size={}", code, fileName, fileId,
                    Files.size(target));
            return true;
        }
        return false;
    }

    /** Writes, rewrites or deletes the reason of a name's waiting downloads, listed in the order they are placed. */
    private void updateWaitingReason(MunicipalityCode code, String fileName, List<InboxLedger.Pending> waiting)
            throws IOException {
        Path reason = settings.waiting(code).resolve(SafeFileNames.fitted(fileName) + ".reason");
        if (waiting.isEmpty()) {
            Files.deleteIfExists(reason);
            return;
        }
        StringBuilder text = new StringBuilder("file: ").append(fileName).append('\n');
        for (InboxLedger.Pending pending : waiting) {
            text.append("fileId: ").append(pending.fileId()).append('\n');
        }
        text.append("reason: 受信フォルダに同じ名前のファイルがまだあります。そのファイルを取り出すと、上の順にファイルが置かれます。"
                + " / a file of the same name is still in inbox/").append(code).append("/; the files above are put in"
                + " place in this order, each as soon as the one before it has been taken\n");
        byte[] content = text.toString().getBytes(StandardCharsets.UTF_8);
        if (Files.exists(reason) && Arrays.equals(Files.readAllBytes(reason), content)) {
            return;
        }
        AtomicFiles.createDirectories(reason.getParent());
        AtomicFiles.writeAtomically(reason, content);
    }

    /**
     * Writes the reason into {@code error/<code>/}, beside the decrypted file when its records were refused, so that
     * municipal staff can see what the union sent.
     *
     * @param checkedPart the authenticated, decrypted file, or null when there is none to keep
     * @param fileName    the signed file name, or null when the manifest could not be trusted
     */
    private Refused refuse(MunicipalityCode code, String fileId, Path checkedPart, String fileName, String reason)
            throws IOException {
        Path folder = AtomicFiles.createDirectories(settings.error(code));
        String stamped = SafeFileNames.fitted(ZonedDateTime.now(TOKYO).format(STAMP) + "_"
                + (fileName == null ? "download-" + fileId : SafeFileNames.safeName(fileName)));
        if (checkedPart != null) {
            Files.move(checkedPart, folder.resolve(stamped), StandardCopyOption.ATOMIC_MOVE);
        }
        AtomicFiles.writeAtomically(folder.resolve(stamped + ".reason"), ("download fileId: " + fileId
                + (fileName == null ? "" : "\nfile: " + InterfaceFileName.printable(fileName))
                + "\nrefused at: " + ZonedDateTime.now(TOKYO).toOffsetDateTime() + "\nreason: " + reason + "\n")
                .getBytes(StandardCharsets.UTF_8));
        LOG.warn("Download refused: municipality={} fileId={} reason={}", code, fileId, reason);
        return new Refused(reason);
    }

    /**
     * Counts the bytes read and keeps the line's own failure, to tell a broken connection from a ciphertext that does
     * not decrypt.
     */
    static final class LineStream extends FilterInputStream {
        IOException failure;
        long count;

        LineStream(InputStream in) {
            super(in);
        }

        /** Refuses mark and reset, so that every byte counted is a byte that came from the line. */
        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public synchronized void mark(int limit) {
        }

        @Override
        public synchronized void reset() throws IOException {
            throw new IOException("mark and reset are not supported on a download body");
        }

        @Override
        public int read() throws IOException {
            try {
                int read = super.read();
                if (read >= 0) {
                    count++;
                }
                return read;
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            try {
                int read = super.read(buffer, offset, length);
                if (read > 0) {
                    count += read;
                }
                return read;
            } catch (IOException e) {
                failure = e;
                throw e;
            }
        }
    }
}
