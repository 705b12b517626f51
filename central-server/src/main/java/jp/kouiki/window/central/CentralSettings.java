package jp.kouiki.window.central;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import jp.kouiki.window.config.Settings;
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
        int maxThreads,
        boolean deliveryEnabled,
        int deliveryWorkers,
        long pollIntervalMillis,
        int ledgerRetentionDays,
        int brokerInVmId,
        String journalType) {

    public static final String DEFAULTS = "/central-defaults.properties";

    public static CentralSettings from(Settings settings) throws IOException {
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
                settings.integer("central.window.max-threads", 8, 1000),
                settings.flag("central.delivery.enabled"),
                settings.integer("central.delivery.workers", 1, 64),
                settings.number("central.delivery.poll-interval-ms", 10, 600_000),
                settings.integer("central.delivery.ledger-retention-days", 1, 3650),
                settings.integer("central.broker.in-vm-id", 0, 1_000_000),
                settings.text("central.broker.journal-type"));
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
            try {
                members.add(directory.member(MunicipalityCode.of(code)));
            } catch (IllegalArgumentException e) {
                throw settings.invalid(key, code, "member municipality codes (" + e.getMessage() + ")");
            }
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

    public Path rejected(MunicipalityCode code) {
        return unionRoot.resolve("rejected").resolve(code.value());
    }
}
