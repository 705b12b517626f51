package jp.kouiki.window.central;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import jp.kouiki.window.central.operator.DownloadOperations;
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

    /** The first line of refusal records written since file names were kept, before the reason. */
    private static final String FILE_LINE = "file: ";

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
        AtomicFiles.writeAtomically(folder.resolve(manifest.fileId()), (FILE_LINE + manifest.fileName() + "\n"
                + reason).getBytes(StandardCharsets.UTF_8));
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
                    refusal(Files.readString(refused, StandardCharsets.UTF_8))[1]);
        }
        return null;
    }

    /**
     * Returns the municipality's most recent records, newest first, at most {@code limit}: the downloads its agent
     * received, and those refused by the agent or withdrawn by an operator.
     */
    List<DownloadOperations.Recorded> recent(MunicipalityCode code, int limit) throws IOException {
        List<Path> entries = new ArrayList<>();
        for (Path root : List.of(acknowledgedRoot, refusedRoot)) {
            Path folder = root.resolve(code.value());
            if (Files.isDirectory(folder)) {
                try (Stream<Path> files = Files.list(folder)) {
                    files.filter(file -> !file.getFileName().toString().startsWith(".")).forEach(entries::add);
                }
            }
        }
        Map<Path, Instant> modified = new HashMap<>();
        for (Path entry : entries) {
            modified.put(entry, Files.getLastModifiedTime(entry).toInstant());
        }
        entries.sort(Comparator.comparing(modified::get).reversed());
        List<DownloadOperations.Recorded> recent = new ArrayList<>();
        for (Path entry : entries.subList(0, Math.min(limit, entries.size()))) {
            String fileId = entry.getFileName().toString();
            List<String> lines = Files.readAllLines(entry, StandardCharsets.UTF_8);
            if (entry.startsWith(acknowledgedRoot)) {
                recent.add(new DownloadOperations.Recorded(fileId, lines.isEmpty() ? null : lines.get(0),
                        lines.size() > 1 ? Long.parseLong(lines.get(1)) : null, "received", modified.get(entry), null));
            } else {
                String[] refusal = refusal(String.join("\n", lines));
                recent.add(new DownloadOperations.Recorded(fileId, refusal[0], null, "refused", modified.get(entry),
                        refusal[1]));
            }
        }
        return recent;
    }

    /** Splits a refusal record into its file name (null in records without one) and its reason. */
    private static String[] refusal(String text) {
        if (!text.startsWith(FILE_LINE)) {
            return new String[] {null, text};
        }
        int end = text.indexOf('\n');
        return end < 0 ? new String[] {text.substring(FILE_LINE.length()), ""}
                : new String[] {text.substring(FILE_LINE.length(), end), text.substring(end + 1)};
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
