package jp.kouiki.window.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.config.ConfigurationCheck;
import jp.kouiki.window.config.ServiceMain;
import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.SigningKeyRing;
import jp.kouiki.window.security.SigningKeys;

/**
 * The union's agent ({@code agent.mode=union}), for window servers housed apart from the union: it pulls each
 * municipality's files from its window server into the union's {@code inbound/<code>/} and sends the files that the
 * union places in {@code outbound/<code>/} and {@code outbound/all/} to the municipalities' window servers. It only
 * opens outbound HTTPS connections, with the union's client certificate, directly or through the forward proxy, so
 * nothing connects inwards to the union. Files stay encrypted under each municipality's key on the window server and
 * on the line. This agent reads the keysets that decrypt and encrypt them, and the union's signing key.
 */
public final class UnionAgent implements ServiceMain.Service {

    private static final Logger LOG = LoggerFactory.getLogger(UnionAgent.class);

    private final AgentSettings settings;
    private CamelContext camel;
    private CentralClient client;
    private DownloadPuller inbound;
    private ScheduledExecutorService housekeeping;
    private KeyMaterialLayout keys;
    private PayloadCipher cipher;
    private SigningKeyRing signingKeys;
    private UnionOutboundPickup outbound;
    private volatile Set<MunicipalityCode> served;
    private Path configurationFile;
    private FileTime configurationModified;

    public UnionAgent(AgentSettings settings) {
        this.settings = settings;
    }

