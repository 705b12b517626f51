package jp.kouiki.window.central;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.config.Settings;
import jp.kouiki.window.municipality.MunicipalityCode;

class InboundReportsTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final String FILE_ID = "0123456789abcdef0123456789abcdef";
    private static final String SHA256 = "ab".repeat(32);

    @TempDir
    Path root;

    private CentralSettings settings(boolean doneMarkers, boolean manifests) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("central.municipalities", "131016");
        properties.setProperty("central.union-root", root.resolve("union").toString());
        properties.setProperty("central.inbound.done-markers", Boolean.toString(doneMarkers));
        properties.setProperty("central.inbound.daily-manifests", Boolean.toString(manifests));
        return CentralSettings.from(Settings.of(CentralSettings.DEFAULTS, properties));
    }

    private static InboundReports.DeliveredFile file(String name) {
        return new InboundReports.DeliveredFile(CHIYODA, FILE_ID, name, 1234, SHA256, "POSTAL");
    }

    private Path todaysList(String kind) {
        String day = LocalDate.now(ZoneId.of("Asia/Tokyo")).format(DateTimeFormatter.ofPattern("yyyyMMdd"));
        return root.resolve("union/manifests").resolve(day).resolve(kind + ".csv");
    }

    @Test
    void doneMarkerHoldsDigestAndName() throws Exception {
        CentralSettings settings = settings(true, false);
        Path delivered = Files.createDirectories(settings.inbound(CHIYODA)).resolve("131016_POSTAL_20261204.csv");
        Files.writeString(delivered, "x");

        new InboundReports(settings).delivered(file("131016_POSTAL_20261204.csv"), false);

        assertThat(delivered.resolveSibling("131016_POSTAL_20261204.csv.done"))
                .hasContent(SHA256 + "  131016_POSTAL_20261204.csv");
        assertThat(root.resolve("union/manifests")).doesNotExist();
    }

    @Test
    void staleDoneMarkerIsReplaced() throws Exception {
        CentralSettings settings = settings(true, false);
        Path delivered = Files.createDirectories(settings.inbound(CHIYODA)).resolve("131016_POSTAL_20261204.csv");
        Files.writeString(delivered, "x");
        Path marker = delivered.resolveSibling("131016_POSTAL_20261204.csv.done");
        Files.writeString(marker, "0".repeat(64) + "  131016_POSTAL_20261204.csv\n");

        new InboundReports(settings).delivered(file("131016_POSTAL_20261204.csv"), false);

        assertThat(marker).hasContent(SHA256 + "  131016_POSTAL_20261204.csv");
    }

    @Test
    void noDoneMarkerForAFileAlreadyTaken() throws Exception {
        CentralSettings settings = settings(true, false);
        Files.createDirectories(settings.inbound(CHIYODA));

        new InboundReports(settings).delivered(file("131016_POSTAL_20261204.csv"), true);

        assertThat(settings.inbound(CHIYODA).resolve("131016_POSTAL_20261204.csv.done")).doesNotExist();
    }

    @Test
    void dailyListHasOneLinePerFile() throws Exception {
        InboundReports reports = new InboundReports(settings(false, true));

        reports.delivered(file("131016_POSTAL_20261204.csv"), false);
        reports.delivered(new InboundReports.DeliveredFile(CHIYODA, "fedcba9876543210fedcba9876543210",
                "131016_POSTAL_a,b.csv", 5, SHA256, "POSTAL"), false);

        List<String> lines = Files.readAllLines(todaysList("POSTAL"), StandardCharsets.UTF_8);
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).isEqualTo(InboundReports.MANIFEST_HEADER);
        assertThat(lines.get(1)).startsWith("131016,131016_POSTAL_20261204.csv,1234," + SHA256 + ",")
                .endsWith("," + FILE_ID);
        assertThat(lines.get(2)).startsWith("131016,\"131016_POSTAL_a,b.csv\",5,");
        assertThat(Files.readString(todaysList("POSTAL"))).contains("\r\n");
    }

    @Test
    void recoveredDeliveryIsListedOnce() throws Exception {
        InboundReports reports = new InboundReports(settings(false, true));

        reports.delivered(file("131016_POSTAL_20261204.csv"), false);
        reports.delivered(file("131016_POSTAL_20261204.csv"), true);

        assertThat(Files.readAllLines(todaysList("POSTAL"))).hasSize(2);
    }

    @Test
    void cutLineIsEndedFirst() throws Exception {
        InboundReports reports = new InboundReports(settings(false, true));
        reports.delivered(file("131016_POSTAL_20261204.csv"), false);
        Files.writeString(todaysList("POSTAL"), "131016,cut", StandardOpenOption.APPEND);

        reports.delivered(new InboundReports.DeliveredFile(CHIYODA, "fedcba9876543210fedcba9876543210",
                "131016_POSTAL_20261205.csv", 7, SHA256, "POSTAL"), false);

        List<String> lines = Files.readAllLines(todaysList("POSTAL"));
        assertThat(lines).hasSize(4);
        assertThat(lines.get(2)).isEqualTo("131016,cut");
        assertThat(lines.get(3)).startsWith("131016,131016_POSTAL_20261205.csv,7,");
    }

    @Test
    void nothingIsWrittenByDefault() throws Exception {
        CentralSettings settings = CentralSettings.from(Settings.of(CentralSettings.DEFAULTS, new Properties()));

        assertThat(settings.downloads().inboundDoneMarkers()).isFalse();
        assertThat(settings.downloads().dailyManifests()).isFalse();
    }
}
