package jp.kouiki.window.central;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.camel.CamelContext;
import org.apache.camel.component.jetty12.JettyHttpComponent12;
import org.apache.camel.impl.DefaultCamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import jp.kouiki.window.broker.BrokerSettings;
import jp.kouiki.window.broker.HaRole;
import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.central.operator.AgentVersions;
import jp.kouiki.window.central.operator.HistoryReconciler;
import jp.kouiki.window.central.operator.OperatorService;
import jp.kouiki.window.config.ConfigurationCheck;
import jp.kouiki.window.config.ProductVersion;
import jp.kouiki.window.config.ServiceMain;
import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.files.MisplacedFiles;
import jp.kouiki.window.municipality.Municipality;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.queue.QueueDrainer;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.SigningKeyRing;
import jp.kouiki.window.security.SigningKeys;
import jp.kouiki.window.security.TlsMaterial;

/**
 * The central window server: authenticates municipalities on the HTTPS window endpoint, keeps their files in
 * per-municipality queues of an embedded broker, and delivers them into the union's inbound folders. In the other
 * direction it queues the union's outbound files, encrypted per municipality, until each municipality's agent has
 * downloaded and acknowledged them.
 */
public final class CentralServer implements ServiceMain.Service {

    private static final Logger LOG = LoggerFactory.getLogger(CentralServer.class);
    /** Interval between the checks for files in the union's outbound folder that the pickup never takes. */
    private static final long MISPLACED_CHECK_SECONDS = 60;

    /** This server's product version, from the build. */
    public static final String VERSION = ProductVersion.read("/central-version.properties");

    private final CentralSettings settings;
    private final AcceptedAgentVersions acceptedAgentVersions;
    private WindowBroker broker;
    private CamelContext camel;
    private QueueDrainer delivery;
    private ScheduledExecutorService sweeper;
    private DeliveryLedger ledger;
    private UnionDelivery unionDelivery;
    private SubmissionIndex submissions;
    private UploadStore store;
    private volatile boolean active;
    private boolean closed;
    private Runnable onActivationFailure;
    private DownloadLedger downloadLedger;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private OperatorService operator;
    private MunicipalityRoster roster;
    /** Each municipality served since start-up, by code, for the names that the operator views show. */
    private final Map<MunicipalityCode, Municipality> municipalities = new java.util.concurrent.ConcurrentHashMap<>();
    private SigningKeyRing signingKeys;
    private PayloadCipher cipher;
    private Path configurationFile;
    private FileTime configurationModified;

    public CentralServer(CentralSettings settings) {
        this.settings = settings;
        this.acceptedAgentVersions = new AcceptedAgentVersions(settings.acceptedAgentVersions(),
                settings.admission().capsFile());
    }

