package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.central.operator.OperatorAccounts;
import jp.kouiki.window.central.operator.OperatorRole;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * The central server's release schedule holds the union's broadcast files in {@code union/outbound/all/} while its
 * window is closed, lets files it does not select go at once, explains to operators why the held file waits, and releases
 * the held files when it opens.
 */
class OutboundScheduleIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final String VIEWER = "viewer";
    private static final String VIEWER_PASSWORD = "viewer password 2026";

    @TempDir
    Path root;

    @Test
    void broadcastWaitsForNightlyWindow() throws Exception {
        byte[] broadcast = "master,common to all\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] own = "131016,own\r\n".getBytes(StandardCharsets.US_ASCII);
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            OperatorAccounts.put(system.operatorAccounts(), VIEWER, OperatorRole.VIEWER, VIEWER_PASSWORD.toCharArray());
            system.startCentral(schedule("0 3 1 1 *", "5"));
            system.startAgent();
            Path held = system.placeOutbound("all", "MASTER_20261204.csv", broadcast);
            system.placeOutbound(CHIYODA.value(), "131016_KYUFU_20261204.csv", own);

            Path ownInInbox = system.inbox(CHIYODA).resolve("131016_KYUFU_20261204.csv");
            Path commonInInbox = system.inbox(CHIYODA).resolve("131016_MASTER_20261204.csv");
            await("file outside the schedule in the inbox").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(ownInInbox));
            await("broadcast stays in union/outbound/all/ while the window is closed")
                    .during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                    .until(() -> Files.exists(held) && !Files.exists(commonInInbox));
            OperatorHttp viewer = OperatorHttp.to(system);
            assertThat(viewer.signIn(VIEWER, VIEWER_PASSWORD).status()).isEqualTo(200);
            JsonNode why = viewer.get("/operator/api/why").json();
            System.out.println("why: " + why);
            assertThat(why).hasSize(1);
            assertThat(why.get(0).path("code").asText()).isEqualTo("131016");
            assertThat(why.get(0).path("sentence").asText())
                    .contains("配信スケジュール nightly の枠を待っています")
                    .contains("wait in the union's folder for release schedule nightly")
                    .contains("union/outbound/all/MASTER_20261204.csv");
            system.stopCentral();
            system.startCentral(schedule("* * * * *", "1440"));

            await("broadcast in the inbox once the window is open").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(commonInInbox));
            assertThat(commonInInbox).hasBinaryContent(broadcast);
            assertThat(held).doesNotExist();
            assertThat(TestFiles.countFiles(system.inbox(CHIYODA))).isEqualTo(2);
        }
    }

    private static Properties schedule(String cron, String lengthMinutes) {
        Properties central = new Properties();
        central.setProperty("central.outbound.schedules", "nightly");
        central.setProperty("central.outbound.schedule.nightly.cron", cron);
        central.setProperty("central.outbound.schedule.nightly.length-minutes", lengthMinutes);
        central.setProperty("central.outbound.schedule.nightly.releases", "folder:all");
        return central;
    }
}
