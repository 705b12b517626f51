package jp.kouiki.window.agent;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jp.kouiki.window.config.ConfigurationDigest;
import jp.kouiki.window.config.Settings;
import jp.kouiki.window.iffile.InterfaceKindCatalogue;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;

/** The municipal agent's settings, read and checked once at start-up. */
public record AgentSettings(
        List<MunicipalityCode> municipalities,
        Path folderRoot,
        Path dataDirectory,
        Path keysDirectory,
        List<URI> centralUrls,
        boolean doneMarkerPickup,
        long quietPeriodMillis,
        long pollIntervalMillis,
        int pickupWorkers,
        int chunkSizeBytes,
        int singleRequestMaxBytes,
        int uploadWorkers,
        long retryInitialDelayMillis,
        long retryMaxDelayMillis,
        int certificateWarningDays,
        long connectTimeoutMillis,
        long responseTimeoutMillis,
        long idleConnectionCloseMillis,
        int sentRetentionDays,
        long receiptPollIntervalMillis,
        long warnMinFreeDiskMib,
        long warnBacklogFiles,
        long warnCheckIntervalMillis,
        int brokerInVmId,
        String journalType,
        long brokerMaxSizeBytes,
        PacingSettings pacing,
        InterfaceKindCatalogue interfaceKinds,
        AgentDownloadSettings downloads,
        Map<MunicipalityCode, List<URI>> centralUrlsByMunicipality,
        ForwardProxy proxy,
        AgentRetention retention,
        long cancellationPollIntervalMillis,
        boolean unionMode,
        long municipalityReloadMillis,
        String configDigest) {

    /** Name of the folder below {@code outbound/} of a union agent for files to every municipality it serves. */
    public static final String BROADCAST_FOLDER = "all";

    public static final String DEFAULTS = "/agent-defaults.properties";

    private static final String CENTRAL_URL = "agent.central-url";

    public static AgentSettings from(Settings settings) throws IOException {
        settings.requireKnownKeys("agent.", List.of(CENTRAL_URL + ".", PacingSettings.SCHEDULE_PREFIX));
        String listFile = settings.text("agent.municipality-list", "");
        MunicipalityDirectory directory = listFile.isEmpty()
                ? MunicipalityDirectory.bundled()
                : MunicipalityDirectory.load(Path.of(listFile));
        List<MunicipalityCode> codes = new ArrayList<>();
        for (String code : settings.list("agent.municipalities")) {
            MunicipalityCode member;
            try {
                member = directory.member(MunicipalityCode.of(code)).code();
            } catch (IllegalArgumentException e) {
                throw settings.invalid("agent.municipalities", code, "codes of member municipalities (" + e.getMessage() + ")");
            }
            if (codes.contains(member)) {
                throw settings.invalid("agent.municipalities", settings.text("agent.municipalities"),
                        "each municipality code once, but " + code + " is listed twice");
            }
            codes.add(member);
        }
        if (codes.isEmpty()) {
            throw settings.invalid("agent.municipalities", "", "at least one six-digit municipality code, such as 131016");
        }
        String mode = settings.text("agent.pickup.mode");
        if (!mode.equals("quiet-period") && !mode.equals("done-marker")) {
            throw settings.invalid("agent.pickup.mode", mode, "quiet-period or done-marker");
        }
        List<URI> central = centralUrls(settings, CENTRAL_URL);
        Map<MunicipalityCode, List<URI>> centralByMunicipality = centralUrlsByMunicipality(settings, codes);
        return new AgentSettings(
                List.copyOf(codes),
                settings.path("agent.folder-root").toAbsolutePath(),
                settings.path("agent.data-dir").toAbsolutePath(),
                settings.path("agent.keys-dir").toAbsolutePath(),
                List.copyOf(central),
                mode.equals("done-marker"),
                settings.number("agent.pickup.quiet-period-ms", 0, 3_600_000),
                settings.number("agent.pickup.poll-interval-ms", 10, 600_000),
                settings.integer("agent.pickup.workers", 1, 64),
                settings.integer("agent.upload.chunk-size-bytes", 64 * 1024, 64 * 1024 * 1024),
                settings.integer("agent.upload.single-request-max-bytes", 0, 64 * 1024 * 1024),
                settings.integer("agent.upload.workers", 1, 64),
                settings.number("agent.upload.retry-initial-delay-ms", 10, 3_600_000),
                settings.number("agent.upload.retry-max-delay-ms", 10, 3_600_000),
                settings.integer("agent.certificate-warning-days", 0, 3650),
                settings.number("agent.http.connect-timeout-ms", 100, 600_000),
                settings.number("agent.http.response-timeout-ms", 100, 3_600_000),
                settings.number("agent.http.idle-close-ms", 100, 3_600_000),
                settings.integer("agent.sent.retention-days", 0, 3650),
                settings.number("agent.receipt.poll-interval-ms", 100, 3_600_000),
                settings.number("agent.warn.min-free-disk-mib", 0, Long.MAX_VALUE / (1024 * 1024)),
                settings.number("agent.warn.backlog-files", 1, Long.MAX_VALUE),
                settings.number("agent.warn.check-interval-ms", 100, 86_400_000),
                settings.integer("agent.broker.in-vm-id", 0, 1_000_000),
                settings.text("agent.broker.journal-type"),
                settings.number("agent.broker.max-size-bytes", 64 * 1024, 1L << 40),
                PacingSettings.from(settings),
                InterfaceKindCatalogue.fromSetting(settings, "agent.interface-kinds"),
                AgentDownloadSettings.from(settings, codes.size(),
                        settings.number("agent.http.response-timeout-ms", 100, 3_600_000)),
                centralByMunicipality,
                ForwardProxy.from(settings),
                AgentRetention.from(settings),
                settings.number("agent.cancellation.poll-interval-ms", 100, 3_600_000),
                unionMode(settings),
                settings.number("agent.municipalities.reload-interval-ms", 0, 3_600_000),
                ConfigurationDigest.of(settings));
    }

    private static boolean unionMode(Settings settings) {
        String key = "agent.mode";
        String value = settings.text(key);
        if (!value.equals("municipality") && !value.equals("union")) {
            throw settings.invalid(key, value, "municipality for a municipality's agent, or union for the union's"
                    + " agent of window servers housed apart from the union");
        }
        return value.equals("union");
    }

    /** Reads one or two different https:// URLs: a single central server, or the two nodes of a pair. */
    private static List<URI> centralUrls(Settings settings, String key) {
        List<URI> central = new ArrayList<>();
        for (String value : settings.list(key)) {
            URI url;
            try {
                url = URI.create(value);
            } catch (IllegalArgumentException e) {
                url = null;
            }
            if (url == null || !"https".equals(url.getScheme()) || url.getHost() == null || url.getPort() > 65535
                    || central.contains(url)) {
                throw settings.invalid(key, value, "one https:// URL with a host and, if given, a port"
                        + " from 1 to 65535; or two different ones, comma-separated, for the two nodes of a central"
                        + " server pair");
            }
            central.add(url);
        }
        if (central.isEmpty() || central.size() > 2) {
            throw settings.invalid(key, String.join(",", settings.list(key)),
                    "one https:// URL, or two comma-separated ones for the two nodes of a central server pair");
        }
        return List.copyOf(central);
    }

    /**
     * Reads {@code agent.central-url.<code>} for municipalities whose central server differs from the default one, as
     * where a union runs several window servers and one agent site serves municipalities of more than one.
     */
    private static Map<MunicipalityCode, List<URI>> centralUrlsByMunicipality(Settings settings,
            List<MunicipalityCode> served) {
        Map<MunicipalityCode, List<URI>> byMunicipality = new LinkedHashMap<>();
        for (String key : settings.keysStartingWith(CENTRAL_URL + ".")) {
            String suffix = key.substring(CENTRAL_URL.length() + 1);
            MunicipalityCode code;
            try {
                code = MunicipalityCode.of(suffix);
            } catch (IllegalArgumentException e) {
                code = null;
            }
            if (code == null || !served.contains(code)) {
                throw settings.invalid(key, settings.text(key, ""), "a key agent.central-url.<code> whose code is"
                        + " one of agent.municipalities " + served + "; correct the code in the key or add the"
                        + " municipality to agent.municipalities");
            }
            byMunicipality.put(code, centralUrls(settings, key));
        }
        return Map.copyOf(byMunicipality);
    }

    public static AgentSettings load(Path file) throws IOException {
        return from(Settings.load(DEFAULTS, file));
    }

    /**
     * Returns the URLs of the central server, or pair, that serves the municipality: those of
     * {@code agent.central-url.<code>} where given, otherwise those of {@code agent.central-url}.
     */
    public List<URI> centralUrls(MunicipalityCode code) {
        return centralUrlsByMunicipality.getOrDefault(code, centralUrls);
    }

    /** Returns the first default central server URL: the only one, or the primary's of a pair. */
    public URI centralUrl() {
        return centralUrls.get(0);
    }

    public Path outbox() {
        return folderRoot.resolve("outbox");
    }

    public Path sent(MunicipalityCode code) {
        return folderRoot.resolve("sent").resolve(code.value());
    }

    public Path error(MunicipalityCode code) {
        return folderRoot.resolve("error").resolve(code.value());
    }

    /** The folder of files that an operator cancelled before they reached the central server, with reasons. */
    public Path cancelled(MunicipalityCode code) {
        return folderRoot.resolve("cancelled").resolve(code.value());
    }

    /** The folder of files that the central server held as possible duplicates. */
    public Path held(MunicipalityCode code) {
        return folderRoot.resolve("held").resolve(code.value());
    }

    public Path errorRoot() {
        return folderRoot.resolve("error");
    }

    public Path inbox(MunicipalityCode code) {
        return folderRoot.resolve("inbox").resolve(code.value());
    }

    /** In union mode, the union's folder of delivered files of one municipality. */
    public Path unionInbound(MunicipalityCode code) {
        return folderRoot.resolve("inbound").resolve(code.value());
    }

    /** In union mode, the folder of reasons for one municipality's files refused at delivery. */
    public Path unionRejected(MunicipalityCode code) {
        return folderRoot.resolve("rejected").resolve(code.value());
    }

    /** In union mode, the folder of conversion reports on one municipality's delivered files. */
    public Path unionReports(MunicipalityCode code) {
        return folderRoot.resolve("reports").resolve(code.value());
    }

    /** In union mode, {@code outbound/}, whose subfolders {@code <code>/} and {@code all/} the union fills. */
    public Path unionOutboundRoot() {
        return folderRoot.resolve("outbound");
    }

    /** In union mode, where a sent outbound file moves: {@code outbound-sent/<code or all>/}. */
    public Path unionOutboundSent(String folder) {
        return folderRoot.resolve("outbound-sent").resolve(folder);
    }

    /** In union mode, where a refused outbound file moves beside its reason: {@code outbound-error/<code or all>/}. */
    public Path unionOutboundError(String folder) {
        return folderRoot.resolve("outbound-error").resolve(folder);
    }

    /** Returns where the reason for a download that waits for its name in the inbox to become free is shown. */
    public Path waiting(MunicipalityCode code) {
        return folderRoot.resolve("waiting").resolve(code.value());
    }
}
