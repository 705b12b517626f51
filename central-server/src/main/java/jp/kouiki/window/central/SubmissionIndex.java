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
import jp.kouiki.window.transfer.FileIds;
import jp.kouiki.window.transfer.FileManifest;

/**
 * Remembers, per municipality, which file id last arrived with a given name and SHA-256, so that the same bytes
 * dropped again under the same name are held as a possible duplicate instead of being applied twice by the union's
 * system. One small file per (name, SHA-256) under {@code ledger/submissions/<code>/}, on the shared data directory.
 * Retries of one pickup carry the same file id and are never held; the same name with other bytes is a new file.
 */
final class SubmissionIndex {

    /** An earlier file with the same name and bytes: its file id and when it was stored. */
    record Earlier(String fileId, Instant storedAt) {
    }

    private final Path root;
    private final Duration holdWindow;

    SubmissionIndex(Path ledgerRoot, Duration holdWindow) {
        this.root = ledgerRoot.resolve("submissions");
        this.holdWindow = holdWindow;
    }

    /**
     * Returns the earlier file that this one repeats: another file id with the same municipality, name and SHA-256,
     * stored within the hold window. Returns null when there is none or holding is off.
     */
    Earlier earlier(FileManifest manifest) throws IOException {
        if (holdWindow.isZero()) {
            return null;
        }
        Path entry = entry(manifest);
        if (!Files.exists(entry)) {
            return null;
        }
        List<String> lines = Files.readAllLines(entry, StandardCharsets.UTF_8);
        if (lines.size() < 3 || lines.get(0).equals(manifest.fileId())) {
            return null;
        }
        Instant storedAt = Instant.parse(lines.get(2));
        if (storedAt.isBefore(Instant.now().minus(holdWindow))) {
            return null;
        }
        return new Earlier(lines.get(0), storedAt);
    }

    /**
     * Returns the latest file of the municipality stored under the name within the hold window, whatever its bytes,
     * or null when there is none or holding is off.
     */
    Earlier latestByName(MunicipalityCode code, String fileName) throws IOException {
        Path folder = root.resolve(code.value());
        if (holdWindow.isZero() || !Files.isDirectory(folder)) {
            return null;
        }
        String suffix = "-" + nameDigest(fileName);
        Earlier latest = null;
        try (Stream<Path> entries = Files.list(folder)) {
            for (Path entry : entries.filter(path -> path.getFileName().toString().endsWith(suffix)).toList()) {
                List<String> lines = Files.readAllLines(entry, StandardCharsets.UTF_8);
                if (lines.size() < 3 || !lines.get(1).equals(fileName)) {
                    continue;
                }
                Instant storedAt = Instant.parse(lines.get(2));
                if (!storedAt.isBefore(Instant.now().minus(holdWindow))
                        && (latest == null || storedAt.isAfter(latest.storedAt()))) {
                    latest = new Earlier(lines.get(0), storedAt);
                }
            }
        }
        return latest;
    }

    /** Records a file as the latest one with its name and bytes. */
    void record(FileManifest manifest, Instant storedAt) throws IOException {
        Path entry = entry(manifest);
        AtomicFiles.createDirectories(entry.getParent());
        AtomicFiles.writeAtomically(entry, (manifest.fileId() + "\n" + manifest.fileName() + "\n" + storedAt + "\n")
                .getBytes(StandardCharsets.UTF_8));
    }

    /** Deletes entries older than the hold window; returns how many. */
    int expire() throws IOException {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        Instant limit = Instant.now().minus(holdWindow);
        int removed = 0;
        try (Stream<Path> entries = Files.find(root, 2, (path, attributes) -> attributes.isRegularFile()
                && attributes.lastModifiedTime().toInstant().isBefore(limit))) {
            for (Path entry : entries.toList()) {
                Files.deleteIfExists(entry);
                removed++;
            }
        }
        return removed;
    }

    /** Deletes the temporaries of entries a killed process was writing; call before the index is used. */
    int deleteLeftoverTemporaries() throws IOException {
        return AtomicFiles.deleteLeftoverTemporaries(root, 2);
    }

    private Path entry(FileManifest manifest) {
        MunicipalityCode code = manifest.municipalityCode();
        return root.resolve(code.value()).resolve(manifest.sha256() + "-" + nameDigest(manifest.fileName()));
    }

    private static String nameDigest(String fileName) {
        return FileIds.hex(FileIds.sha256().digest(fileName.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
    }
}
