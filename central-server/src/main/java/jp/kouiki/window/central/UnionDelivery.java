package jp.kouiki.window.central;

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
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.activemq.artemis.api.core.client.ClientMessage;

import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.broker.MessageBodies;
import jp.kouiki.window.central.operator.TransferEvents;
import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.files.FolderRetention;
import jp.kouiki.window.iffile.InterfaceFileChecker;
import jp.kouiki.window.iffile.InterfaceFileDelivery;
import jp.kouiki.window.iffile.InterfaceFileName;
import jp.kouiki.window.iffile.InterfaceFileRejectedException;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.queue.DrainOutcome;
import jp.kouiki.window.queue.QueueDrainer;
import jp.kouiki.window.transfer.FileIds;
import jp.kouiki.window.transfer.FileManifest;

/**
 * Delivers one stored file into {@code union/inbound/<code>/}: decrypts it into the folder's {@code .part/} staging
 * folder, checks its SHA-256 and contents, converts it when its IF kind says so, fsyncs it, records it in the ledger
 * and renames it into place without replacing anything. Only then is the queue message acknowledged. The union's
 * system therefore never reads a partial file, and a crash at any step neither loses the file nor delivers it twice.
 *
 * <p>Used where the union's folders are local ({@code central.union.delivery=local}). With remote union folders the
 * union's agent does this delivery at the union, and {@link UnionPickupQueue} serves it the stored files.
 */
final class UnionDelivery implements QueueDrainer.Handler {

    private static final Logger LOG = LoggerFactory.getLogger(UnionDelivery.class);
    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");
    /** Age after which a staged file counts as having waited, and is read again before it is renamed into place. */
    private static final Duration CHECK_AFTER_WAITING = Duration.ofSeconds(5);

    private final CentralSettings settings;
    private final PayloadCipher cipher;
    private final DeliveryLedger ledger;
    private final InterfaceFileDelivery contents;
    private final Set<String> waitingReported = ConcurrentHashMap.newKeySet();

    private final MeterRegistry metrics;
    private final InboundReports reports;
    private volatile TransferEvents events = TransferEvents.NONE;

    UnionDelivery(CentralSettings settings, PayloadCipher cipher, DeliveryLedger ledger, MeterRegistry metrics,
            InboundReports reports) {
        this.settings = settings;
        this.cipher = cipher;
        this.ledger = ledger;
        this.metrics = metrics;
        this.contents = new InterfaceFileDelivery(new InterfaceFileChecker(settings.interfaceKinds()));
        LOG.info("Interface kind catalogue loaded: {}", settings.interfaceKinds());
        this.reports = reports;
    }

    /** Sets where deliveries, waiting files and rejections are reported, for the transfer history. */
    void setTransferEvents(TransferEvents events) {
        this.events = events;
    }

    @Override
    public DrainOutcome handle(MunicipalityCode code, ClientMessage message) throws Exception {
        FileManifest manifest = FileManifest.fromJson(message.getStringProperty(UploadStore.MANIFEST)
                .getBytes(StandardCharsets.UTF_8));
        InboundReports.DeliveredFile file = new InboundReports.DeliveredFile(code, manifest.fileId(),
                manifest.fileName(), manifest.size(), manifest.sha256(), manifest.ifKind());
        if (ledger.isKnown(code, manifest.fileId())) {
            if (!placeInOrder(code, manifest.fileName())) {
                // Delivered before: completes its report and ledger record, in case a crash came between them.
                finishPending(file);
            }
            return new DrainOutcome.Completed("already delivered");
        }
        Path staging = AtomicFiles.createDirectories(settings.inbound(code).resolve(".part"));
        Path part = staging.resolve(manifest.fileId() + ".part");
        Path report;
        try {
            decrypt(code, manifest, message, part);
            InterfaceFileName name = InterfaceFileName.parse(manifest.fileName(), code);
            report = contents.prepare(part, name, manifest.fileId(), manifest.sha256(), settings.reports(code));
        } catch (InterfaceFileRejectedException e) {
            Files.deleteIfExists(part);
            return reject(code, manifest, "content", e.getMessage());
        } catch (CiphertextException e) {
            Files.deleteIfExists(part);
            return reject(code, manifest, "ciphertext", e.getMessage());
        }
        AtomicFiles.fsync(part);
        if (report != null) {
            // A converted file is delivered with other bytes than were sent; the union's lists must name those.
            file = new InboundReports.DeliveredFile(code, manifest.fileId(), manifest.fileName(), Files.size(part),
                    sha256(part), manifest.ifKind());
        }
        ledger.recordPending(code, manifest.fileId(), manifest.fileName(), file.size(), file.sha256(), file.kind());
        placeInOrder(code, manifest.fileName());
        return new DrainOutcome.Completed("delivered");
    }

