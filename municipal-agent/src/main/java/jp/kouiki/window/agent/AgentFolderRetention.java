package jp.kouiki.window.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.files.FolderRetention;

/**
 * Deletes what the agent's folders have kept past their retention times. Files in {@code sent/}, {@code error/},
 * {@code cancelled/} (kept as long as {@code error/}) and {@code held/} carry their pickup time in their names ({@code yyyyMMdd-HHmmss-SSS_<name>}, with the receipt or reason
 * beside them named the same way), so they age from that day in Asia/Tokyo. Downloads in {@code inbox/} age from their
 * modification time, which is their arrival, because the agent writes each one anew.
 */
final class AgentFolderRetention {

    private static final Logger LOG = LoggerFactory.getLogger(AgentFolderRetention.class);

    private final AgentSettings settings;
    private final Clock clock;

    /** Creates the retention of the agent's folders, with dates in the clock's zone (Asia/Tokyo in the product). */
    AgentFolderRetention(AgentSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    /** Deletes expired files from every folder with a retention time, logging what it deleted or why it could not. */
    void expire() {
        try {
            int sent = expireDated("sent", settings.sentRetentionDays());
            int error = expireDated("error", settings.retention().errorDays())
                    + expireDated("cancelled", settings.retention().errorDays());
            int held = expireDated("held", settings.retention().heldDays());
            int inbox = expireInbox();
            if (sent + error + held + inbox > 0) {
                LOG.info("Files expired: sent={} error={} held={} inbox={} retentionDays={}/{}/{}/{}", sent, error,
                        held, inbox, settings.sentRetentionDays(), settings.retention().errorDays(),
                        settings.retention().heldDays(), settings.retention().inboxDays());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Expired files could not be deleted, trying again in an hour: error={}", e.toString());
        }
    }

    /** Deletes files below {@code <folder-root>/<folder>/<code>/} whose name dates are older than the retention. */
    int expireDated(String folder, int days) throws IOException {
        if (days == 0) {
            return 0;
        }
        LocalDate keepFrom = LocalDate.now(clock).minusDays(days);
        return FolderRetention.deleteDatedFilesBefore(settings.folderRoot().resolve(folder), keepFrom);
    }

    /**
     * Deletes downloads below {@code inbox/<code>/} not modified within the retention. Names starting with a dot are
     * left alone, because they are the inbox's staging entries and the municipal system's own temporaries.
     */
    int expireInbox() throws IOException {
        int days = settings.retention().inboxDays();
        Path inbox = settings.folderRoot().resolve("inbox");
        if (days == 0 || !Files.isDirectory(inbox)) {
            return 0;
        }
        Instant limit = clock.instant().minus(Duration.ofDays(days));
        int deleted = 0;
        try (Stream<Path> files = Files.find(inbox, 2, (path, attributes) -> attributes.isRegularFile()
                && path.getNameCount() == inbox.getNameCount() + 2
                && !path.getFileName().toString().startsWith("."))) {
            for (Path file : files.toList()) {
                if (Files.getLastModifiedTime(file).toInstant().isBefore(limit) && Files.deleteIfExists(file)) {
                    deleted++;
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return deleted;
    }
}
