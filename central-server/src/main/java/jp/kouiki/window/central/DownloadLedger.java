package jp.kouiki.window.central;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.DownloadManifest;

/**
 * A durable record of each download that its municipality acknowledged, as written or as refused: one small file per
 * file id under {@code acknowledged/<code>/} or {@code refused/<code>/}. A repeated acknowledgement whose message is
 * already gone gets its success response from here.
 */
final class DownloadLedger {

    /** Ledger record of one download: acknowledged or refused, when, and for a refusal why. */
    record Status(String state, Instant at, String reason) {
    }

    private final Path acknowledgedRoot;
    private final Path refusedRoot;

    DownloadLedger(Path root) {
        this.acknowledgedRoot = root.resolve("acknowledged");
        this.refusedRoot = root.resolve("refused");
    }

    void recordAcknowledged(DownloadManifest manifest) throws IOException {
        Path folder = AtomicFiles.createDirectories(acknowledgedRoot.resolve(manifest.municipality()));
        AtomicFiles.writeAtomically(folder.resolve(manifest.fileId()), (manifest.fileName() + "\n" + manifest.size()
                + "\n" + manifest.sha256() + "\n").getBytes(StandardCharsets.UTF_8));
    }

    void recordRefused(DownloadManifest manifest, String reason) throws IOException {
        Path folder = AtomicFiles.createDirectories(refusedRoot.resolve(manifest.municipality()));
        AtomicFiles.writeAtomically(folder.resolve(manifest.fileId()), reason.getBytes(StandardCharsets.UTF_8));
    }

    /** Returns the ledger record of a download, or null when there is none. */
    Status status(MunicipalityCode code, String fileId) throws IOException {
        Path acknowledged = acknowledgedRoot.resolve(code.value()).resolve(fileId);
        if (Files.exists(acknowledged)) {
            return new Status("acknowledged", Files.getLastModifiedTime(acknowledged).toInstant(), null);
        }
        Path refused = refusedRoot.resolve(code.value()).resolve(fileId);
        if (Files.exists(refused)) {
            return new Status("refused", Files.getLastModifiedTime(refused).toInstant(),
                    Files.readString(refused, StandardCharsets.UTF_8));
        }
        return null;
    }

    /** Deletes records older than the retention time; returns how many. */
    int expire(Duration retention) throws IOException {
        Instant limit = Instant.now().minus(retention);
        int removed = 0;
        for (Path root : List.of(acknowledgedRoot, refusedRoot)) {
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
}
