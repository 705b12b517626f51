package jp.kouiki.window.central;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.files.LedgerEntries;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * A durable record of each file's delivery to the union's folder: one small file per file id, under
 * {@code pending/<code>/} while the file waits to be renamed into place and under {@code delivered/<code>/} after.
 * It is written before the queue message is acknowledged, so a message delivered again after a crash is recognised
 * and never produces a second copy, and a waiting file is finished by the sweeper even across restarts.
 */
final class DeliveryLedger {

    /**
     * A file that is decrypted and checked but not yet renamed into place. Size is -1, and sha256 and kind are null, in
     * entries written by a version that did not record them.
     */
    record Pending(MunicipalityCode code, String fileId, String fileName, long size, String sha256, String kind) {
    }

    /** Ledger record of one file: its state, when it was recorded and, for a rejection, why. */
    record Status(String state, Instant at, String reason) {
    }

    private final Path pendingRoot;
    private final Path deliveredRoot;
    private final Path rejectedRoot;

    DeliveryLedger(Path root) {
        this.pendingRoot = root.resolve("pending");
        this.deliveredRoot = root.resolve("delivered");
        this.rejectedRoot = root.resolve("rejected");
    }

    /** Deletes the temporaries of records a killed process was writing; call before the ledger is used. */
    int deleteLeftoverTemporaries() throws IOException {
        int deleted = 0;
        for (Path root : List.of(pendingRoot, deliveredRoot, rejectedRoot)) {
            deleted += AtomicFiles.deleteLeftoverTemporaries(root, 2);
        }
        return deleted;
    }

    /** Records that a file was refused at delivery, so the agent that sent it can learn why. */
    void recordRejected(MunicipalityCode code, String fileId, String reason) throws IOException {
        AtomicFiles.createDirectories(rejectedRoot.resolve(code.value()));
        AtomicFiles.writeAtomically(rejectedRoot.resolve(code.value()).resolve(fileId),
                reason.getBytes(StandardCharsets.UTF_8));
    }

    /** Returns the delivery state of a file, or null when the ledger has nothing on it. */
    Status status(MunicipalityCode code, String fileId) throws IOException {
        Path delivered = deliveredEntry(code, fileId);
        if (Files.exists(delivered)) {
            List<String> lines = Files.readAllLines(delivered, StandardCharsets.UTF_8);
            return new Status("delivered", lines.size() > 1 ? Instant.parse(lines.get(1)) : null, null);
        }
        if (Files.exists(pendingEntry(code, fileId))) {
            return new Status("waiting", Files.getLastModifiedTime(pendingEntry(code, fileId)).toInstant(),
                    "a file of the same name is still in the union's folder");
        }
        Path rejected = rejectedRoot.resolve(code.value()).resolve(fileId);
        if (Files.exists(rejected)) {
            return new Status("rejected", Files.getLastModifiedTime(rejected).toInstant(),
                    Files.readString(rejected, StandardCharsets.UTF_8));
        }
        return null;
    }

    boolean isKnown(MunicipalityCode code, String fileId) {
        return Files.exists(pendingEntry(code, fileId)) || Files.exists(deliveredEntry(code, fileId));
    }

