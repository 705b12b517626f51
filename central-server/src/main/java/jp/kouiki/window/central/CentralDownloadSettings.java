package jp.kouiki.window.central;

import java.io.IOException;
import java.time.Clock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.config.Settings;

/**
 * Settings of the download direction (union to municipalities) and of the reports the central server writes for the
 * union's batch jobs, read and checked once at start-up.
 *
 * @param doneMarkerPickup    whether a file in {@code union/outbound/} waits for a {@code <name>.done} marker
 * @param quietPeriodMillis   in quiet-period mode, time a file must stay unchanged before pickup, in ms
 * @param pollIntervalMillis  interval between scans of {@code union/outbound/}, in ms
 * @param longPollMaxMillis   longest time a {@code downloads/next} request waits for a file, in ms, at most half the
 *                            window endpoint's idle timeout; 0 returns at once
 * @param maxWaitingPolls     long-polls that may wait at once over all municipalities; more get their response at once
 * @param inboundDoneMarkers  whether a {@code <name>.done} marker is written beside each file delivered to
 *                            {@code union/inbound/<code>/}
 * @param dailyManifests      whether each delivered file is listed in {@code union/manifests/<yyyyMMdd>/<kind>.csv}
 * @param releaseSchedules    schedules that hold outbound files in {@code union/outbound/} until their window opens
 */
public record CentralDownloadSettings(
        boolean doneMarkerPickup,
        long quietPeriodMillis,
        long pollIntervalMillis,
        long longPollMaxMillis,
        int maxWaitingPolls,
        boolean inboundDoneMarkers,
        boolean dailyManifests,
        OutboundSchedules releaseSchedules) {

    private static final Logger LOG = LoggerFactory.getLogger(CentralDownloadSettings.class);

    /**
     * Reads the settings. A long-poll must end well before the window endpoint's idle timeout drops the silent
     * connection, so its wait is capped at half that timeout.
     */
    static CentralDownloadSettings from(Settings settings, long idleTimeoutMillis) throws IOException {
        String mode = settings.text("central.outbound.pickup.mode");
        if (!mode.equals("quiet-period") && !mode.equals("done-marker")) {
            throw settings.invalid("central.outbound.pickup.mode", mode, "quiet-period or done-marker");
        }
        long longPoll = settings.number("central.download.long-poll-max-ms", 0, 600_000);
        if (longPoll > idleTimeoutMillis / 2) {
            LOG.info("Download long-poll capped at half the idle timeout: central.download.long-poll-max-ms={}"
                    + " central.window.idle-timeout-ms={} effectiveMs={}", longPoll, idleTimeoutMillis,
                    idleTimeoutMillis / 2);
            longPoll = idleTimeoutMillis / 2;
        }
        return new CentralDownloadSettings(
                mode.equals("done-marker"),
                settings.number("central.outbound.pickup.quiet-period-ms", 0, 3_600_000),
                settings.number("central.outbound.poll-interval-ms", 10, 600_000),
                longPoll,
                settings.integer("central.download.max-waiting-polls", 1, 100_000),
                settings.flag("central.inbound.done-markers"),
                settings.flag("central.inbound.daily-manifests"),
                OutboundSchedules.from(settings, Clock.systemUTC()));
    }
}
