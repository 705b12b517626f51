package jp.kouiki.window.central.operator;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.camel.CamelContext;
import org.apache.camel.component.jetty12.JettyHttpComponent12;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.central.CentralSettings;
import jp.kouiki.window.central.JsonErrorHandler;
import jp.kouiki.window.municipality.Municipality;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.TlsMaterial;

/**
 * The operators' side of the central server: the operator port, the transfer history, pause flags, agent contacts,
 * metrics and alerts. Pause flags and agent contacts work from start-up. The history, and with it the operator API,
 * opens when the node becomes active, because only the active node of a pair may open the shared database.
 */
public final class OperatorService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OperatorService.class);
    private static final Duration CONTACT_SAVE_INTERVAL = Duration.ofSeconds(30);
    /** Maximum time that the hourly compaction waits for the history connections in use to close. */
    private static final Duration COMPACT_WAIT = Duration.ofSeconds(10);

    private final CentralSettings settings;
    private final OperatorSettings operator;
    private final WindowBroker broker;
    private final PrometheusMeterRegistry metrics;
    private final Runnable wakeDelivery;
    private final PauseFlags pauses;
    private final AgentContacts contacts = new AgentContacts();
    private final Cancellations cancellations;
    private volatile UploadCancellation uploads;
    private volatile DownloadOperations downloads;
    private Supplier<List<String>> acceptedAgentVersions = List::of;
    private Supplier<AgentVersions.CentralNode> centralNode;
    private final ForwardingEvents events = new ForwardingEvents();
    private final AlertMail mail;
    private final AlertSyslog syslog;
    private volatile OperatorRequests.Components components;
    private HistoryDatabase database;
    private HistoryWriter writer;
    private volatile Supplier<List<Municipality>> served;

    public OperatorService(CentralSettings settings, WindowBroker broker, PrometheusMeterRegistry metrics,
            Runnable wakeDelivery) {
        this.settings = settings;
        this.operator = settings.operator();
        this.broker = broker;
        this.metrics = metrics;
        this.wakeDelivery = wakeDelivery;
        this.pauses = new PauseFlags(settings.dataDirectory());
        this.cancellations = new Cancellations(settings.dataDirectory());
        this.mail = new AlertMail(operator.alertMail());
        this.syslog = new AlertSyslog(operator.alertSyslog());
        this.served = settings::municipalities;
    }

    /** Adds the operator port's Jetty component and route, unless the operator port is turned off. */
    public void addRoutes(CamelContext camel, KeyMaterialLayout keys) throws Exception {
        if (!operator.enabled()) {
            LOG.info("Operator port is off (central.operator.enabled=false)");
            return;
        }
        JettyHttpComponent12 jetty = new JettyHttpComponent12();
        jetty.setErrorHandler(new JsonErrorHandler());
        jetty.setSslContextParameters(TlsMaterial.serverParametersWithoutClientCertificate(keys.serverKeystore(),
                keys.truststore()));
        jetty.setMaxThreads(16);
        jetty.setMinThreads(2);
        jetty.setUseContinuation(false);
        jetty.setSendServerVersion(false);
        camel.addComponent(OperatorRoute.JETTY_COMPONENT, jetty);
        camel.addRoutes(new OperatorRoute(operator, new OperatorRequests(() -> components)));
    }

    /**
     * Opens the history and starts the operator API, metrics, alerts and housekeeping on the scheduler. Called once,
     * when the node becomes active and before delivery starts.
     */
    public void activate(ScheduledExecutorService scheduler, HistoryReconciler.Ledger ledger)
            throws IOException, SQLException {
        database = HistoryDatabase.open(settings.dataDirectory().resolve("history"));
        contacts.load(database);
        TransferHistory history = new TransferHistory(database);
        HistoryReconciler.reconcile(history, ledger, settings.codes(), settings.ledgerRetentionDays());
        writer = new HistoryWriter(database, history, metrics, operator.historyQueueCapacity());
        events.target = writer;
        AuditLog audit = new AuditLog(database);
        OperatorAccounts accounts = new OperatorAccounts(operator.accountsFile());
        BrokerView view = new BrokerView(broker);
        AgentVersions versions = new AgentVersions(served, contacts, acceptedAgentVersions, centralNode);
        OperatorViews views = new OperatorViews(settings, view, pauses, history, contacts, served, versions);
        ExpectedFiles expected = new ExpectedFiles(database);
        OperatorAlerts alerts = new OperatorAlerts(views, expected, operator, mail, syslog);
        registerGauges();
        components = new OperatorRequests.Components(new OperatorAuthentication(accounts, operator, audit), views,
                new StuckReasons(views, operator.alertAgentSilent(), code -> settings.downloads().releaseSchedules()
                        .heldFiles(settings.outboundRoot(), code.value())),
                new OperatorActions(pauses, view, audit, writer, wakeDelivery,
                        new CancelAction(cancellations, uploads, downloads, view, audit)), history, audit, expected,
                metrics::scrape, cancellations, downloads);
        long checkSeconds = operator.alertCheckInterval().toSeconds();
        scheduler.scheduleWithFixedDelay(alerts::check, checkSeconds, checkSeconds, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(() -> contacts.save(database), CONTACT_SAVE_INTERVAL.toSeconds(),
                CONTACT_SAVE_INTERVAL.toSeconds(), TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(this::expireHistory, 1, 60, TimeUnit.MINUTES);
        scheduler.scheduleWithFixedDelay(this::expireCancellations, 1, 60, TimeUnit.MINUTES);
        if (accounts.size() == 0 && operator.enabled()) {
            LOG.warn("No operator accounts in {}: every sign-in on the operator port fails until one is created with"
                    + " OperatorCommand accounts add", operator.accountsFile());
        }
        if (operator.enabled()) {
            LOG.info("Operator port ready: url=https://{}:{}/operator/ history={} accounts={} paused={}",
                    operator.host(), operator.port(), settings.dataDirectory().resolve("history"), accounts.size(),
                    pauses.pauses().size());
        } else {
            LOG.info("Operator services ready without their port: history={} paused={}",
                    settings.dataDirectory().resolve("history"), pauses.pauses().size());
        }
    }

    /**
     * Sets where the operator views read the municipalities served now, for a server whose municipality list a reload
     * changes. Without it they list the municipalities of the settings.
     */
    public void servedBy(Supplier<List<Municipality>> served) {
        this.served = served;
    }

    /** Registers the metrics of a municipality that a reload of the municipality list added. */
    public void municipalityAdded(MunicipalityCode code) {
        if (database != null) {
            registerGauges(List.of(code));
        }
    }

    private void registerGauges() {
        registerGauges(settings.codes());
    }

    private void registerGauges(List<MunicipalityCode> codes) {
        for (MunicipalityCode code : codes) {
            gauge(code, "upload", QueueNames.upload(code));
            gauge(code, "download", QueueNames.download(code));
            gauge(code, "dead-letter", QueueNames.deadLetter(code));
            Gauge.builder("window.municipality.paused", pauses, flags -> flags.isPaused(code) ? 1 : 0)
                    .description("1 while an operator has paused the municipality's delivery")
                    .tag("municipality", code.value())
                    .register(metrics);
        }
    }

    private void gauge(MunicipalityCode code, String direction, String queue) {
        Gauge.builder("window.queue.messages", broker, b -> b.isActive() ? b.messageCount(queue) : Double.NaN)
                .description("messages waiting in a municipality's queue")
                .tag("municipality", code.value())
                .tag("queue", direction)
                .register(metrics);
    }

    private void expireHistory() {
        try {
            int removed = database.expire(operator.historyRetentionDays());
            if (removed > 0) {
                LOG.info("Transfer history expired: records={} retentionDays={}", removed,
                        operator.historyRetentionDays());
            }
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Transfer history expiry failed, trying again in an hour: error={}", e.toString());
        }
        try {
            database.compactIfGrown(COMPACT_WAIT);
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Transfer history compaction failed, trying again in an hour: error={}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void expireCancellations() {
        try {
            int removed = cancellations.expire(operator.historyRetentionDays());
            if (removed > 0) {
                LOG.info("Cancellations expired: records={} retentionDays={}", removed,
                        operator.historyRetentionDays());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Cancellation expiry failed, trying again in an hour: error={}", e.toString());
        }
    }

    /** Transfer events for the window endpoint and the delivery; dropped until the history is open. */
    public TransferEvents events() {
        return events;
    }

    public PauseFlags pauses() {
        return pauses;
    }

    public Cancellations cancellations() {
        return cancellations;
    }

    /** Sets the window endpoint's side of cancellations; call before {@link #activate}. */
    public void setUploadCancellation(UploadCancellation uploads) {
        this.uploads = uploads;
    }

    /** Sets the window endpoint's side of listing and withdrawing downloads; call before {@link #activate}. */
    public void setDownloadOperations(DownloadOperations downloads) {
        this.downloads = downloads;
    }

    /**
     * Sets where the accepted agent versions in force and this node's version and digest come from; call before
     * {@link #activate}.
     */
    public void setVersions(Supplier<List<String>> acceptedAgentVersions,
            Supplier<AgentVersions.CentralNode> centralNode) {
        this.acceptedAgentVersions = acceptedAgentVersions;
        this.centralNode = centralNode;
    }

    public AgentContacts agentContacts() {
        return contacts;
    }

    /** Writes what the history writer still holds; for tests that read the history right after a step. */
    public boolean flushHistory(Duration timeout) throws InterruptedException {
        return writer == null || writer.flush(timeout);
    }

    @Override
    public void close() throws InterruptedException {
        components = null;
        mail.close();
        syslog.close();
        if (writer != null) {
            writer.close();
        }
        if (database != null) {
            contacts.save(database);
            database.close();
        }
    }

    /** Passes events to the history writer once it exists. */
    private static final class ForwardingEvents implements TransferEvents {
        private volatile TransferEvents target = TransferEvents.NONE;

        @Override
        public void announced(jp.kouiki.window.transfer.FileManifest manifest) {
            target.announced(manifest);
        }

        @Override
        public void held(jp.kouiki.window.transfer.FileManifest manifest, String reason) {
            target.held(manifest, reason);
        }

        @Override
        public void stored(jp.kouiki.window.transfer.FileManifest manifest) {
            target.stored(manifest);
        }

        @Override
        public void waiting(MunicipalityCode code, String fileId, String fileName) {
            target.waiting(code, fileId, fileName);
        }

        @Override
        public void delivered(MunicipalityCode code, String fileId, String fileName, long size) {
            target.delivered(code, fileId, fileName, size);
        }

        @Override
        public void rejected(jp.kouiki.window.transfer.FileManifest manifest, String reason) {
            target.rejected(manifest, reason);
        }

        @Override
        public void rejected(MunicipalityCode code, String fileId, String fileName, String reason) {
            target.rejected(code, fileId, fileName, reason);
        }

        @Override
        public void cancelled(jp.kouiki.window.transfer.FileManifest manifest, String reason) {
            target.cancelled(manifest, reason);
        }

        @Override
        public void cancelled(MunicipalityCode code, String fileId, String fileName, String reason) {
            target.cancelled(code, fileId, fileName, reason);
        }
    }
}
