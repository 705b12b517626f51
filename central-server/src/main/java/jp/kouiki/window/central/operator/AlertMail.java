package jp.kouiki.window.central.operator;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends each alert as a plain-text mail through the union's SMTP relay (Jakarta Mail, Eclipse Angus), on one
 * background thread so that a slow relay never holds up the alert check. At most {@value #MAX_QUEUED} mails wait;
 * beyond that, and when sending fails, the alert stays in the log only, with a WARN.
 *
 * <p>TODO: SMTP authentication is not built; a relay that requires a login cannot be used yet.
 */
public final class AlertMail implements AutoCloseable {

    /** SMTP relay settings; a blank host turns mail off. */
    public record Settings(String host, int port, boolean startTls, String from, List<String> to,
            int timeoutMillis) {

        public boolean enabled() {
            return !host.isBlank();
        }
    }

    static final int MAX_QUEUED = 100;

    private static final Logger LOG = LoggerFactory.getLogger(AlertMail.class);

    private final Settings settings;
    private final Session session;
    private final ExecutorService sender;

    public AlertMail(Settings settings) {
        this.settings = settings;
        Properties properties = new Properties();
        properties.setProperty("mail.smtp.host", settings.host());
        properties.setProperty("mail.smtp.port", Integer.toString(settings.port()));
        properties.setProperty("mail.smtp.connectiontimeout", Integer.toString(settings.timeoutMillis()));
        properties.setProperty("mail.smtp.timeout", Integer.toString(settings.timeoutMillis()));
        properties.setProperty("mail.smtp.writetimeout", Integer.toString(settings.timeoutMillis()));
        if (settings.startTls()) {
            properties.setProperty("mail.smtp.starttls.enable", "true");
            properties.setProperty("mail.smtp.starttls.required", "true");
            properties.setProperty("mail.smtp.ssl.checkserveridentity", "true");
        }
        this.session = Session.getInstance(properties);
        this.sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(MAX_QUEUED),
                runnable -> {
                    Thread thread = new Thread(runnable, "alert-mail");
                    thread.setDaemon(true);
                    return thread;
                });
    }

    /** Queues one alert mail; does nothing when mail is off. */
    public void send(String subject, String text) {
        if (!settings.enabled()) {
            return;
        }
        try {
            sender.execute(() -> deliver(subject, text));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.warn("Alert mail dropped, {} mails already wait for the SMTP relay: subject={}", MAX_QUEUED, subject);
        }
    }

    private void deliver(String subject, String text) {
        try {
            MimeMessage message = new MimeMessage(session);
            message.setFrom(new InternetAddress(settings.from(), true));
            for (String recipient : settings.to()) {
                message.addRecipient(Message.RecipientType.TO, new InternetAddress(recipient, true));
            }
            message.setSubject(subject, StandardCharsets.UTF_8.name());
            message.setText(text, StandardCharsets.UTF_8.name());
            Transport.send(message);
        } catch (MessagingException | RuntimeException e) {
            LOG.warn("Alert mail could not be sent, the alert is in this log only: relay={}:{} subject={} error={}",
                    settings.host(), settings.port(), subject, e.toString());
        }
    }

    /** Sends what is queued, waiting at most 30 s, then stops. */
    @Override
    public void close() throws InterruptedException {
        sender.shutdown();
        if (!sender.awaitTermination(30, TimeUnit.SECONDS)) {
            sender.shutdownNow();
        }
    }
}
