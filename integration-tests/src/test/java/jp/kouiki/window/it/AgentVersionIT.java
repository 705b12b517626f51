package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import jp.kouiki.window.agent.MunicipalAgent;
import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.central.CentralServer;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;

/**
 * Versions and configuration digests of a real central server and agent as operators see them, and an agent whose
 * version the server does not accept: its files wait at the agent until the accepted list changes.
 */
class AgentVersionIT {

    private static final MunicipalityCode CHIYODA = OperatorApiIT.CHIYODA;
    private static final MunicipalityCode CHUO = OperatorApiIT.CHUO;
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path root;

    @Test
    void versionsAndDigestsInApiAndCommand() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA, CHUO))) {
            OperatorApiIT.addAccounts(system);
            CentralServer central = system.startCentral();
            MunicipalAgent agent = system.startAgent();
            system.drop(CHIYODA, "131016_POSTAL_20261204.csv", TestFiles.postalRecords("13101"));
            await("file delivered").atMost(TIMEOUT).until(() -> TestFiles.countFiles(system.inbound(CHIYODA)) == 1);
            OperatorHttp viewer = OperatorHttp.to(system);
            viewer.signIn(OperatorApiIT.VIEWER, OperatorApiIT.VIEWER_PASSWORD);
            await("both municipalities' agent seen").atMost(TIMEOUT).until(() -> viewer.get("/operator/api/versions")
                    .json().path("summary").path("agentsSeen").asInt() == 2);

            JsonNode report = viewer.get("/operator/api/versions").json();

            String agentDigest = agent.settings().configDigest();
            assertThat(agentDigest).matches("[0-9a-f]{64}");
            assertEquals(CentralServer.VERSION, report.path("central").path("version").asText());
            assertEquals(central.settings().configDigest(), report.path("central").path("configDigest").asText());
            assertEquals("none", report.path("central").path("role").asText());
            assertThat(report.path("acceptedAgentVersions")).isEmpty();
            assertEquals(agent.version(), report.path("majorityVersion").asText());
            for (JsonNode row : report.path("agents")) {
                assertEquals(agent.version(), row.path("version").asText());
                assertEquals(agentDigest, row.path("configDigest").asText());
                assertEquals(agent.instanceId(), row.path("instance").asText());
                assertThat(row.path("configDigestOutdated").asBoolean()).isFalse();
                assertThat(row.path("versionNotAccepted").asBoolean()).isFalse();
                assertThat(row.path("versionDiffersFromMajority").asBoolean()).isFalse();
            }
            assertEquals(1, report.path("summary").path("configDigests").asInt());
            assertEquals(1, report.path("summary").path("instances").asInt());
            assertEquals(0, report.path("summary").path("versionNotAccepted").asInt());
            JsonNode status = viewer.get("/operator/api/municipalities/131016").json().path("status");
            assertEquals(agentDigest, status.path("agentConfigDigest").asText());
            assertThat(status.path("agentVersionNotAccepted").asBoolean()).isFalse();

            Path password = Files.writeString(root.resolve("viewer.password"), OperatorApiIT.VIEWER_PASSWORD);
            OperatorCommandIT.Run versions = OperatorCommandIT.run(system, OperatorApiIT.VIEWER, password,
                    "versions");
            assertEquals(0, versions.exitCode(), versions.err());
            assertThat(versions.out()).contains("version=" + CentralServer.VERSION)
                    .contains("configDigest=" + central.settings().configDigest())
                    .contains("すべて/any")
                    .contains("受付外/not accepted 0")
                    .contains("131016  " + agent.version())
                    .contains(agentDigest)
                    .contains("千代田区").contains("中央区");

            system.stopAgent();
            Properties changed = new Properties();
            changed.setProperty("agent.upload.workers", "2");
            String changedDigest = system.startAgent(changed).settings().configDigest();
            assertThat(changedDigest).isNotEqualTo(agentDigest);
            await("changed digest reported").atMost(TIMEOUT).until(() -> viewer.get("/operator/api/versions").json()
                    .path("agents").findValuesAsText("configDigest").stream().allMatch(changedDigest::equals));

            system.stopAgent();
            changed.setProperty("agent.municipalities", CHIYODA.value());
            String chiyodaOnly = system.startAgent(changed).settings().configDigest();
            await("Chiyoda's new digest reported").atMost(TIMEOUT).until(() -> chiyodaOnly.equals(viewer
                    .get("/operator/api/municipalities/131016").json().path("status").path("agentConfigDigest")
                    .asText()));
            JsonNode chuo = viewer.get("/operator/api/municipalities/131024").json().path("status");
            assertEquals(changedDigest, chuo.path("agentConfigDigest").asText());
            assertThat(chuo.path("agentConfigDigestOutdated").asBoolean()).isTrue();
            assertEquals(1, viewer.get("/operator/api/versions").json().path("summary").path("configDigestOutdated")
                    .asInt());
            assertThat(OperatorCommandIT.run(system, OperatorApiIT.VIEWER, password, "versions").out())
                    .contains("OUTDATED-CONFIG");
        }
    }

    @Test
    void rejectedVersionWaitsUntilAccepted() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA));
                LogCapture log = LogCapture.warnings()) {
            OperatorApiIT.addAccounts(system);
            Path caps = root.resolve("admission-caps.properties");
            Properties central = new Properties();
            central.setProperty("central.accepted-agent-versions", "9.9.0,9.9.1");
            central.setProperty("central.rejected-agent.retry-after-seconds", "1");
            central.setProperty("central.admission.caps-file", caps.toString());
            system.startCentral(central);
            Properties agentSettings = new Properties();
            agentSettings.setProperty("agent.status.interval-ms", "1000");
            MunicipalAgent agent = system.startAgent(agentSettings);
            system.drop(CHIYODA, "131016_POSTAL_20261204.csv", TestFiles.postalRecords("13101"));

            await("file queued at the agent").atMost(TIMEOUT)
                    .until(() -> system.agentMessages(QueueNames.upload(CHIYODA)) == 1);
            await("file stays at the agent").during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(10))
                    .until(() -> TestFiles.countFiles(system.inbound(CHIYODA)) == 0
                            && system.agentMessages(QueueNames.upload(CHIYODA)) == 1);
            assertEquals(0, TestFiles.countFiles(root.resolve("agent-folders/error/131016")));
            List<String> errors = log.linesContaining("does not accept this agent's version");
            assertThat(errors).hasSize(1);
            assertThat(errors.get(0)).startsWith("ERROR").contains("accepted versions: 9.9.0, 9.9.1")
                    .contains("version=" + agent.version());
            await("status file shows the rejection").atMost(TIMEOUT).until(() -> Files.readString(
                    system.agentData().resolve("status.txt"), StandardCharsets.UTF_8).contains("does not accept"));
            assertThat(Files.readString(system.agentData().resolve("status.txt"), StandardCharsets.UTF_8))
                    .contains("does not accept this agent's version").contains("9.9.0, 9.9.1");

            OperatorHttp municipality = OperatorHttp.withCertificate(system,
                    new KeyMaterialLayout(system.keys()).clientKeystore(CHIYODA), system.port);
            OperatorHttp.Response rejected = municipality.get("/window/v1/municipalities/131016/downloads/next");
            assertEquals(426, rejected.status());
            JsonNode body = rejected.json();
            assertEquals("agent-version-not-accepted", body.path("state").asText());
            assertThat(body.path("acceptedVersions").toString()).isEqualTo("[\"9.9.0\",\"9.9.1\"]");
            assertThat(body.path("error").asText()).contains("accepted versions: 9.9.0, 9.9.1");
            assertThat(body.path("action").asText()).contains("install one of the accepted versions");

            OperatorHttp viewer = OperatorHttp.to(system);
            viewer.signIn(OperatorApiIT.VIEWER, OperatorApiIT.VIEWER_PASSWORD);
            JsonNode status = viewer.get("/operator/api/municipalities/131016").json();
            assertThat(status.path("status").path("agentVersionNotAccepted").asBoolean()).isTrue();
            assertThat(status.path("why").path("sentence").asText()).contains("Agent version " + agent.version()
                    + " is not accepted; accepted: 9.9.0, 9.9.1");
            assertEquals(1, viewer.get("/operator/api/versions").json().path("summary").path("versionNotAccepted")
                    .asInt());
            Path password = Files.writeString(root.resolve("viewer.password"), OperatorApiIT.VIEWER_PASSWORD);
            OperatorCommandIT.Run why = OperatorCommandIT.run(system, OperatorApiIT.VIEWER, password, "why");
            assertThat(why.out()).contains("131016 千代田区:").contains("は受け付けられません")
                    .contains("accepted: 9.9.0, 9.9.1");
            assertThat(OperatorCommandIT.run(system, OperatorApiIT.VIEWER, password, "versions").out())
                    .contains("NOT-ACCEPTED");

            Files.writeString(caps, "accepted-agent-versions=9.9.1," + agent.version() + "\n", StandardCharsets.UTF_8);
            Files.setLastModifiedTime(caps, FileTime.from(Instant.now().plusSeconds(1)));

            await("file delivered after the list changed").atMost(TIMEOUT)
                    .until(() -> TestFiles.countFiles(system.inbound(CHIYODA)) == 1);
            await("flag cleared").atMost(TIMEOUT).until(() -> !viewer.get("/operator/api/municipalities/131016")
                    .json().path("status").path("agentVersionNotAccepted").asBoolean());
            assertThat(viewer.get("/operator/api/why").json()).isEmpty();
        }
    }
}