    public CentralServer start() throws Exception {
        long started = System.nanoTime();
        KeyMaterialLayout keys = new KeyMaterialLayout(settings.keysDirectory());
        signingKeys = new SigningKeyRing(keys, WindowRoute.signatureProvider());
        roster = new MunicipalityRoster(settings.codes());
        settings.municipalities().forEach(municipality -> municipalities.put(municipality.code(), municipality));
        for (MunicipalityCode code : settings.codes()) {
            signingKeys.require(code);
            if (!settings.remoteUnionDelivery()) {
                AtomicFiles.createDirectories(settings.inbound(code));
                AtomicFiles.createDirectories(settings.outboundRoot().resolve(code.value()));
            }
        }
        // With remote union folders the union's agent signs and encrypts the union's files; the server keeps no key
        // that signs for the union.
        PrivateKey unionSigningKey = null;
        if (!settings.remoteUnionDelivery()) {
            AtomicFiles.createDirectories(settings.outboundRoot().resolve(CentralSettings.BROADCAST_FOLDER));
            unionSigningKey = SigningKeys.readPrivateKey(keys.unionSigningPrivateKey());
        }
        broker = new WindowBroker(new BrokerSettings(settings.dataDirectory().resolve("broker"),
                settings.brokerInVmId(), settings.codes(), true, settings.journalType(),
                10L * 1024 * 1024, 10, 0, BrokerSettings.DEFAULT_ID_CACHE_SIZE,
                settings.brokerMaxDiskUsagePercent()), settings.haRole()).start();

        cipher = new PayloadCipher(keys::encryptionKeyset);
        for (MunicipalityCode code : settings.codes()) {
            cipher.requireKeyset(code);
        }
        ledger = new DeliveryLedger(settings.dataDirectory().resolve("ledger"));
        unionDelivery = new UnionDelivery(settings, cipher, ledger, metrics, new InboundReports(settings));
        Map<MunicipalityCode, String> queues = new LinkedHashMap<>();
        settings.codes().forEach(code -> queues.put(code, QueueNames.upload(code)));
        delivery = new QueueDrainer("delivery", broker, queues, unionDelivery, settings.deliveryWorkers(),
                settings.pollIntervalMillis()).withMaxHandlerFailures(5);
        operator = new OperatorService(settings, broker, metrics, delivery::wakeUp);
        operator.servedBy(this::servedMunicipalityDetails);
        operator.setVersions(acceptedAgentVersions::versions,
                () -> new AgentVersions.CentralNode(VERSION, settings.configDigest(), role(), active));
        delivery.withPause(operator.pauses()::isPaused);
        unionDelivery.setTransferEvents(operator.events());
        submissions = new SubmissionIndex(settings.dataDirectory().resolve("ledger"),
                Duration.ofDays(settings.resubmissionHoldDays()));
        store = new UploadStore(settings.dataDirectory(), broker, delivery::wakeUp, submissions, ledger);
        store.setTransferEvents(operator.events());
        store.setCancellations(operator.cancellations());
        operator.setUploadCancellation(store);

        camel = new DefaultCamelContext();
        camel.setStreamCaching(false);
        JettyHttpComponent12 jetty = new WindowJettyComponent();
        jetty.setSslContextParameters(TlsMaterial.serverParameters(keys.serverKeystore(), keys.truststore()));
        jetty.setMaxThreads(settings.maxThreads());
        jetty.setMinThreads(4);
        jetty.setUseContinuation(false);
        jetty.setSendServerVersion(false);
        camel.addComponent(WindowRoute.JETTY_COMPONENT, jetty);
        CallerIdentity identity = new CallerIdentity(settings.acceleratorFingerprints(),
                settings.clientCertificateHeader(), TlsMaterial.loadPkcs12(keys.truststore()));
        DownloadSignals signals = new DownloadSignals();
        downloadLedger = new DownloadLedger(settings.dataDirectory().resolve("downloads"));
        DownloadQueue downloadQueue = new DownloadQueue(broker, signals, downloadLedger, settings);
        operator.setDownloadOperations(downloadQueue);
        DownloadRequests downloads = new DownloadRequests(settings, downloadQueue,
                "/window/v1/municipalities/{code}/downloads/next");
        DownloadQueueWriter downloadWriter = new DownloadQueueWriter(broker, cipher, signals);
        DownloadRequests unionPickups = null;
        UnionDownloadReceiver unionDownloads = null;
        if (settings.remoteUnionDelivery()) {
            UnionPickupQueue pickupQueue = new UnionPickupQueue(broker, ledger, metrics, operator.pauses()::isPaused);
            pickupQueue.setTransferEvents(operator.events());
            unionPickups = new DownloadRequests(settings, pickupQueue,
                    WindowRequests.UNION_PREFIX + "municipalities/{code}/inbound/next");
            unionDownloads = new UnionDownloadReceiver(settings,
                    SigningKeys.readPublicKey(keys.unionSigningPublicKey()), cipher, downloadWriter);
        }
        WindowRequests windowRequests = new WindowRequests(settings, roster, signingKeys, store, ledger, identity,
                new ClientCertificatePolicy(settings.revokedCertificates(), settings.certificateWarningDays()),
                new IngressAdmission(settings.admission(), metrics), acceptedAgentVersions);
        windowRequests.setAgentContacts(operator.agentContacts());
        windowRequests.setCancellations(operator.cancellations(), operator.events());
        camel.addRoutes(new WindowRoute(settings, this::isActive, windowRequests, downloads, unionPickups,
                unionDownloads));
        operator.addRoutes(camel, keys);
        if (!settings.remoteUnionDelivery()) {
            OutboundPickup outbound = new OutboundPickup(settings, roster, unionSigningKey, downloadWriter);
            camel.getRegistry().bind(OutboundPickup.FILTER_BEAN, outbound.outboundFilter());
            camel.addRoutes(new OutboundRoute(settings, outbound));
        }
        camel.start();

        if (settings.haRole() == HaRole.NONE) {
            activate(started);
        } else {
            LOG.info("Central window server on standby until its broker holds the shared store: role={}"
                    + " window=https://{}:{}/window/v1 answers 503 until then", role(), settings.windowHost(),
                    settings.windowPort());
            Thread activation = new Thread(() -> awaitActivation(started), "central-activation");
            activation.setDaemon(true);
            activation.start();
        }
        return this;
    }

