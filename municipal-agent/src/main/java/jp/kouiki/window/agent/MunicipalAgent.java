package jp.kouiki.window.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.PrivateKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.processor.idempotent.MemoryIdempotentRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.broker.BrokerSettings;
import jp.kouiki.window.calendar.JapaneseCalendar;
import jp.kouiki.window.config.ConfigurationCheck;
import jp.kouiki.window.config.ServiceMain;
import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.files.MisplacedFiles;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.pacing.BandwidthLimiter;
import jp.kouiki.window.pacing.PacingWindows;
import jp.kouiki.window.queue.QueueDrainer;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.SigningKeys;
import jp.kouiki.window.security.TlsMaterial;

/**
 * The municipal agent: watches each served municipality's outbox, keeps every file encrypted in a local durable
 * queue, and forwards it to the central window server over HTTPS. In the other direction it pulls each
 * municipality's downloads and writes them into its inbox.
 */
public final class MunicipalAgent implements ServiceMain.Service {

    private static final Logger LOG = LoggerFactory.getLogger(MunicipalAgent.class);
    /** The argument that prints the status file instead of starting the agent. */
    static final String STATUS_COMMAND = "status";

    private final AgentSettings settings;
    private WindowBroker broker;
    private CamelContext camel;
    private CentralClient client;
    private String instanceId;
    private QueueDrainer forwarder;
    private UploadForwarder uploads;
    private ScheduledExecutorService housekeeping;
    private DownloadPuller downloads;
    private KeyMaterialLayout keys;
    private ManifestSigner signingKeys;
    private PayloadCipher cipher;
    private OutboxPickup pickup;
    private HeldFiles heldFiles;
    private volatile Set<MunicipalityCode> served;
    private Path configurationFile;
    private FileTime configurationModified;

    public MunicipalAgent(AgentSettings settings) {
        this.settings = settings;
    }

