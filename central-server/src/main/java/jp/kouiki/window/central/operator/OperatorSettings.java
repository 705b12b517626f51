package jp.kouiki.window.central.operator;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;

import jp.kouiki.window.config.Settings;

/**
 * Settings of the operators' side of the central server: the operator port and its accounts, the transfer history and
 * the alerts, read and checked once at start-up.
 *
 * @param enabled             whether the operator port is opened
 * @param host                address the operator port listens on
 * @param port                operator port, never the window port
 * @param accountsFile        per-person operator accounts with their password hashes
 * @param sessionIdle         idle time after which a signed-in session ends
 * @param sessionMaximum      time after sign-in at which a session ends however active it is
 * @param maxSignInFailures   failed sign-ins in a row after which an account is locked for {@code lockout}
 * @param lockout             how long a locked account refuses every sign-in
 * @param historyRetentionDays days a transfer record and an audit record are kept
 * @param historyQueueCapacity transfer events that may wait for the history writer before the hot path writes itself
 * @param alertOldestFile     age of a municipality's oldest waiting file from which an alert is logged
 * @param alertAgentSilent    time without a window request from an agent after which an alert is logged
 * @param alertCheckInterval  interval between alert checks
 * @param alertRepeat         interval at which an alert that still holds is logged again
 * @param alertMail           SMTP relay that alerts are mailed through, off when its host is blank
 * @param alertSyslog         syslog server that alerts are sent to, off when its host is blank
 */
public record OperatorSettings(
        boolean enabled,
        String host,
        int port,
        Path accountsFile,
        Duration sessionIdle,
        Duration sessionMaximum,
        int maxSignInFailures,
        Duration lockout,
        int historyRetentionDays,
        int historyQueueCapacity,
        Duration alertOldestFile,
        Duration alertAgentSilent,
        Duration alertCheckInterval,
        Duration alertRepeat,
        AlertMail.Settings alertMail,
        AlertSyslog.Settings alertSyslog) {

    /** Reads the operator keys; the operator port must differ from {@code central.window.port}. */
    public static OperatorSettings from(Settings settings) {
        int port = settings.integer("central.operator.port", 1, 65535);
        boolean enabled = settings.flag("central.operator.enabled");
        if (enabled && settings.text("central.window.port").equals(Integer.toString(port))) {
            throw settings.invalid("central.operator.port", Integer.toString(port), "a port other than"
                    + " central.window.port, because the window port serves only /window/v1");
        }
        return new OperatorSettings(
                enabled,
                settings.text("central.operator.host"),
                port,
                settings.path("central.operator.accounts-file").toAbsolutePath(),
                Duration.ofMinutes(settings.integer("central.operator.session-idle-minutes", 1, 24 * 60)),
                Duration.ofHours(settings.integer("central.operator.session-max-hours", 1, 24 * 7)),
                settings.integer("central.operator.max-sign-in-failures", 1, 100),
                Duration.ofMinutes(settings.integer("central.operator.lockout-minutes", 1, 24 * 60)),
                settings.integer("central.history.retention-days", 1, 3650),
                settings.integer("central.history.queue-capacity", 100, 1_000_000),
                Duration.ofMinutes(settings.integer("central.alert.oldest-file-minutes", 1, 7 * 24 * 60)),
                Duration.ofMinutes(settings.integer("central.alert.agent-silent-minutes", 1, 7 * 24 * 60)),
                Duration.ofSeconds(settings.integer("central.alert.check-interval-seconds", 1, 3600)),
                Duration.ofMinutes(settings.integer("central.alert.repeat-minutes", 1, 24 * 60)),
                alertMail(settings),
                alertSyslog(settings));
    }

    private static AlertSyslog.Settings alertSyslog(Settings settings) {
        String protocol = settings.text("central.alert.syslog.protocol");
        org.apache.logging.log4j.core.net.Protocol parsed;
        try {
            parsed = AlertSyslog.protocol(protocol);
        } catch (IllegalArgumentException e) {
            throw settings.invalid("central.alert.syslog.protocol", protocol, "UDP or TCP");
        }
        String facility = settings.text("central.alert.syslog.facility");
        org.apache.logging.log4j.core.net.Facility named;
        try {
            named = org.apache.logging.log4j.core.net.Facility.toFacility(facility.trim());
        } catch (IllegalArgumentException e) {
            named = null;
        }
        if (named == null) {
            throw settings.invalid("central.alert.syslog.facility", facility, "a syslog facility name such as LOCAL0"
                    + " to LOCAL7, DAEMON or USER");
        }
        String appName = settings.text("central.alert.syslog.app-name");
        if (!appName.matches("[!-~]{1,48}")) {
            throw settings.invalid("central.alert.syslog.app-name", appName, "1 to 48 printable ASCII characters"
                    + " without spaces, as RFC 5424 requires of APP-NAME");
        }
        return new AlertSyslog.Settings(settings.text("central.alert.syslog.host", "").trim(),
                settings.integer("central.alert.syslog.port", 1, 65535), parsed, named, appName);
    }

    private static AlertMail.Settings alertMail(Settings settings) {
        String host = settings.text("central.alert.smtp.host", "");
        String from = settings.text("central.alert.smtp.from");
        List<String> to = settings.list("central.alert.smtp.to");
        if (!host.isEmpty()) {
            requireAddress(settings, "central.alert.smtp.from", from);
            if (to.isEmpty()) {
                throw settings.invalid("central.alert.smtp.to", "", "one or more comma-separated mail addresses"
                        + " when central.alert.smtp.host is set");
            }
            to.forEach(address -> requireAddress(settings, "central.alert.smtp.to", address));
        }
        return new AlertMail.Settings(host, settings.integer("central.alert.smtp.port", 1, 65535),
                settings.flag("central.alert.smtp.starttls"), from, List.copyOf(to),
                settings.integer("central.alert.smtp.timeout-ms", 1000, 300_000));
    }

    private static void requireAddress(Settings settings, String key, String address) {
        try {
            new InternetAddress(address, true);
        } catch (AddressException e) {
            throw settings.invalid(key, address, "a mail address such as window-server@kouiki.example.lg.jp");
        }
    }
}
