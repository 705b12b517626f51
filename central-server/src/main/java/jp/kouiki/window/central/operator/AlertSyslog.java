package jp.kouiki.window.central.operator;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.appender.SyslogAppender;
import org.apache.logging.log4j.core.config.DefaultConfiguration;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.core.net.Facility;
import org.apache.logging.log4j.core.net.Protocol;
import org.apache.logging.log4j.message.SimpleMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each alert line to a syslog server in the RFC 5424 format with severity warning, through log4j's own Syslog
 * appender over UDP or TCP (one message per line, ended by a line feed). The appender is private to this class, so
 * the process's log configuration stays as it is. Messages go out on one background thread; at most
 * {@value #MAX_QUEUED} wait, and a message that cannot be sent leaves the alert in the log only, with a WARN.
 */
public final class AlertSyslog implements AutoCloseable {

    /** Syslog settings; a blank host turns syslog off. */
    public record Settings(String host, int port, Protocol protocol, Facility facility, String appName) {

        public boolean enabled() {
            return !host.isBlank();
        }
    }

    static final int MAX_QUEUED = 100;
    /** MSGID field of every message, which a syslog server can select alerts by. */
    static final String MESSAGE_ID = "WINDOW-ALERT";

    private static final Logger LOG = LoggerFactory.getLogger(AlertSyslog.class);
    private static final int CONNECT_TIMEOUT_MILLIS = 10_000;
    private static final int RECONNECT_DELAY_MILLIS = 30_000;

    private final Settings settings;
    private final SyslogAppender appender;
    private final ExecutorService sender;

    public AlertSyslog(Settings settings) {
        this.settings = settings;
        if (!settings.enabled()) {
            this.appender = null;
            this.sender = null;
            return;
        }
        this.appender = SyslogAppender.newSyslogAppenderBuilder()
                .setName("window-alert-syslog")
                .setConfiguration(new DefaultConfiguration())
                .setHost(settings.host())
                .setPort(settings.port())
                .setProtocol(settings.protocol())
                .setConnectTimeoutMillis(CONNECT_TIMEOUT_MILLIS)
                .setReconnectDelayMillis(RECONNECT_DELAY_MILLIS)
                .setImmediateFail(true)
                .setIgnoreExceptions(false)
                .setFormat("RFC5424")
                .setFacility(settings.facility())
                .setAppName(settings.appName())
                .setMsgId(MESSAGE_ID)
                .setNewLine(settings.protocol() == Protocol.TCP)
                .setCharsetName(StandardCharsets.UTF_8)
                .build();
        if (appender == null) {
            throw new IllegalStateException("log4j could not create a syslog appender for " + settings.protocol()
                    + " " + settings.host() + ":" + settings.port() + "; see the log4j status lines before this");
        }
        appender.start();
        this.sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(MAX_QUEUED),
                runnable -> {
                    Thread thread = new Thread(runnable, "alert-syslog");
                    thread.setDaemon(true);
                    return thread;
                });
        LOG.info("Alerts also go to syslog: server={}:{} protocol={} facility={}", settings.host(), settings.port(),
                settings.protocol(), settings.facility());
    }

    /** Queues one alert line; does nothing when syslog is off. */
    public void send(String line) {
        if (appender == null) {
            return;
        }
        try {
            sender.execute(() -> deliver(line));
        } catch (RejectedExecutionException e) {
            LOG.warn("Alert not sent to syslog, {} messages already wait: server={}:{}", MAX_QUEUED, settings.host(),
                    settings.port());
        }
    }

    private void deliver(String line) {
        LogEvent event = Log4jLogEvent.newBuilder()
                .setLoggerName(OperatorAlerts.class.getName())
                .setLevel(Level.WARN)
                .setMessage(new SimpleMessage(line))
                .setTimeMillis(System.currentTimeMillis())
                .build();
        try {
            appender.append(event);
        } catch (RuntimeException e) {
            LOG.warn("Alert could not be sent to syslog, it is in this log only: server={}:{} protocol={} error={}",
                    settings.host(), settings.port(), settings.protocol(), e.toString());
        }
    }

    /** Parses a protocol setting, UDP or TCP in any case. */
    static Protocol protocol(String value) {
        String upper = value.trim().toUpperCase(Locale.ROOT);
        if (!upper.equals("UDP") && !upper.equals("TCP")) {
            throw new IllegalArgumentException(value);
        }
        return Protocol.valueOf(upper);
    }

    /** Sends what is queued, waiting at most 30 s, then closes the connection. */
    @Override
    public void close() throws InterruptedException {
        if (appender == null) {
            return;
        }
        sender.shutdown();
        if (!sender.awaitTermination(30, TimeUnit.SECONDS)) {
            sender.shutdownNow();
        }
        appender.stop(5, TimeUnit.SECONDS);
    }
}
