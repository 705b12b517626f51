package jp.kouiki.window.central;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import jp.kouiki.window.broker.HaRole;
import jp.kouiki.window.central.operator.OperatorSettings;
import jp.kouiki.window.config.ConfigurationDigest;
import jp.kouiki.window.config.Settings;
import jp.kouiki.window.iffile.InterfaceKindCatalogue;
import jp.kouiki.window.municipality.Municipality;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;

/** The central window server's settings, read and checked once at start-up. */
public record CentralSettings(
        List<Municipality> municipalities,
        Path unionRoot,
        Path dataDirectory,
        Path keysDirectory,
        String windowHost,
        int windowPort,
        int maxChunkBytes,
        long maxFileBytes,
        int maxThreads,
        int maxRequestsPerMunicipality,
        long idleTimeoutMillis,
        long minFreeDiskMib,
        Path revokedCertificates,
        int certificateWarningDays,
        boolean deliveryEnabled,
        int deliveryWorkers,
        long pollIntervalMillis,
        int ledgerRetentionDays,
        int brokerInVmId,
        String journalType,
        Set<String> acceleratorFingerprints,
        String clientCertificateHeader,
        HaRole haRole,
        int resubmissionHoldDays,
        int brokerMaxDiskUsagePercent,
        AdmissionSettings admission,
        InterfaceKindCatalogue interfaceKinds,
        CentralDownloadSettings downloads,
        OperatorSettings operator,
        int rejectedRetentionDays,
        int stagingRetentionDays,
        boolean remoteUnionDelivery,
        String unionCertificateName,
        long municipalityReloadMillis,
        List<String> acceptedAgentVersions,
        int rejectedAgentRetryAfterSeconds,
        String configDigest) {

    public static final String DEFAULTS = "/central-defaults.properties";
    /** Name of the folder below {@code union/outbound/} for files to every municipality the server serves. */
    public static final String BROADCAST_FOLDER = "all";

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    /** An HTTP header name: a token of RFC 9110. */
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    public static CentralSettings from(Settings settings) throws IOException {
        settings.requireKnownKeys("central.", List.of(OutboundSchedules.SCHEDULE_PREFIX));
        String listFile = settings.text("central.municipality-list", "");
        MunicipalityDirectory directory = listFile.isEmpty()
                ? MunicipalityDirectory.bundled()
                : MunicipalityDirectory.load(Path.of(listFile));
        return new CentralSettings(
                served(settings, directory),
                settings.path("central.union-root").toAbsolutePath(),
                settings.path("central.data-dir").toAbsolutePath(),
                settings.path("central.keys-dir").toAbsolutePath(),
                settings.text("central.window.host"),
                settings.integer("central.window.port", 1, 65535),
                settings.integer("central.window.max-chunk-bytes", 64 * 1024, 512 * 1024 * 1024),
                settings.number("central.window.max-file-bytes", 1, Long.MAX_VALUE / 2),
                settings.integer("central.window.max-threads", 8, 1000),
                settings.integer("central.window.max-requests-per-municipality", 1, 100),
                settings.number("central.window.idle-timeout-ms", 1000, 3_600_000),
                settings.number("central.window.min-free-disk-mib", 0, Long.MAX_VALUE / (1024 * 1024)),
                revokedCertificates(settings),
                settings.integer("central.certificate-warning-days", 0, 3650),
                settings.flag("central.delivery.enabled"),
                settings.integer("central.delivery.workers", 1, 64),
                settings.number("central.delivery.poll-interval-ms", 10, 600_000),
                settings.integer("central.delivery.ledger-retention-days", 1, 3650),
                settings.integer("central.broker.in-vm-id", 0, 1_000_000),
                settings.text("central.broker.journal-type"),
                acceleratorFingerprints(settings),
                headerName(settings, "central.accelerator.client-certificate-header"),
                haRole(settings),
                settings.integer("central.resubmission.hold-days", 0, 366),
                settings.integer("central.broker.max-disk-usage-percent", 1, 100),
                AdmissionSettings.from(settings),
                InterfaceKindCatalogue.fromSetting(settings, "central.interface-kinds"),
                CentralDownloadSettings.from(settings, settings.number("central.window.idle-timeout-ms", 1000,
                        3_600_000)),
                OperatorSettings.from(settings),
                settings.integer("central.rejected.retention-days", 0, 3650),
                settings.integer("central.staging.retention-days", 0, 3650),
                remoteUnionDelivery(settings),
                unionCertificateName(settings),
                settings.number("central.municipalities.reload-interval-ms", 0, 3_600_000),
                acceptedAgentVersions(settings),
                settings.integer("central.rejected-agent.retry-after-seconds", 1, 3600),
                ConfigurationDigest.of(settings));
    }

    private static boolean remoteUnionDelivery(Settings settings) {
        String key = "central.union.delivery";
        String value = settings.text(key);
        if (!value.equals("local") && !value.equals("remote")) {
            throw settings.invalid(key, value, "local to write delivered files into central.union-root, or remote to"
                    + " keep them queued for the union's agent (agent.mode=union)");
        }
        return value.equals("remote");
    }

    private static String unionCertificateName(Settings settings) {
        String key = "central.union.certificate-name";
        String value = settings.text(key);
        if (value.isBlank() || value.matches("[0-9]{6}") || !value.matches("[\\p{Graph} ]{1,64}")) {
            throw settings.invalid(key, value, "the subject common name of the union agent's client certificate, 1 to"
                    + " 64 printable characters and not six digits, so that it never names a municipality");
        }
        return value;
    }

    private static List<String> acceptedAgentVersions(Settings settings) {
        String key = "central.accepted-agent-versions";
        List<String> versions = AcceptedAgentVersions.parse(settings.text(key, ""));
        if (versions == null) {
            throw settings.invalid(key, settings.text(key, ""), "agent versions of 1 to 64 letters, digits and ._+-"
                    + " separated by commas, such as 1.4.2,1.5.0, or nothing to accept every version");
        }
        return versions;
    }

    private static HaRole haRole(Settings settings) {
        String key = "central.ha.role";
        String value = settings.text(key);
        try {
            return HaRole.parse(value);
        } catch (IllegalArgumentException e) {
            throw settings.invalid(key, value, "none for a single server, or primary or backup for the two nodes of a"
                    + " pair that share central.data-dir on shared storage");
        }
    }

    /** Reads SHA-256 fingerprints as lowercase hex without colons, so they compare with a computed fingerprint. */
    private static Set<String> acceleratorFingerprints(Settings settings) {
        String key = "central.accelerator.certificate-fingerprints";
        Set<String> fingerprints = new LinkedHashSet<>();
        for (String value : settings.list(key)) {
            String hex = value.replace(":", "").toLowerCase(Locale.ROOT);
            if (!SHA256_HEX.matcher(hex).matches()) {
                throw settings.invalid(key, value, "comma-separated SHA-256 fingerprints of the accelerator's client"
                        + " certificates, 64 hexadecimal digits each (colons allowed), or nothing when no accelerator"
                        + " is in front of the window server");
            }
            fingerprints.add(hex);
        }
        return Collections.unmodifiableSet(fingerprints);
    }

    private static String headerName(Settings settings, String key) {
        String value = settings.text(key);
        if (!HEADER_NAME.matcher(value).matches()) {
            throw settings.invalid(key, value, "an HTTP header name (an RFC 9110 token without spaces or"
                    + " colons), such as X-Client-Certificate");
        }
        return value;
    }

    private static Path revokedCertificates(Settings settings) {
        String file = settings.text("central.revoked-certificates", "");
        return file.isEmpty() ? null : Path.of(file).toAbsolutePath();
    }

    private static List<Municipality> served(Settings settings, MunicipalityDirectory directory) {
        String key = "central.municipalities";
        String value = settings.text(key);
        if (value.equals("all")) {
            return directory.members();
        }
        if (value.startsWith("prefecture:")) {
            List<Municipality> members = directory.membersOfPrefecture(value.substring("prefecture:".length()));
            if (members.isEmpty()) {
                throw settings.invalid(key, value, "prefecture:NN with a two-digit prefecture number from 01 to 47");
            }
            return members;
        }
        List<Municipality> members = new ArrayList<>();
        for (String code : settings.list(key)) {
            Municipality member;
            try {
                member = directory.member(MunicipalityCode.of(code));
            } catch (IllegalArgumentException e) {
                throw settings.invalid(key, code, "member municipality codes (" + e.getMessage() + ")");
            }
            if (members.contains(member)) {
                throw settings.invalid(key, value, "each municipality code once, but " + code + " is listed twice");
            }
            members.add(member);
        }
        if (members.isEmpty()) {
            throw settings.invalid(key, value, "all, prefecture:NN or a comma-separated list of six-digit codes");
        }
        return List.copyOf(members);
    }

    public static CentralSettings load(Path file) throws IOException {
        return from(Settings.load(DEFAULTS, file));
    }

    public List<MunicipalityCode> codes() {
        return municipalities.stream().map(Municipality::code).toList();
    }

    public Path inbound(MunicipalityCode code) {
        return unionRoot.resolve("inbound").resolve(code.value());
    }

    /** The folder of conversion reports and notes on delivered files of one municipality. */
    public Path reports(MunicipalityCode code) {
        return unionRoot.resolve("reports").resolve(code.value());
    }

    public Path rejected(MunicipalityCode code) {
        return unionRoot.resolve("rejected").resolve(code.value());
    }

    /** Returns {@code union/outbound/}, whose subfolders {@code <code>/} and {@code all/} the union fills. */
    public Path outboundRoot() {
        return unionRoot.resolve("outbound");
    }

    /** Returns where a queued outbound file moves: {@code union/outbound-sent/<code or all>/}. */
    public Path outboundSent(String folder) {
        return unionRoot.resolve("outbound-sent").resolve(folder);
    }

    /** Returns where a refused outbound file moves beside its reason: {@code union/outbound-error/<code or all>/}. */
    public Path outboundError(String folder) {
        return unionRoot.resolve("outbound-error").resolve(folder);
    }

    /** Returns {@code union/manifests/}, with one folder of daily delivery lists per date. */
    public Path manifests() {
        return unionRoot.resolve("manifests");
    }
}