    @Override
    public void gaveUp(MunicipalityCode code, ClientMessage message, String reason) throws IOException {
        FileManifest manifest = FileManifest.fromJson(message.getStringProperty(UploadStore.MANIFEST)
                .getBytes(StandardCharsets.UTF_8));
        Files.deleteIfExists(settings.inbound(code).resolve(".part").resolve(manifest.fileId() + ".part"));
        writeReason(code, manifest, "配信できませんでした / the file could not be delivered: " + reason);
        count(code, "gave-up");
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest digest = FileIds.sha256();
        try (InputStream in = new java.security.DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return FileIds.hex(digest.digest());
    }

    /** Decrypts into the part file, checking size and SHA-256 against the signed manifest. */
    private void decrypt(MunicipalityCode code, FileManifest manifest, ClientMessage message, Path part)
            throws IOException, CiphertextException {
        MessageDigest digest = FileIds.sha256();
        long size = 0;
        try (InputStream ciphertext = MessageBodies.stream(message);
                InputStream plaintext = cipher.decryptingStream(ciphertext, code, manifest.fileId());
                OutputStream out = new DigestOutputStream(Files.newOutputStream(part, StandardOpenOption.CREATE,
                        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE), digest)) {
            byte[] buffer = new byte[64 * 1024];
            while (true) {
                int read;
                try {
                    read = plaintext.read(buffer);
                } catch (IOException e) {
                    throw new CiphertextException("暗号文を復号できません（改ざん・破損・鍵違い） / the ciphertext does not"
                            + " decrypt with the keyset of " + code + " (tampered, truncated or another key): "
                            + e.getMessage());
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
            throw new CiphertextException("復号したファイルが送信時の SHA-256 と一致しません / the decrypted file has "
                    + size + " bytes and SHA-256 " + sha256 + " where the signed manifest states " + manifest.size()
                    + " bytes and " + manifest.sha256() + "; the municipality must send the file again");
        }
    }

    /**
     * Renames a checked file into place. When its name is taken, the file stays pending for the sweeper, because an
     * existing file is never overwritten.
     */
    synchronized boolean finishPending(InboundReports.DeliveredFile file) throws IOException {
        MunicipalityCode code = file.code();
        String fileId = file.fileId();
        String fileName = file.fileName();
        Path part = settings.inbound(code).resolve(".part").resolve(fileId + ".part");
        Path target = settings.inbound(code).resolve(fileName);
        if (!Files.exists(part)) {
            if (waitingReported.contains(fileId)) {
                // This process saw it wait and never renamed it, so someone removed the staged copy.
                rejectStaged(file, null, "削除されました / it was deleted from .part/ while it waited for its name");
                return true;
            }
            if (!Files.exists(target)) {
                LOG.warn("Staged file is gone and its name is free; it is recorded as delivered, as a rename into"
                        + " place before a restart would leave it. If the union's system did not take it, ask the"
                        + " municipality to send it again: municipality={} file={} fileId={}", code, fileName, fileId);
            }
            // Renamed into place before a crash: report it unless the crash came after the report.
            reports.delivered(file, true);
            ledger.recordDelivered(code, fileId, fileName);
            return true;
        }
        if (Files.exists(target) && Files.isSameFile(part, target)) {
            Files.delete(part);
            reports.delivered(file, true);
            ledger.recordDelivered(code, fileId, fileName);
            return true;
        }
        if (AtomicFiles.hasOtherLinks(part)) {
            // Linked into place by an earlier version before a crash, and since moved on by the union's system.
            Files.delete(part);
            reports.delivered(file, true);
            ledger.recordDelivered(code, fileId, fileName);
            LOG.info("File was delivered before a restart and has been taken since, its staged copy deleted:"
                    + " municipality={} file={} fileId={}", code, fileName, fileId);
            return true;
        }
        String changed = changedWhileWaiting(part, file);
        if (changed != null) {
            rejectStaged(file, part, "変更されました / it changed in .part/ while it waited for its name: " + changed);
            return true;
        }
        if (AtomicFiles.publish(part, target)) {
            waitingReported.remove(fileId);
            reports.delivered(file, false);
            ledger.recordDelivered(code, fileId, fileName);
            LOG.info("File delivered: municipality={} file={} fileId={} size={}", code, fileName, fileId,
                    Files.size(target));
            metrics.counter("window.delivery.delivered", "municipality", code.value()).increment();
            events.delivered(code, fileId, fileName, Files.size(target));
            return true;
        }
        if (waitingReported.add(fileId)) {
            events.waiting(code, fileId, fileName);
            LOG.warn("File waiting, its name is taken in the union folder: municipality={} file={} fileId={};"
                    + " it is delivered as soon as the union's system takes the existing file", code, fileName, fileId);
        }
        return false;
    }

    /**
     * Returns how a staged file that has waited differs from what was checked, or null when it does not. A file
     * staged moments ago is only measured, because it has not waited.
     */
    private static String changedWhileWaiting(Path part, InboundReports.DeliveredFile file) throws IOException {
        long size = Files.size(part);
        if (size != file.size()) {
            return "size " + size + " bytes where " + file.size() + " were checked";
        }
        if (Files.getLastModifiedTime(part).toInstant().isAfter(Instant.now().minus(CHECK_AFTER_WAITING))) {
            return null;
        }
        String sha256 = sha256(part);
        return sha256.equals(file.sha256()) ? null
                : "SHA-256 " + sha256 + " where " + file.sha256() + " was checked";
    }

    /**
     * Rejects a waiting file whose staged copy was removed or changed: records the refusal, keeps the changed copy
     * beside the reason in {@code rejected/<code>/} for inspection, and lets the later files of its name go on.
     */
    private void rejectStaged(InboundReports.DeliveredFile file, Path part, String cause) throws IOException {
        MunicipalityCode code = file.code();
        String reason = "配信しませんでした。団体にもう一度送るよう依頼してください / not delivered, because " + cause
                + "; ask municipality " + code + " to send the file again";
        waitingReported.remove(file.fileId());
        ledger.recordRejectedPending(code, file.fileId(), reason);
        events.rejected(code, file.fileId(), file.fileName(), reason);
        Path folder = AtomicFiles.createDirectories(settings.rejected(code));
        String stamp = ZonedDateTime.now(TOKYO).format(STAMP) + "_" + file.fileId();
        if (part != null) {
            Files.move(part, folder.resolve(stamp + ".part"), StandardCopyOption.ATOMIC_MOVE);
        }
        String text = "file: " + file.fileName() + "\nfileId: " + file.fileId() + "\nmunicipality: " + code
                + "\nsize: " + file.size() + "\nsha256: " + file.sha256() + "\nreason: " + reason + "\n";
        AtomicFiles.writeAtomically(folder.resolve(stamp + ".reason"), text.getBytes(StandardCharsets.UTF_8));
        count(code, "staged");
        LOG.warn("Waiting file refused, its staged copy was removed or changed: municipality={} file={} fileId={}"
                + " reason={}", code, file.fileName(), file.fileId(), cause);
    }

    /**
     * Places the waiting files of one name in the municipality's folder in the order they arrived, as far as the name
     * is free, so that a later file of a name never overtakes an earlier one that still waits.
     *
     * @return whether a file of that name was waiting in the ledger
     */
    private synchronized boolean placeInOrder(MunicipalityCode code, String fileName) throws IOException {
        boolean found = false;
        for (DeliveryLedger.Pending file : ledger.pending(code)) {
            if (!file.fileName().equals(fileName)) {
                continue;
            }
            found = true;
            if (!finishPending(delivered(file))) {
                break;
            }
        }
        return found;
    }

    /**
     * Finishes every pending file whose name has become free, oldest first per name. A name that fails does not hold up
     * the others.
     */
    synchronized void sweep() {
        List<DeliveryLedger.Pending> pending;
        try {
            pending = ledger.pending();
        } catch (IOException | RuntimeException e) {
            LOG.warn("Delivery sweep could not list waiting files, trying again at the next sweep: error={}",
                    e.toString());
            return;
        }
        Set<String> waitingNames = new HashSet<>();
        for (DeliveryLedger.Pending file : pending) {
            String name = file.code() + "/" + file.fileName();
            if (waitingNames.contains(name)) {
                continue;
            }
            try {
                if (!finishPending(delivered(file))) {
                    waitingNames.add(name);
                }
            } catch (IOException | RuntimeException e) {
                waitingNames.add(name);
                if (waitingReported.add(file.fileId() + "/failed")) {
                    LOG.warn("Waiting file could not be renamed into place, trying again at each sweep:"
                            + " municipality={} file={} fileId={} error={}", file.code(), file.fileName(),
                            file.fileId(), e.toString());
                }
            }
        }
    }

    private static InboundReports.DeliveredFile delivered(DeliveryLedger.Pending file) {
        return new InboundReports.DeliveredFile(file.code(), file.fileId(), file.fileName(), file.size(),
                file.sha256(), file.kind());
    }

    /**
     * Forgets deliveries, completed uploads and abandoned partial uploads older than the retention time, so that
     * the server's data does not grow without bound.
     */
    void expireLedger() {
        try {
            Duration retention = Duration.ofDays(settings.ledgerRetentionDays());
            Instant limit = Instant.now().minus(retention);
            int removed = ledger.expire(retention);
            int stored = FolderRetention.deleteEntriesNotModifiedSince(settings.dataDirectory().resolve("stored"), limit);
            int abandoned = FolderRetention.deleteEntriesNotModifiedSince(settings.dataDirectory().resolve("uploads"),
                    limit);
            if (removed + stored + abandoned > 0) {
                LOG.info("Delivery records expired: ledgerEntries={} storedMarkers={} abandonedUploads={}"
                        + " retentionDays={}", removed, stored, abandoned, settings.ledgerRetentionDays());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Delivery ledger expiry failed, trying again in an hour: error={}", e.toString());
        }
    }

    private DrainOutcome reject(MunicipalityCode code, FileManifest manifest, String kind, String reason)
            throws IOException {
        writeReason(code, manifest, reason);
        count(code, kind);
        LOG.warn("File refused at delivery: municipality={} file={} fileId={} size={} reason={}", code,
                manifest.fileName(), manifest.fileId(), manifest.size(), reason);
        return new DrainOutcome.Rejected(reason);
    }

    /**
     * Counts a rejected file by municipality and kind: ciphertext (tampered, replayed or under an unknown key),
     * content (IF file checks) or gave-up (delivery failed repeatedly).
     */
    private void count(MunicipalityCode code, String kind) {
        metrics.counter("window.delivery.rejected", "municipality", code.value(), "reason", kind).increment();
    }

    private void writeReason(MunicipalityCode code, FileManifest manifest, String reason) throws IOException {
        ledger.recordRejected(code, manifest.fileId(), reason);
        events.rejected(manifest, reason);
        Path folder = AtomicFiles.createDirectories(settings.rejected(code));
        String text = "file: " + manifest.fileName() + "\nfileId: " + manifest.fileId() + "\nmunicipality: " + code
                + "\nsize: " + manifest.size() + "\nsha256: " + manifest.sha256() + "\nreason: " + reason + "\n";
        String name = ZonedDateTime.now(TOKYO).format(STAMP) + "_" + manifest.fileId() + ".reason";
        AtomicFiles.writeAtomically(folder.resolve(name), text.getBytes(StandardCharsets.UTF_8));
    }

    /** A ciphertext that does not authenticate or does not match its manifest. */
    private static final class CiphertextException extends Exception {
        private static final long serialVersionUID = 1L;

        CiphertextException(String message) {
            super(message);
        }
    }
}
