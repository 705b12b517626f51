package jp.kouiki.window.central.operator;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs alerts that an operator must look at, as WARN lines that start with {@value #PREFIX}: a municipality whose oldest
 * waiting file is older than {@code central.alert.oldest-file-minutes}, an agent silent for longer than {@code
 * central.alert.agent-silent-minutes}, and an expected file missing after its due time. An alert whose condition persists is
 * logged again every {@code central.alert.repeat-minutes}, and an INFO line says when it has cleared. With
 * {@code central.alert.smtp.host} set, each alert line is also mailed, and with {@code central.alert.syslog.host} set, also
 * sent to syslog.
 */
public final class OperatorAlerts {

    public static final String PREFIX = "WINDOW-ALERT";

    private static final Logger LOG = LoggerFactory.getLogger(OperatorAlerts.class);

    private final OperatorViews views;
    private final ExpectedFiles expected;
    private final OperatorSettings settings;
    private final AlertMail mail;
    private final AlertSyslog syslog;
    /** Alert keys that hold, with when each was last logged. */
    private final Map<String, Instant> active = new HashMap<>();
    /** Expected files already reported missing, with the day, so each is reported once a day. */
    private final Set<String> missingReported = new HashSet<>();

    public OperatorAlerts(OperatorViews views, ExpectedFiles expected, OperatorSettings settings, AlertMail mail,
            AlertSyslog syslog) {
        this.views = views;
        this.expected = expected;
        this.settings = settings;
        this.mail = mail;
        this.syslog = syslog;
    }

    /** Checks every municipality once; called on a schedule, never throws. */
    public synchronized void check() {
        try {
            Set<String> holding = new HashSet<>();
            for (MunicipalityStatus status : views.statuses()) {
                oldestFile(status, holding);
                agentSilent(status, holding);
            }
            clearResolved(holding);
            expectedFiles();
        } catch (Exception e) {
            LOG.warn("Alert check failed, trying again at the next check: error={}", e.toString());
        }
    }

    private void oldestFile(MunicipalityStatus status, Set<String> holding) {
        Long age = status.oldestWaitingSeconds();
        if (age == null || age < settings.alertOldestFile().toSeconds()) {
            return;
        }
        String key = "oldest-file/" + status.code();
        holding.add(key);
        if (due(key)) {
            alert("oldest waiting file is " + age / 60 + " min old: municipality=" + status.code() + " name="
                    + status.name() + " file=" + status.oldestWaitingFile() + " waiting=" + status.uploadMessages()
                    + " paused=" + status.paused() + " threshold=" + settings.alertOldestFile().toMinutes()
                    + " min; see the operator page or 'operator why' for the cause");
        }
    }

    private void agentSilent(MunicipalityStatus status, Set<String> holding) {
        Long silent = status.agentSilentSeconds();
        if (silent == null || silent < settings.alertAgentSilent().toSeconds()) {
            return;
        }
        String key = "agent-silent/" + status.code();
        holding.add(key);
        if (due(key)) {
            alert("agent silent for " + silent / 60 + " min: municipality=" + status.code() + " name="
                    + status.name() + " lastSeen=" + status.agentLastSeenAt() + " version=" + status.agentVersion()
                    + " threshold=" + settings.alertAgentSilent().toMinutes() + " min; check the agent at the"
                    + " municipality and its line");
        }
    }

    /** Logs one alert, mails it when a relay is set and sends it to syslog when a server is set. */
    private void alert(String text) {
        LOG.warn("{} {}", PREFIX, text);
        mail.send(PREFIX + " " + text.substring(0, text.indexOf(':')), PREFIX + " " + text + "\n");
        syslog.send(PREFIX + " " + text);
    }

    private boolean due(String key) {
        Instant now = Instant.now();
        Instant last = active.get(key);
        if (last != null && Duration.between(last, now).compareTo(settings.alertRepeat()) < 0) {
            return false;
        }
        active.put(key, now);
        return true;
    }

    private void clearResolved(Set<String> holding) {
        active.keySet().removeIf(key -> {
            if (holding.contains(key)) {
                return false;
            }
            LOG.info("{} cleared: {}", PREFIX, key);
            return true;
        });
    }

    private void expectedFiles() throws Exception {
        ZonedDateTime now = ZonedDateTime.now(Times.TOKYO);
        LocalDate today = now.toLocalDate();
        Instant midnight = Times.startOfToday();
        missingReported.removeIf(key -> !key.startsWith(today + "/"));
        for (ExpectedFiles.Expected file : expected.list()) {
            LocalTime due = ExpectedFiles.dueTime(file.dueTime());
            String key = today + "/" + file.municipality() + "/" + file.ifKind();
            if (now.toLocalTime().isBefore(due) || missingReported.contains(key)) {
                continue;
            }
            if (!views.history().arrivedSince(file.municipality(), file.ifKind(), midnight)) {
                missingReported.add(key);
                alert("expected file missing: municipality=" + file.municipality() + " ifKind=" + file.ifKind()
                        + " due=" + file.dueTime() + " (Asia/Tokyo) declaredBy=" + file.createdBy() + "; no file of"
                        + " this kind has been announced today");
            }
        }
    }
}