    public UnionAgent start() throws Exception {
        keys = new KeyMaterialLayout(settings.keysDirectory());
        cipher = new PayloadCipher(keys::encryptionKeyset);
        signingKeys = new SigningKeyRing(keys);
        served = Set.copyOf(settings.municipalities());
        for (MunicipalityCode code : settings.municipalities()) {
            cipher.requireKeyset(code);
            signingKeys.require(code);
            createFolders(code);
        }
        AtomicFiles.createDirectories(settings.unionOutboundRoot().resolve(AgentSettings.BROADCAST_FOLDER));

        camel = new DefaultCamelContext();
        camel.setStreamCaching(false);
        client = new CentralClient(camel, settings, keys, code -> keys.unionClientKeystore(),
                AgentInstance.loadOrCreate(settings.dataDirectory()));
        outbound = new UnionOutboundPickup(settings,
                SigningKeys.readPrivateKey(keys.unionSigningPrivateKey()), cipher, client);
        camel.getRegistry().bind(UnionOutboundPickup.FILTER_BEAN, outbound.outboundFilter());
        camel.addRoutes(new UnionOutboundRoute(settings, outbound));
        camel.start();
        if (!settings.municipalities().isEmpty()) {
            client.warnIfExpiring(settings.municipalities().get(0), keys.unionClientKeystore());
        }

        InboxLedger ledger = new InboxLedger(settings.dataDirectory().resolve("union-inbound"));
        UnionInboundWriter writer = new UnionInboundWriter(settings, cipher, signingKeys, ledger);
        deleteAbandonedParts(ledger);
        if (settings.downloads().enabled()) {
            inbound = new DownloadPuller(settings, client, writer, "/window/v1/union/municipalities/{code}/inbound");
            inbound.start();
        } else {
            LOG.warn("Pulling files for the union is off (agent.download.enabled=false): nothing reaches inbound/");
        }
        housekeeping = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "union-housekeeping");
            thread.setDaemon(true);
            return thread;
        });
        housekeeping.scheduleWithFixedDelay(writer::sweep, 0, settings.pollIntervalMillis(), TimeUnit.MILLISECONDS);
        housekeeping.scheduleWithFixedDelay(() -> expire(ledger), 1, 60, TimeUnit.MINUTES);
        if (configurationFile != null && settings.municipalityReloadMillis() > 0) {
            housekeeping.scheduleWithFixedDelay(this::reloadIfChanged, settings.municipalityReloadMillis(),
                    settings.municipalityReloadMillis(), TimeUnit.MILLISECONDS);
        }
        LOG.info("Union agent started: municipalities={} folders={} central={} centralByMunicipality={} proxy={}"
                + " pickup={}", settings.municipalities().size(), settings.folderRoot(), settings.centralUrls(),
                settings.centralUrlsByMunicipality(), settings.proxy() == null ? "none" : settings.proxy().url(),
                settings.doneMarkerPickup() ? "done-marker" : "quiet-period " + settings.quietPeriodMillis() + " ms");
        return this;
    }

    private void createFolders(MunicipalityCode code) throws IOException {
        AtomicFiles.createDirectories(settings.unionInbound(code));
        AtomicFiles.createDirectories(settings.unionOutboundRoot().resolve(code.value()));
    }

    /**
     * Reads agent.municipalities and agent.central-url.<code> again from the configuration file whenever the file
     * changes (checked every agent.municipalities.reload-interval-ms).
     */
    public UnionAgent watchConfiguration(Path file) throws IOException {
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
     * Moves the files of exactly the municipalities of the reloaded settings from now on. An added municipality is
     * pulled and sent to once its keyset and signing public key are readable. A removed one is no longer pulled, so
     * files that its window server still keeps for the union stay there. Its outbound folder is no longer read.
     */
    public synchronized void reloadMunicipalities(AgentSettings reloaded) {
        client.useCentralUrls(reloaded);
        Set<MunicipalityCode> wanted = new TreeSet<>(reloaded.municipalities());
        Set<MunicipalityCode> next = new TreeSet<>(served);
        for (MunicipalityCode code : served) {
            if (!wanted.contains(code)) {
                next.remove(code);
                if (inbound != null) {
                    inbound.remove(code);
                }
                LOG.warn("Municipality removed: municipality={}; its files are no longer pulled or sent", code);
            }
        }
        for (MunicipalityCode code : wanted) {
            if (served.contains(code)) {
                continue;
            }
            try {
                cipher.requireKeyset(code);
                signingKeys.require(code);
                createFolders(code);
                if (inbound != null) {
                    inbound.add(code);
                }
                next.add(code);
                LOG.info("Municipality added: municipality={} central={}", code, reloaded.centralUrls(code));
            } catch (IOException | RuntimeException e) {
                LOG.error("Municipality not added, install its keys and save the configuration again:"
                        + " municipality={} error={}", code, e.getMessage());
            }
        }
        served = Set.copyOf(next);
        outbound.serve(served);
    }

    /** Returns the municipalities served now, which a reload may have changed since start-up. */
    public List<MunicipalityCode> servedMunicipalities() {
        return List.copyOf(new TreeSet<>(served));
    }

    /**
     * Deletes partial files that a crash left before their ledger entry, because the window server offers them again in
     * full. A checked file waiting for its name has a ledger entry and stays.
     */
    private void deleteAbandonedParts(InboxLedger ledger) throws IOException {
        Set<String> waiting = new HashSet<>();
        for (InboxLedger.Pending pending : ledger.pending()) {
            waiting.add(pending.code() + "/" + pending.fileId() + ".part");
        }
        for (MunicipalityCode code : settings.municipalities()) {
            Path staging = settings.unionInbound(code).resolve(".part");
            if (!Files.isDirectory(staging)) {
                continue;
            }
            try (Stream<Path> parts = Files.list(staging)) {
                for (Path part : parts.toList()) {
                    if (!waiting.contains(code + "/" + part.getFileName())) {
                        Files.deleteIfExists(part);
                        LOG.info("Partial file deleted, the window server offers it again: municipality={} part={}",
                                code, part.getFileName());
                    }
                }
            }
        }
    }

    private void expire(InboxLedger ledger) {
        try {
            int removed = ledger.expire(Duration.ofDays(settings.downloads().ledgerRetentionDays()));
            if (removed > 0) {
                LOG.info("Delivery records expired: entries={} retentionDays={}", removed,
                        settings.downloads().ledgerRetentionDays());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Delivery records could not be expired, trying again in an hour: error={}", e.toString());
        }
    }

    public AgentSettings settings() {
        return settings;
    }

    @Override
    public void startService() throws Exception {
        start();
    }

    /** Checks the union's key files, every served municipality's keys and the union's folders, without starting. */
    @Override
    public void checkConfiguration() {
        KeyMaterialLayout keys = new KeyMaterialLayout(settings.keysDirectory());
        String keysKey = "agent.keys-dir";
        ConfigurationCheck.requireKeystore(keysKey, settings.keysDirectory(), keys.truststore(), "truststore");
        ConfigurationCheck.requireKeystore(keysKey, settings.keysDirectory(), keys.unionClientKeystore(),
                "client keystore of the union's agent");
        ConfigurationCheck.requireFile(keysKey, settings.keysDirectory(), keys.unionSigningPrivateKey(),
                "union's signing private key");
        for (MunicipalityCode code : settings.municipalities()) {
            ConfigurationCheck.requireFile(keysKey, settings.keysDirectory(), keys.signingPublicKey(code),
                    "signing public key of municipality " + code);
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
        if (inbound != null) {
            inbound.close();
        }
        if (camel != null) {
            camel.stop();
        }
        if (client != null) {
            client.close();
        }
        LOG.info("Union agent stopped");
    }
}
