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
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;

/** A file held by a closed schedule stays durably queued and is shown as waiting; it is sent once the schedule opens. */
class ScheduleIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");

    @TempDir
    Path root;

    @Test
    void heldFileWaitsThenGoesWhenScheduleOpens() throws Exception {
        String name = "131016_POSTAL_20261204.csv";
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startCentral();
            system.startAgent(schedule("0 3 1 1 *", "5"));
            Path status = system.agentData().resolve("status.txt");

            system.drop(CHIYODA, name, TestFiles.postalRecords("13101"));
            await("file held in the agent's queue").atMost(Duration.ofSeconds(20))
                    .until(() -> system.agentMessages(QueueNames.upload(CHIYODA)) == 1);
            await("file stays queued while the schedule is closed").during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> system.agentMessages(QueueNames.upload(CHIYODA)) == 1
                            && !Files.exists(system.inbound(CHIYODA).resolve(name)));
            await("status shows the file waiting for its schedule").atMost(Duration.ofSeconds(10))
                    .until(() -> Files.exists(status) && Files.readString(status, StandardCharsets.UTF_8)
                            .contains("waiting for schedule yearly: 1 files, opens "));
            System.out.println("schedule status:\n" + Files.readString(status, StandardCharsets.UTF_8));
            system.stopAgent();
            system.startAgent(schedule("* * * * *", "1440"));

            await("file delivered once its schedule is open").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(system.inbound(CHIYODA).resolve(name)));
            assertThat(TestFiles.countFiles(system.inbound(CHIYODA))).isEqualTo(1);
        }
    }

    private static Properties schedule(String cron, String lengthMinutes) {
        Properties agent = new Properties();
        agent.setProperty("agent.schedules", "yearly");
        agent.setProperty("agent.schedule.yearly.cron", cron);
        agent.setProperty("agent.schedule.yearly.length-minutes", lengthMinutes);
        agent.setProperty("agent.schedule.yearly.releases", "folder:131016");
        agent.setProperty("agent.status.interval-ms", "200");
        return agent;
    }
}
