package jp.kouiki.window.agent;

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
 * A durable record of each download written at this agent: one small file per file id under {@code pending/<code>/}
 * while the checked file waits in {@code inbox/<code>/.part/} to be renamed into place, and under
 * {@code received/<code>/} after. It is written before the download is acknowledged, so a download offered again
 * after a crash is recognised and acknowledged without a second copy.
 */
final class InboxLedger {

    /** A checked download waiting to be renamed into place. */
    record Pending(MunicipalityCode code, String fileId, String fileName) {
    }

    private final Path pendingRoot;
    private final Path receivedRoot;

    InboxLedger(Path root) {
        this.pendingRoot = root.resolve("pending");
        this.receivedRoot = root.resolve("received");
    }

    boolean isKnown(MunicipalityCode code, String fileId) {
        return Files.exists(entry(pendingRoot, code, fileId)) || Files.exists(entry(receivedRoot, code, fileId));
    }

    void recordPending(MunicipalityCode code, String fileId, String fileName) throws IOException {
        AtomicFiles.createDirectories(pendingRoot.resolve(code.value()));
        AtomicFiles.writeAtomically(entry(pendingRoot, code, fileId), fileName.getBytes(StandardCharsets.UTF_8));
    }

    /** Records the file as in place, then drops its pending entry; a crash between the two leaves both, harmlessly. */
    void recordReceived(MunicipalityCode code, String fileId, String fileName) throws IOException {
        AtomicFiles.createDirectories(receivedRoot.resolve(code.value()));
        AtomicFiles.writeAtomically(entry(receivedRoot, code, fileId), (fileName + "\n" + Instant.now() + "\n")
                .getBytes(StandardCharsets.UTF_8));
        Files.deleteIfExists(entry(pendingRoot, code, fileId));
    }

    /**
     * Deletes the temporaries of entries that a killed agent was writing; an entry half written was never relied on.
     * Call it at start-up, before any download is written.
     *
     * @return how many were deleted
     */
    int deleteLeftoverTemporaries() throws IOException {
        return AtomicFiles.deleteLeftoverTemporaries(pendingRoot, 2)
                + AtomicFiles.deleteLeftoverTemporaries(receivedRoot, 2);
    }

    /**
     * Lists the downloads still waiting to be renamed into place, in the order they arrived: by the time their entry
     * was written, then by file id.
     */
    List<Pending> pending() throws IOException {
        return pendingUnder(pendingRoot, 2);
    }

    /** Lists one municipality's downloads still waiting to be renamed into place, in the order they arrived. */
    List<Pending> pending(MunicipalityCode code) throws IOException {
        return pendingUnder(pendingRoot.resolve(code.value()), 1);
    }

    private List<Pending> pendingUnder(Path folder, int depth) throws IOException {
        List<Pending> pending = new ArrayList<>();
        for (Path entry : LedgerEntries.inWrittenOrder(folder, depth)) {
            MunicipalityCode code = MunicipalityCode.of(entry.getParent().getFileName().toString());
            String fileId = entry.getFileName().toString();
            if (Files.exists(entry(receivedRoot, code, fileId))) {
                Files.deleteIfExists(entry);
            } else {
                pending.add(new Pending(code, fileId, Files.readString(entry, StandardCharsets.UTF_8)));
            }
        }
        return pending;
    }

    /** Deletes records of files received longer ago than the retention time; returns how many. */
    int expire(Duration retention) throws IOException {
        if (!Files.isDirectory(receivedRoot)) {
            return 0;
        }
        Instant limit = Instant.now().minus(retention);
        int removed = 0;
        try (Stream<Path> entries = Files.find(receivedRoot, 2, (path, attributes) -> attributes.isRegularFile()
                && attributes.lastModifiedTime().toInstant().isBefore(limit))) {
            for (Path entry : entries.toList()) {
                Files.deleteIfExists(entry);
                removed++;
            }
        }
        return removed;
    }

    private static Path entry(Path root, MunicipalityCode code, String fileId) {
        return root.resolve(code.value()).resolve(fileId);
    }
}