    /** Records a checked file waiting to be renamed into place: its name, size, SHA-256 and IF kind, one per line. */
    void recordPending(MunicipalityCode code, String fileId, String fileName, long size, String sha256, String kind)
            throws IOException {
        AtomicFiles.createDirectories(pendingRoot.resolve(code.value()));
        AtomicFiles.writeAtomically(pendingEntry(code, fileId), (fileName + "\n" + size + "\n" + sha256 + "\n" + kind
                + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Records the refusal of a pending file, then drops its pending entry, so that it no longer reads as waiting. */
    void recordRejectedPending(MunicipalityCode code, String fileId, String reason) throws IOException {
        recordRejected(code, fileId, reason);
        Files.deleteIfExists(pendingEntry(code, fileId));
    }

    /** Records the delivery, then drops the pending entry; a crash between the two leaves both, which is harmless. */
    void recordDelivered(MunicipalityCode code, String fileId, String fileName) throws IOException {
        AtomicFiles.createDirectories(deliveredRoot.resolve(code.value()));
        AtomicFiles.writeAtomically(deliveredEntry(code, fileId), (fileName + "\n" + Instant.now() + "\n")
                .getBytes(StandardCharsets.UTF_8));
        Files.deleteIfExists(pendingEntry(code, fileId));
    }

    /** A file that the ledger records as delivered or rejected: its name (null for a rejection), when and why. */
    record Ended(MunicipalityCode code, String fileId, String state, String fileName, Instant at, String reason) {
    }

    /** Lists the files recorded as delivered or rejected since the instant, by the time of their entry. */
    List<Ended> endedSince(Instant since) throws IOException {
        List<Ended> ended = new ArrayList<>();
        for (Path root : List.of(deliveredRoot, rejectedRoot)) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> entries = Files.find(root, 2, (path, attributes) -> attributes.isRegularFile()
                    && !path.getFileName().toString().startsWith(".")
                    && !attributes.lastModifiedTime().toInstant().isBefore(since))) {
                for (Path entry : entries.toList()) {
                    String folder = entry.getParent().getFileName().toString();
                    if (!MunicipalityCode.isValid(folder)) {
                        continue;
                    }
                    MunicipalityCode code = MunicipalityCode.of(folder);
                    String fileId = entry.getFileName().toString();
                    if (root == deliveredRoot) {
                        List<String> lines = Files.readAllLines(entry, StandardCharsets.UTF_8);
                        Instant at = lines.size() > 1 ? Instant.parse(lines.get(1))
                                : Files.getLastModifiedTime(entry).toInstant();
                        ended.add(new Ended(code, fileId, "delivered", lines.isEmpty() ? null : lines.get(0), at,
                                null));
                    } else if (!Files.exists(deliveredEntry(code, fileId))) {
                        // A delivery recorded after an earlier rejection of the same file id is its outcome.
                        ended.add(new Ended(code, fileId, "rejected", null,
                                Files.getLastModifiedTime(entry).toInstant(),
                                Files.readString(entry, StandardCharsets.UTF_8)));
                    }
                }
            }
        }
        return ended;
    }

        /** Lists the files waiting to be renamed into place, in the order they arrived. */
    List<Pending> pending() throws IOException {
        return pendingUnder(pendingRoot, 2);
    }

    /**
     * Lists one municipality's files waiting to be renamed into place, in the order they arrived: by the time their
     * entry was written, then by file id.
     */
    List<Pending> pending(MunicipalityCode code) throws IOException {
        return pendingUnder(pendingRoot.resolve(code.value()), 1);
    }

    private List<Pending> pendingUnder(Path folder, int depth) throws IOException {
        List<Pending> pending = new ArrayList<>();
        for (Path entry : LedgerEntries.inWrittenOrder(folder, depth)) {
            MunicipalityCode code = MunicipalityCode.of(entry.getParent().getFileName().toString());
            String fileId = entry.getFileName().toString();
            if (Files.exists(deliveredEntry(code, fileId))) {
                Files.deleteIfExists(entry);
            } else {
                pending.add(readPending(code, fileId, entry));
            }
        }
        return pending;
    }

    private static Pending readPending(MunicipalityCode code, String fileId, Path entry) throws IOException {
        List<String> lines = Files.readAllLines(entry, StandardCharsets.UTF_8);
        if (lines.size() < 4) {
            return new Pending(code, fileId, lines.isEmpty() ? "" : lines.get(0), -1, null, null);
        }
        return new Pending(code, fileId, lines.get(0), Long.parseLong(lines.get(1)), lines.get(2), lines.get(3));
    }

    /** Deletes records of files delivered or rejected longer ago than the retention time; returns how many. */
    int expire(Duration retention) throws IOException {
        Instant limit = Instant.now().minus(retention);
        int removed = 0;
        for (Path root : List.of(deliveredRoot, rejectedRoot)) {
            if (!Files.isDirectory(root)) {
                continue;
            }
            try (Stream<Path> entries = Files.find(root, 2, (path, attributes) -> attributes.isRegularFile()
                    && attributes.lastModifiedTime().toInstant().isBefore(limit))) {
                for (Path entry : entries.toList()) {
                    Files.deleteIfExists(entry);
                    removed++;
                }
            }
        }
        return removed;
    }

    private Path pendingEntry(MunicipalityCode code, String fileId) {
        return pendingRoot.resolve(code.value()).resolve(fileId);
    }

    private Path deliveredEntry(MunicipalityCode code, String fileId) {
        return deliveredRoot.resolve(code.value()).resolve(fileId);
    }
}
