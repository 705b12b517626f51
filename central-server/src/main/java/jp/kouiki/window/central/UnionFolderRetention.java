package jp.kouiki.window.central;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.files.FolderRetention;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Deletes what the union's folders have kept past their retention times: reason files in {@code rejected/<code>/},
 * which carry their day in their names, and files left in the {@code .part/} staging folders of
 * {@code inbound/<code>/} that no pending delivery owns. A staged file is left only when its queue message is gone,
 * for example after an operator removed it. While the message exists, every delivery attempt writes the file anew.
 */
final class UnionFolderRetention {

    private static final Logger LOG = LoggerFactory.getLogger(UnionFolderRetention.class);
    private static final String EXPIRED_PREFIX = ".expired-";

    private final CentralSettings settings;
    private final Supplier<List<MunicipalityCode>> served;
    private final DeliveryLedger ledger;
    private final Clock clock;

    /** Creates the retention of the union's folders, with dates in the clock's zone (Asia/Tokyo in the product). */
    UnionFolderRetention(CentralSettings settings, DeliveryLedger ledger, Clock clock) {
        this(settings, settings::codes, ledger, clock);
    }

    /** Creates the retention for the municipalities that {@code served} returns at each run. */
    UnionFolderRetention(CentralSettings settings, Supplier<List<MunicipalityCode>> served, DeliveryLedger ledger,
            Clock clock) {
        this.served = served;
        this.settings = settings;
        this.ledger = ledger;
        this.clock = clock;
    }

    /** Deletes expired files, logging what it deleted or why it could not. */
    void expire() {
        try {
            int reasons = expireRejectedReasons();
            int staged = expireStaging();
            if (reasons + staged > 0) {
                LOG.info("Union folder files expired: rejectedReasons={} stagedFiles={} retentionDays={}/{}", reasons,
                        staged, settings.rejectedRetentionDays(), settings.stagingRetentionDays());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Expired union folder files could not be deleted, trying again in an hour: error={}",
                    e.toString());
        }
    }

    /** Deletes reason files of {@code rejected/<code>/} dated before the retention. */
    int expireRejectedReasons() throws IOException {
        int days = settings.rejectedRetentionDays();
        if (days == 0) {
            return 0;
        }
        LocalDate keepFrom = LocalDate.now(clock).minusDays(days);
        return FolderRetention.deleteDatedFilesBefore(settings.unionRoot().resolve("rejected"), keepFrom);
    }

    /**
     * Deletes staged files of served municipalities that were not modified within the retention and have no pending
     * delivery. Each is first renamed out of the way and checked again, so that a delivery that starts writing the
     * same file meanwhile fails its fsync and is retried from the queue instead of finding its file gone.
     */
    int expireStaging() throws IOException {
        int days = settings.stagingRetentionDays();
        if (days == 0) {
            return 0;
        }
        Instant limit = clock.instant().minus(Duration.ofDays(days));
        int deleted = 0;
        for (MunicipalityCode code : served.get()) {
            Path staging = settings.inbound(code).resolve(".part");
            for (Path part : stagedFiles(staging)) {
                if (part.getFileName().toString().startsWith(EXPIRED_PREFIX)) {
                    deleted += finishInterrupted(part, limit, code);
                } else if (isStale(part, limit, pendingFileIds(code))) {
                    deleted += deleteStale(part, limit, code);
                }
            }
        }
        return deleted;
    }

    private int deleteStale(Path part, Instant limit, MunicipalityCode code) throws IOException {
        Path moved = part.resolveSibling(EXPIRED_PREFIX + part.getFileName());
        Files.move(part, moved, StandardCopyOption.ATOMIC_MOVE);
        if (isStale(moved, limit, pendingFileIds(code))) {
            Files.delete(moved);
            return 1;
        }
        Files.move(moved, part, StandardCopyOption.ATOMIC_MOVE);
        return 0;
    }

    /**
     * Finishes an expiry that a stop interrupted after the rename: puts the file back when a delivery now owns it,
     * deletes it when it is still stale.
     */
    private int finishInterrupted(Path moved, Instant limit, MunicipalityCode code) throws IOException {
        Path part = moved.resolveSibling(moved.getFileName().toString().substring(EXPIRED_PREFIX.length()));
        if (pendingFileIds(code).contains(fileId(moved)) && !Files.exists(part)) {
            Files.move(moved, part, StandardCopyOption.ATOMIC_MOVE);
            return 0;
        }
        if (isStale(moved, limit, pendingFileIds(code))) {
            Files.delete(moved);
            return 1;
        }
        return 0;
    }

    private static String fileId(Path part) {
        String name = part.getFileName().toString();
        if (name.startsWith(EXPIRED_PREFIX)) {
            name = name.substring(EXPIRED_PREFIX.length());
        }
        return name.substring(0, name.length() - ".part".length());
    }

    private boolean isStale(Path part, Instant limit, Set<String> pending) throws IOException {
        return !pending.contains(fileId(part)) && Files.getLastModifiedTime(part).toInstant().isBefore(limit);
    }

    private Set<String> pendingFileIds(MunicipalityCode code) throws IOException {
        Set<String> fileIds = new HashSet<>();
        for (DeliveryLedger.Pending pending : ledger.pending()) {
            if (pending.code().equals(code)) {
                fileIds.add(pending.fileId());
            }
        }
        return fileIds;
    }

    /** Lists the staged files, and files that an interrupted expiry left renamed, so that they are finished too. */
    private static List<Path> stagedFiles(Path staging) throws IOException {
        if (!Files.isDirectory(staging)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(staging)) {
            return files.filter(Files::isRegularFile)
                    .filter(path -> path.getFileName().toString().endsWith(".part"))
                    .toList();
        }
    }
}
