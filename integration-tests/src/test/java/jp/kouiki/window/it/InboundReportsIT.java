package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.FileIds;

/** With reports switched on, each delivered file gets a done-marker and a line in the day's list of its IF kind. */
class InboundReportsIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");

    @TempDir
    Path root;

    @Test
    void reportsListDeliveredFiles() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            Properties reports = new Properties();
            reports.setProperty("central.inbound.done-markers", "true");
            reports.setProperty("central.inbound.daily-manifests", "true");
            system.startCentral(reports);
            system.startAgent();
            byte[] records = TestFiles.postalRecords(CHIYODA.fiveDigits());
            List<String> names = List.of("131016_POSTAL_20261204.csv", "131016_POSTAL_20261205.csv");
            for (String name : names) {
                system.drop(CHIYODA, name, records);
            }

            String sha256 = FileIds.hex(FileIds.sha256().digest(records));
            for (String name : names) {
                Path marker = system.inbound(CHIYODA).resolve(name + ".done");
                await("done-marker of " + name).atMost(Duration.ofSeconds(30)).until(() -> Files.exists(marker));
                assertThat(system.inbound(CHIYODA).resolve(name)).hasBinaryContent(records);
                assertThat(marker).hasContent(sha256 + "  " + name);
            }
            String day = LocalDate.now(ZoneId.of("Asia/Tokyo")).format(DateTimeFormatter.ofPattern("yyyyMMdd"));
            List<String> lines = Files.readAllLines(root.resolve("union/manifests").resolve(day).resolve("POSTAL.csv"),
                    StandardCharsets.UTF_8);
            assertThat(lines).hasSize(3);
            assertThat(lines.get(0)).startsWith("municipality,file_name,size_bytes,sha256");
            assertThat(lines.subList(1, 3)).allSatisfy(line -> assertThat(line)
                    .startsWith("131016,131016_POSTAL_2026120").contains("," + records.length + "," + sha256 + ","));
        }
    }
}