    public MunicipalAgent start() throws Exception {
        keys = new KeyMaterialLayout(settings.keysDirectory());
        signingKeys = new ManifestSigner(keys);
        served = Set.copyOf(settings.municipalities());
        for (MunicipalityCode code : settings.municipalities()) {
            LOG.info("Signing key ready: municipality={} keyId={}", code, signingKeys.current(code).keyId());
            createFolders(code);
        }
        broker = new WindowBroker(new BrokerSettings(settings.dataDirectory().resolve("broker"),
                settings.brokerInVmId(), settings.municipalities(), false, settings.journalType(),
                settings.brokerMaxSizeBytes(), -1, 0, BrokerSettings.DEFAULT_ID_CACHE_SIZE, 90)).start();

        camel = new DefaultCamelContext();
        camel.setStreamCaching(false);
        cipher = new PayloadCipher(keys::encryptionKeyset);
        for (MunicipalityCode code : settings.municipalities()) {
            cipher.requireKeyset(code);
        }
        heldFiles = new HeldFiles(settings);
        pickup = new OutboxPickup(settings, signingKeys, heldFiles);
        LocalQueueWriter writer = new LocalQueueWriter(broker, cipher, settings.pacing(), new QueueInspector(broker),
                settings.dataDirectory().resolve("receipts"));
        camel.getRegistry().bind(OutboxPickup.FILTER_BEAN, pickup.outboxFilter());
        camel.getRegistry().bind(OutboxRoute.READ_LOCKS_BEAN,
                MemoryIdempotentRepository.memoryIdempotentRepository(OutboxRoute.READ_LOCKS));
        camel.addRoutes(new OutboxRoute(settings, pickup, writer));
        camel.start();

        instanceId = AgentInstance.loadOrCreate(settings.dataDirectory());
        client = new CentralClient(camel, settings, keys, instanceId);
        for (MunicipalityCode code : settings.municipalities()) {
            client.warnIfExpiring(code, keys.clientKeystore(code));
        }
        Map<MunicipalityCode, String> queues = new LinkedHashMap<>();
        settings.municipalities().forEach(code -> queues.put(code, QueueNames.upload(code)));
        ReceiptTracker receipts = new ReceiptTracker(settings, client);
        int leftovers = receipts.deleteLeftoverTemporaries();
        if (leftovers > 0) {
            LOG.info("Deleted {} temporary receipt entries left by an earlier stop", leftovers);
        }
        PacingWindows windows = settings.pacing().windows();
        BandwidthLimiter limiter = new BandwidthLimiter(() -> windows.rateAt(ZonedDateTime.now(JapaneseCalendar.TOKYO)),
                Duration.ofMillis(settings.pacing().maxWriteGapMillis()));
        ScheduleGate schedules = new ScheduleGate(settings.pacing().schedules(), Clock.systemUTC());
        uploads = new UploadForwarder(settings, client, receipts, heldFiles, limiter,
                new QueueInspector(broker), schedules);
        forwarder = new QueueDrainer("forwarder", broker, queues, uploads, settings.uploadWorkers(),
                settings.pollIntervalMillis()).withMaxHandlerFailures(5).withConsumerFilter(schedules::consumerFilter);
        uploads.yieldWhen(forwarder::othersWaiting);
        AgentCancellations cancellations = new AgentCancellations(settings, this::servedMunicipalities, client,
                broker, uploads);
        uploads.cancelWith(cancellations);
        StatusReport status = new StatusReport(settings, this::servedMunicipalities, new QueueInspector(broker),
                uploads, schedules, limiter, Clock.systemUTC());
        status.showVersionRejection(client::versionRejection);
        writer.wakeUpAfterCommit(forwarder);
        forwarder.start();
        InboxLedger inboxLedger = new InboxLedger(settings.dataDirectory().resolve("downloads"));
        InboxWriter inbox = new InboxWriter(settings, cipher, SigningKeys.readPublicKey(keys.unionSigningPublicKey()),
                inboxLedger);
        deleteAbandonedParts(inboxLedger);
        int downloadTemporaries = inboxLedger.deleteLeftoverTemporaries();
        for (MunicipalityCode code : settings.municipalities()) {
            downloadTemporaries += AtomicFiles.deleteLeftoverTemporaries(settings.waiting(code), 1);
        }
        if (downloadTemporaries > 0) {
            LOG.info("Deleted {} temporary download entries left by an earlier stop", downloadTemporaries);
        }
        if (settings.downloads().enabled()) {
            downloads = new DownloadPuller(settings, client, inbox);
            downloads.start();
        } else {
            LOG.warn("Downloads from the union are off (agent.download.enabled=false): nothing reaches the inboxes");
        }
        housekeeping = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "agent-housekeeping");
            thread.setDaemon(true);
            return thread;
        });
        housekeeping.scheduleWithFixedDelay(heldFiles::releaseConfirmed, settings.pollIntervalMillis(),
                settings.pollIntervalMillis(), TimeUnit.MILLISECONDS);
        housekeeping.scheduleWithFixedDelay(cancellations::poll, settings.cancellationPollIntervalMillis(),
                settings.cancellationPollIntervalMillis(), TimeUnit.MILLISECONDS);
        housekeeping.scheduleWithFixedDelay(receipts::poll, settings.receiptPollIntervalMillis(),
                settings.receiptPollIntervalMillis(), TimeUnit.MILLISECONDS);
        AgentFolderRetention retention = new AgentFolderRetention(settings, Clock.system(ZoneId.of("Asia/Tokyo")));
        housekeeping.scheduleWithFixedDelay(retention::expire, 1, 60, TimeUnit.MINUTES);
        housekeeping.scheduleWithFixedDelay(this::warnAboutDiskAndBacklog, 0, settings.warnCheckIntervalMillis(),
                TimeUnit.MILLISECONDS);
        MisplacedFiles misplaced = new MisplacedFiles(settings.outbox(), settings.doneMarkerPickup(),
                MisplacedFiles.OUTBOX);
        housekeeping.scheduleWithFixedDelay(misplaced::check, settings.warnCheckIntervalMillis(),
                settings.warnCheckIntervalMillis(), TimeUnit.MILLISECONDS);
        housekeeping.scheduleWithFixedDelay(status::update, 0, settings.pacing().statusIntervalMillis(),
                TimeUnit.MILLISECONDS);
        long idleCheck = Math.max(100, settings.idleConnectionCloseMillis() / 2);
        housekeeping.scheduleWithFixedDelay(client::closeIdleConnections, idleCheck, idleCheck, TimeUnit.MILLISECONDS);
        housekeeping.scheduleWithFixedDelay(inbox::sweep, 0, settings.pollIntervalMillis(), TimeUnit.MILLISECONDS);
        housekeeping.scheduleWithFixedDelay(() -> expireInboxLedger(inboxLedger), 1, 60, TimeUnit.MINUTES);
        if (configurationFile != null && settings.municipalityReloadMillis() > 0) {
            housekeeping.scheduleWithFixedDelay(this::reloadIfChanged, settings.municipalityReloadMillis(),
                    settings.municipalityReloadMillis(), TimeUnit.MILLISECONDS);
        }
        LOG.info("Municipal agent started: version={} configDigest={} instance={} municipalities={} folders={}"
                + " central={} centralByMunicipality={} proxy={} pickup={} rateNow={} schedules={} downloads={}",
                CentralClient.VERSION, settings.configDigest(), instanceId, settings.municipalities().size(),
                settings.folderRoot(), settings.centralUrls(), settings.centralUrlsByMunicipality(),
                settings.proxy() == null ? "none" : settings.proxy().url(),
                settings.doneMarkerPickup() ? "done-marker" : "quiet-period " + settings.quietPeriodMillis() + " ms",
                limiter.currentRate(), settings.pacing().schedules().size(),
                settings.downloads().enabled() ? "on" : "off");
        return this;
    }

    private void createFolders(MunicipalityCode code) throws IOException {
        AtomicFiles.createDirectories(settings.outbox().resolve(code.value()));
        AtomicFiles.createDirectories(settings.sent(code));
        AtomicFiles.createDirectories(settings.error(code));
        AtomicFiles.createDirectories(settings.inbox(code));
    }

    /**
     * Reads agent.municipalities and agent.central-url.<code> again from the configuration file whenever the file
     * changes (checked every agent.municipalities.reload-interval-ms), so that a municipality is added or removed
     * without a restart.
     */
    public MunicipalAgent watchConfiguration(Path file) throws IOException {
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
            reloadMunicipalities(AgentSettings.load(configurationFile));
        } catch (IOException | RuntimeException e) {
            LOG.error("Municipality list not reloaded, the served municipalities stay as they were: file={} error={}",
                    configurationFile, e.getMessage());
        }
    }

    /**
     * Serves exactly the municipalities of the reloaded settings from now on, sending each to the window server they
     * name. An added municipality gets its local queue, folders, outbox pickup, upload worker share and downloads once
     * its client keystore, signing key and keyset are readable. One whose keys are missing is not added, and the reason
     * is logged. A removed municipality's outbox is no longer read and its downloads are no longer fetched, but the
     * files already in its local queue are still sent.
     */
    public synchronized void reloadMunicipalities(AgentSettings reloaded) {
        // NOTE: requests keep the configuration digest of the settings read at start-up until the next restart, so a
        // reloaded list shows in the operator views as municipalities and not as a new digest.
        Set<MunicipalityCode> wanted = new TreeSet<>(reloaded.municipalities());
        client.useCentralUrls(reloaded);
        Set<MunicipalityCode> next = new TreeSet<>(served);
        for (MunicipalityCode code : served) {
            if (!wanted.contains(code)) {
                next.remove(code);
                if (downloads != null) {
                    downloads.remove(code);
                }
                LOG.warn("Municipality removed: municipality={}; its outbox is no longer read and its downloads are"
                        + " no longer fetched, files already queued are still sent", code);
            }
        }
        for (MunicipalityCode code : wanted) {
            if (served.contains(code)) {
                continue;
            }
            try {
                TlsMaterial.loadPkcs12(keys.clientKeystore(code));
                signingKeys.current(code);
                cipher.requireKeyset(code);
                createFolders(code);
                broker.addMunicipality(code);
                forwarder.addQueue(code, QueueNames.upload(code));
                if (downloads != null) {
                    downloads.add(code);
                }
                next.add(code);
                LOG.info("Municipality added: municipality={} central={}", code, reloaded.centralUrls(code));
            } catch (Exception e) {
                LOG.error("Municipality not added, install its keys and save the configuration again:"
                        + " municipality={} error={}", code, e.getMessage());
            }
        }
        served = Set.copyOf(next);
        pickup.serve(served);
        heldFiles.serve(served);
    }

    /** Returns the municipalities served now, which a reload may have changed since start-up. */
    public List<MunicipalityCode> servedMunicipalities() {
        return List.copyOf(new TreeSet<>(served));
    }

    /** Logs a warning when the data folder's disk runs low or a municipality's queue grows long. */
    void warnAboutDiskAndBacklog() {
        try {
            long freeMib = Files.getFileStore(settings.dataDirectory()).getUsableSpace() / (1024 * 1024);
            if (freeMib < settings.warnMinFreeDiskMib()) {
                LOG.warn("Disk space low for the agent's queue: dataDirectory={} freeMiB={} thresholdMiB={}; free"
                        + " space or the queue cannot take more files", settings.dataDirectory(), freeMib,
                        settings.warnMinFreeDiskMib());
            }
            for (MunicipalityCode code : servedMunicipalities()) {
                long waiting = broker.messageCount(QueueNames.upload(code));
                if (waiting > settings.warnBacklogFiles()) {
                    LOG.warn("Backlog growing: municipality={} filesWaiting={} threshold={}; check the line to the"
                            + " central server", code, waiting, settings.warnBacklogFiles());
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Disk and backlog check failed: error={}", e.toString());
        }
    }

    /**
     * Deletes partial downloads that a crash left before their ledger entry, because they are offered again in full. A
     * checked file waiting for its name has a ledger entry and stays.
     */
    private void deleteAbandonedParts(InboxLedger ledger) throws IOException {
        java.util.Set<String> waiting = new java.util.HashSet<>();
        for (InboxLedger.Pending pending : ledger.pending()) {
            waiting.add(pending.code() + "/" + pending.fileId() + ".part");
        }
        for (MunicipalityCode code : settings.municipalities()) {
            Path staging = settings.inbox(code).resolve(".part");
            if (!Files.isDirectory(staging)) {
                continue;
            }
            try (java.util.stream.Stream<Path> parts = Files.list(staging)) {
                for (Path part : parts.toList()) {
                    if (!waiting.contains(code + "/" + part.getFileName())) {
                        Files.deleteIfExists(part);
                        LOG.info("Partial download deleted, it is offered again: municipality={} part={}", code,
                                part.getFileName());
                    }
                }
            }
        }
    }

    private void expireInboxLedger(InboxLedger ledger) {
        try {
            int removed = ledger.expire(java.time.Duration.ofDays(settings.downloads().ledgerRetentionDays()));
            if (removed > 0) {
                LOG.info("Download records expired: entries={} retentionDays={}", removed,
                        settings.downloads().ledgerRetentionDays());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Download records could not be expired, trying again in an hour: error={}", e.toString());
        }
    }

    public WindowBroker broker() {
        return broker;
    }

    public AgentSettings settings() {
        return settings;
    }

    /** Returns this installation's id, which the agent sends with every request; null before start. */
    public String instanceId() {
        return instanceId;
    }

    /** Counts the HTTPS connections to central servers that the agent keeps open, in use or idle. */
    public int openConnections() {
        return client == null ? 0 : client.openConnections();
    }

    @Override
    public void startService() throws Exception {
        start();
    }

    @Override
    public String version() {
        return CentralClient.VERSION;
    }

    @Override
    public String configDigest() {
        return settings.configDigest();
    }

    /** Checks the key files of every served municipality and the agent's folders, without starting anything. */
    @Override
    public void checkConfiguration() {
        KeyMaterialLayout keys = new KeyMaterialLayout(settings.keysDirectory());
        String keysKey = "agent.keys-dir";
        ConfigurationCheck.requireKeystore(keysKey, settings.keysDirectory(), keys.truststore(), "truststore");
        for (MunicipalityCode code : settings.municipalities()) {
            ConfigurationCheck.requireKeystore(keysKey, settings.keysDirectory(), keys.clientKeystore(code),
                    "client keystore of municipality " + code);
            ConfigurationCheck.requireFile(keysKey, settings.keysDirectory(), keys.signingPrivateKey(code),
                    "signing private key of municipality " + code);
            ConfigurationCheck.requireFile(keysKey, settings.keysDirectory(), keys.encryptionKeyset(code),
                    "encryption keyset of municipality " + code);
        }
        ConfigurationCheck.requireWritableFolder("agent.folder-root", settings.folderRoot());
        ConfigurationCheck.requireWritableFolder("agent.data-dir", settings.dataDirectory());
    }

    @Override
    public void close() throws Exception {
        if (housekeeping != null) {
            housekeeping.shutdownNow();
        }
        if (downloads != null) {
            downloads.close();
        }
        if (uploads != null) {
            uploads.stopping();
        }
        if (camel != null) {
            camel.stop();
        }
        if (forwarder != null) {
            forwarder.close();
        }
        if (client != null) {
            client.close();
        }
        if (broker != null) {
            broker.close();
        }
        LOG.info("Municipal agent stopped");
    }

    /**
     * Runs the agent until the JVM is stopped; the one argument is the path of an application.properties file. With
     * {@code agent.mode=union} it runs as the union's agent.
     */
    public static void main(String[] args) throws Exception {
        if (java.util.List.of(args).contains(STATUS_COMMAND)) {
            System.exit(printStatus(args));
            return;
        }
        ServiceMain.run("municipal-agent", MunicipalAgent.class, args, config -> {
            AgentSettings settings = AgentSettings.load(config);
            if (settings.unionMode()) {
                UnionAgent union = new UnionAgent(settings);
                if (config != null) {
                    union.watchConfiguration(config);
                }
                return union;
            }
            MunicipalAgent agent = new MunicipalAgent(settings);
            if (config != null) {
                agent.watchConfiguration(config);
            }
            return agent;
        });
    }

    /**
     * Prints the running agent's status file ({@code status [--config application.properties]}, in either order, as
     * the start script puts {@code --config} first). Returns 0, or 1 when the file is missing or older than three
     * status intervals, which means the agent is not running.
     */
    static int printStatus(String[] args) throws IOException {
        java.util.List<String> options = new java.util.ArrayList<>(java.util.List.of(args));
        options.remove(STATUS_COMMAND);
        if (!(options.isEmpty() || options.size() == 2 && options.get(0).equals("--config"))) {
            System.err.println("usage: municipal-agent status [--config application.properties]");
            return 2;
        }
        AgentSettings settings = options.size() == 2 ? AgentSettings.load(Path.of(options.get(1)))
                : AgentSettings.from(jp.kouiki.window.config.Settings.load(AgentSettings.DEFAULTS, null));
        Path file = settings.dataDirectory().resolve(StatusReport.FILE_NAME);
        if (!Files.isRegularFile(file)) {
            System.out.println("状態ファイルがありません。エージェントは動いていません / no status file at " + file
                    + ", so the agent is not running");
            return 1;
        }
        System.out.print(Files.readString(file, java.nio.charset.StandardCharsets.UTF_8));
        java.time.Duration age = java.time.Duration.between(Files.getLastModifiedTime(file).toInstant(),
                java.time.Instant.now());
        if (age.toMillis() > 3 * settings.pacing().statusIntervalMillis()) {
            System.out.println("状態ファイルが " + age.toSeconds() + " 秒前のままです。エージェントが止まっている可能性があります"
                    + " / the status file was last written " + age.toSeconds() + " s ago, so the agent may be"
                    + " stopped");
            return 1;
        }
        return 0;
    }
}