    private void awaitActivation(long started) {
        try {
            if (broker.awaitActivation()) {
                activate(started);
            }
        } catch (Exception | Error e) {
            LOG.error("Central window server could not become active: role={} error={}", role(), e.toString(), e);
            if (onActivationFailure != null) {
                onActivationFailure.run();
            }
        }
    }

    /**
     * Starts the work that only the active node may do, because it writes to the shared data directory: delivery into
     * the union's folders, the sweeper and the pickup from the union's outbound folders. Window requests are served
     * from here on.
     */
    private synchronized void activate(long started) throws Exception {
        if (closed) {
            return;
        }
        int leftovers = ledger.deleteLeftoverTemporaries() + submissions.deleteLeftoverTemporaries();
        if (leftovers > 0) {
            LOG.info("Deleted {} temporary ledger entries left by an earlier stop", leftovers);
        }
        store.cutBackToSyncedOffsets();
        sweeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "delivery-sweeper");
            thread.setDaemon(true);
            return thread;
        });
        operator.activate(sweeper, new HistoryReconciler.Ledger() {
            @Override
            public HistoryReconciler.LedgerState status(MunicipalityCode code, String fileId) throws Exception {
                DeliveryLedger.Status status = ledger.status(code, fileId);
                return status == null ? null : new HistoryReconciler.LedgerState(status.state(), status.at(),
                        status.reason());
            }

            @Override
            public List<HistoryReconciler.Ended> endedSince(Instant since) throws Exception {
                return ledger.endedSince(since).stream().map(ended -> new HistoryReconciler.Ended(ended.code(),
                        ended.fileId(), ended.state(), ended.fileName(), ended.at(), ended.reason())).toList();
            }
        });
        if (settings.remoteUnionDelivery()) {
            LOG.info("Files stay queued for the union's agent (central.union.delivery=remote): it pulls them over"
                    + " HTTPS under /window/v1/union/");
        } else if (settings.deliveryEnabled()) {
            delivery.start();
        } else {
            LOG.warn("Delivery to the union's folders is off (central.delivery.enabled=false): files stay queued");
        }
        sweeper.scheduleWithFixedDelay(unionDelivery::sweep, 0, settings.pollIntervalMillis(), TimeUnit.MILLISECONDS);
        sweeper.scheduleWithFixedDelay(unionDelivery::expireLedger, 1, 60, TimeUnit.MINUTES);
        sweeper.scheduleWithFixedDelay(this::expireSubmissions, 1, 60, TimeUnit.MINUTES);
        sweeper.scheduleWithFixedDelay(this::expireDownloadLedger, 1, 60, TimeUnit.MINUTES);
        if (!settings.remoteUnionDelivery()) {
            camel.getRouteController().startRoute(OutboundRoute.ROUTE_ID);
            MisplacedFiles misplaced = new MisplacedFiles(settings.outboundRoot(),
                    settings.downloads().doneMarkerPickup(), MisplacedFiles.OUTBOUND);
            sweeper.scheduleWithFixedDelay(misplaced::check, MISPLACED_CHECK_SECONDS, MISPLACED_CHECK_SECONDS,
                    TimeUnit.SECONDS);
        }
        if (configurationFile != null && settings.municipalityReloadMillis() > 0) {
            sweeper.scheduleWithFixedDelay(this::reloadIfChanged, settings.municipalityReloadMillis(),
                    settings.municipalityReloadMillis(), TimeUnit.MILLISECONDS);
        }
        UnionFolderRetention retention = new UnionFolderRetention(settings, roster::served, ledger,
                Clock.system(ZoneId.of("Asia/Tokyo")));
        sweeper.scheduleWithFixedDelay(retention::expire, 1, 60, TimeUnit.MINUTES);
        active = true;
        List<String> accepted = acceptedAgentVersions.versions();
        LOG.info("Central window server started: municipalities={} window=https://{}:{}/window/v1 union={} role={}"
                + " version={} configDigest={} acceptedAgentVersions={} startupMs={}", settings.codes().size(),
                settings.windowHost(), settings.windowPort(), settings.unionRoot(), role(), VERSION,
                settings.configDigest(), accepted.isEmpty() ? "any" : String.join(",", accepted),
                (System.nanoTime() - started) / 1_000_000);
    }

    /**
     * Reads central.municipalities again from the configuration file whenever the file changes (checked every
     * central.municipalities.reload-interval-ms), so that a municipality is added or removed without a restart.
     */
    public CentralServer watchConfiguration(Path file) throws IOException {
        this.configurationFile = file.toAbsolutePath();
        this.configurationModified = Files.getLastModifiedTime(configurationFile);
        return this;
    }

    private void reloadIfChanged() {
        try {
            FileTime modified = Files.getLastModifiedTime(configurationFile);
            if (modified.equals(configurationModified)) {
                return;
            }
            configurationModified = modified;
            CentralSettings reloaded = CentralSettings.load(configurationFile);
            reloaded.municipalities().forEach(municipality -> municipalities.put(municipality.code(), municipality));
            reloadMunicipalities(reloaded.codes());
        } catch (IOException | RuntimeException e) {
            LOG.error("Municipality list not reloaded, the served municipalities stay as they were: file={} error={}",
                    configurationFile, e.getMessage());
        }
    }

    /**
     * Serves exactly the given municipalities from now on. An added municipality gets its broker queues, role and user,
     * its folders and a place among the delivery queues, once its signing public key and keyset are readable. One
     * whose keys are missing is not added, and the reason is logged. A removed municipality takes no new files, but
     * its stored files are still delivered and its queued downloads can still be fetched.
     */
    public synchronized void reloadMunicipalities(List<MunicipalityCode> codes) {
        Set<MunicipalityCode> wanted = new TreeSet<>(codes);
        for (MunicipalityCode code : roster.served()) {
            if (!wanted.contains(code)) {
                roster.remove(code);
                LOG.warn("Municipality removed: municipality={}; new files are refused, stored files are still"
                        + " delivered and queued downloads can still be fetched", code);
            }
        }
        for (MunicipalityCode code : wanted) {
            if (roster.isServed(code)) {
                continue;
            }
            try {
                signingKeys.require(code);
                cipher.requireKeyset(code);
                broker.addMunicipality(code);
                if (!settings.remoteUnionDelivery()) {
                    AtomicFiles.createDirectories(settings.inbound(code));
                    AtomicFiles.createDirectories(settings.outboundRoot().resolve(code.value()));
                }
                delivery.addQueue(code, QueueNames.upload(code));
                roster.add(code);
                operator.municipalityAdded(code);
                LOG.info("Municipality added: municipality={} served={}", code, roster.served().size());
            } catch (Exception e) {
                LOG.error("Municipality not added, install its keys and save the configuration again:"
                        + " municipality={} error={}", code, e.getMessage());
            }
        }
    }

    /** Returns the municipalities served now with their names, for the operator views. */
    private List<Municipality> servedMunicipalityDetails() {
        List<Municipality> served = new ArrayList<>();
        for (MunicipalityCode code : roster.served()) {
            Municipality municipality = municipalities.get(code);
            served.add(municipality != null ? municipality : new Municipality(code, "", code.value(), null));
        }
        return served;
    }

    /** Returns the municipalities served now, which a reload may have changed since start-up. */
    public List<MunicipalityCode> servedMunicipalities() {
        return roster.served();
    }

    private void expireSubmissions() {
        try {
            int removed = submissions.expire();
            if (removed > 0) {
                LOG.info("Resubmission records expired: count={} holdDays={}", removed,
                        settings.resubmissionHoldDays());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Resubmission records could not be expired, trying again in an hour: error={}", e.toString());
        }
    }

    /** Forgets acknowledged and refused downloads older than the ledger retention time. */
    private void expireDownloadLedger() {
        try {
            int removed = downloadLedger.expire(Duration.ofDays(settings.ledgerRetentionDays()));
            if (removed > 0) {
                LOG.info("Download records expired: entries={} retentionDays={}", removed,
                        settings.ledgerRetentionDays());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Download ledger expiry failed, trying again in an hour: error={}", e.toString());
        }
    }

    /** Returns whether this server accepts window requests: always for a single server, once active for a pair node. */
    public boolean isActive() {
        return active;
    }

    private String role() {
        return settings.haRole().name().toLowerCase(Locale.ROOT);
    }

    /** Counters of delivered and rejected files, tagged by municipality. */
    public MeterRegistry metrics() {
        return metrics;
    }

    /** Returns the operators' side: pause flags, transfer history and the operator port. */
    public OperatorService operator() {
        return operator;
    }

    public WindowBroker broker() {
        return broker;
    }

    public CentralSettings settings() {
        return settings;
    }

    @Override
    public void startService() throws Exception {
        start();
    }

    @Override
    public String version() {
        return VERSION;
    }

    @Override
    public String configDigest() {
        return settings.configDigest();
    }

    /** Checks the server's key files, every served municipality's keys and the server's folders, without starting. */
    @Override
    public void checkConfiguration() {
        KeyMaterialLayout keys = new KeyMaterialLayout(settings.keysDirectory());
        String keysKey = "central.keys-dir";
        ConfigurationCheck.requireKeystore(keysKey, settings.keysDirectory(), keys.serverKeystore(), "server keystore");
        ConfigurationCheck.requireKeystore(keysKey, settings.keysDirectory(), keys.truststore(), "truststore");
        for (MunicipalityCode code : settings.codes()) {
            ConfigurationCheck.requireFile(keysKey, settings.keysDirectory(), keys.signingPublicKey(code),
                    "signing public key of municipality " + code);
            ConfigurationCheck.requireFile(keysKey, settings.keysDirectory(), keys.encryptionKeyset(code),
                    "encryption keyset of municipality " + code);
        }
        if (settings.revokedCertificates() != null) {
            ConfigurationCheck.requireFile("central.revoked-certificates", settings.revokedCertificates(),
                    settings.revokedCertificates(), "list of revoked certificates");
        }
        if (settings.remoteUnionDelivery()) {
            ConfigurationCheck.requireFile(keysKey, settings.keysDirectory(), keys.unionSigningPublicKey(),
                    "union's signing public key, which checks the union agent's downloads");
        }
        ConfigurationCheck.requireWritableFolder("central.union-root", settings.unionRoot());
        ConfigurationCheck.requireWritableFolder("central.data-dir", settings.dataDirectory());
    }

    @Override
    public void close() throws Exception {
        synchronized (this) {
            closed = true;
            active = false;
        }
        if (camel != null) {
            camel.stop();
        }
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        if (delivery != null) {
            delivery.close();
        }
        if (store != null) {
            store.close();
        }
        if (operator != null) {
            operator.close();
        }
        if (broker != null) {
            broker.close();
        }
        LOG.info("Central window server stopped");
    }

    /** Runs the server until the JVM is stopped; the optional argument pair names an application.properties file. */
    public static void main(String[] args) throws Exception {
        ServiceMain.run("central-server", CentralServer.class, args, config -> {
            CentralServer server = new CentralServer(CentralSettings.load(config));
            if (config != null) {
                server.watchConfiguration(config);
            }
            // A node that cannot take over must end, so that its supervisor restarts it and it waits again.
            server.onActivationFailure = () -> System.exit(1);
            return server;
        });
    }
}
