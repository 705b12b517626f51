package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.central.operator.OperatorAccounts;
import jp.kouiki.window.central.operator.OperatorRole;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;
import jp.kouiki.window.security.KeyMaterialLayout;

/**
 * The operator API over real HTTPS against a central server and an agent that upload real files. It covers the views,
 * the history, metrics, sign-in and its audit, roles, municipality certificates and crafted paths, and the actions
 * pause, resume and retry.
 */
class OperatorApiIT {

    static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    static final String ACTOR = "yamada.taro";
    static final String ACTOR_PASSWORD = "yamada password for tests";
    static final String VIEWER = "suzuki.hanako";
    static final String VIEWER_PASSWORD = "suzuki password for tests";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path root;

    /** Creates the two test accounts in the system's accounts file. */
    static void addAccounts(WindowSystem system) throws Exception {
        OperatorAccounts.put(system.operatorAccounts(), ACTOR, OperatorRole.ACTOR, ACTOR_PASSWORD.toCharArray());
        OperatorAccounts.put(system.operatorAccounts(), VIEWER, OperatorRole.VIEWER, VIEWER_PASSWORD.toCharArray());
    }

    @Test
    void viewsHistoryMetricsAndSignInRules() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA, CHUO))) {
            addAccounts(system);
            Properties central = new Properties();
            central.setProperty("central.alert.check-interval-seconds", "1");
            system.startCentral(central);
            system.startAgent();
            byte[] first = TestFiles.postalRecords("13101");
            system.drop(CHIYODA, "131016_POSTAL_20261204.csv", first);
            system.drop(CHIYODA, "131016_POSTAL_20261205.csv", TestFiles.postalRecords("13101"));
            system.drop(CHUO, "131024_POSTAL_20261204.csv", TestFiles.postalRecords("13102"));
            await("three files delivered").atMost(TIMEOUT).until(() -> TestFiles.countFiles(system.inbound(CHIYODA))
                    + TestFiles.countFiles(system.inbound(CHUO)) == 3);
            OperatorHttp viewer = OperatorHttp.to(system);
            assertEquals(200, viewer.signIn(VIEWER, VIEWER_PASSWORD).status());

            await("history shows the deliveries").atMost(TIMEOUT).until(() -> viewer
                    .get("/operator/api/transfers?outcome=delivered").json().size() == 3);
            JsonNode chiyoda = chiyoda(viewer);
            assertThat(chiyoda.path("name").asText()).isEqualTo("千代田区");
            assertThat(chiyoda.path("uploadMessages").asLong()).isZero();
            assertThat(chiyoda.path("deadLetters").asLong()).isZero();
            assertThat(chiyoda.path("paused").asBoolean()).isFalse();
            assertThat(chiyoda.path("deliveredTodayBytes").asLong()).isPositive();
            assertThat(chiyoda.path("lastDeliveredAt").asText()).endsWith("+09:00");
            assertThat(chiyoda.path("agentLastSeenAt").asText()).endsWith("+09:00");
            assertThat(chiyoda.path("agentVersion").asText()).isEqualTo("0.1.0-SNAPSHOT");

            JsonNode transfers = viewer.get("/operator/api/transfers?municipality=131016&name=20261204").json();
            assertThat(transfers).hasSize(1);
            JsonNode transfer = transfers.get(0);
            assertThat(transfer.path("fileName").asText()).isEqualTo("131016_POSTAL_20261204.csv");
            assertThat(transfer.path("ifKind").asText()).isEqualTo("POSTAL");
            assertThat(transfer.path("size").asLong()).isEqualTo(first.length);
            assertThat(transfer.path("sha256").asText()).isEqualTo(HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(first)));
            assertThat(transfer.path("outcome").asText()).isEqualTo("delivered");
            assertThat(transfer.path("announcedAt").isTextual()).isTrue();
            assertThat(transfer.path("storedAt").isTextual()).isTrue();
            assertThat(transfer.path("deliveredAt").isTextual()).isTrue();
            assertThat(viewer.get("/operator/api/transfers?outcome=delivered").json()).hasSize(3);
            assertThat(viewer.get("/operator/api/transfers?outcome=rejected").json()).isEmpty();
            assertThat(viewer.get("/operator/api/transfers?from=2000-01-01&to=2000-12-31").json()).isEmpty();
            assertThat(viewer.get("/operator/api/transfers/" + transfer.path("fileId").asText()).json()
                    .path("fileName").asText()).isEqualTo("131016_POSTAL_20261204.csv");
            assertThat(viewer.get("/operator/api/why").json()).isEmpty();

            String metrics = viewer.getWithBasic("/metrics", VIEWER, VIEWER_PASSWORD).body();
            assertThat(metrics).contains("window_queue_messages{municipality=\"131016\",queue=\"upload\"} 0.0")
                    .contains("window_delivery_delivered_total{municipality=\"131016\"} 2.0")
                    .contains("window_delivery_bytes_total{municipality=\"131016\"}")
                    .contains("window_transfer_latency_seconds_count{municipality=\"131016\"} 2");

            assertEquals(403, viewer.post("/operator/api/municipalities/131016/pause", "{}").status());
            OperatorHttp stranger = OperatorHttp.to(system);
            assertEquals(401, stranger.signIn(ACTOR, "not the password").status());
            assertEquals(401, stranger.get("/operator/api/municipalities").status());
            assertEquals(401, stranger.getWithBasic("/metrics", VIEWER, "wrong").status());
            OperatorHttp actor = OperatorHttp.to(system);
            assertEquals(200, actor.signIn(ACTOR, ACTOR_PASSWORD).status());
            assertEquals(403, actor.post("/operator/api/municipalities/131016/pause", "{}", false).status());
            JsonNode audit = actor.get("/operator/api/audit").json();
            assertThat(audit.findValuesAsText("result")).contains("ok", "failed", "denied");
            assertThat(audit).anySatisfy(entry -> {
                assertThat(entry.path("operator").asText()).isEqualTo(ACTOR);
                assertThat(entry.path("action").asText()).isEqualTo("sign-in");
                assertThat(entry.path("result").asText()).isEqualTo("failed");
            });
            assertThat(audit).anySatisfy(entry -> {
                assertThat(entry.path("operator").asText()).isEqualTo(VIEWER);
                assertThat(entry.path("action").asText()).isEqualTo("pause");
                assertThat(entry.path("target").asText()).isEqualTo("131016");
                assertThat(entry.path("result").asText()).isEqualTo("denied");
            });

            assertEquals(404, actor.post("/operator/api/municipalities/999999/pause", "{}").status());
            assertEquals(400, actor.post("/operator/api/municipalities/131016/pause", "{not json").status());
            JsonNode refused = actor.get("/operator/api/audit").json();
            assertThat(refused).anySatisfy(entry -> {
                assertThat(entry.path("operator").asText()).isEqualTo(ACTOR);
                assertThat(entry.path("action").asText()).isEqualTo("pause");
                assertThat(entry.path("target").asText()).isEqualTo("999999");
                assertThat(entry.path("result").asText()).isEqualTo("not-found");
            });
            assertThat(refused).anySatisfy(entry -> {
                assertThat(entry.path("operator").asText()).isEqualTo(ACTOR);
                assertThat(entry.path("target").asText()).isEqualTo("131016");
                assertThat(entry.path("result").asText()).isEqualTo("invalid");
                assertThat(entry.path("detail").asText()).startsWith("400 ");
            });
        }
    }

    @Test
    void expectedFileMissingRaisesAlert() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA));
                LogCapture log = LogCapture.warnings()) {
            addAccounts(system);
            Properties central = new Properties();
            central.setProperty("central.alert.check-interval-seconds", "1");
            system.startCentral(central);
            OperatorHttp actor = OperatorHttp.to(system);
            actor.signIn(ACTOR, ACTOR_PASSWORD);

            OperatorHttp.Response declared = actor.post("/operator/api/expected-files",
                    "{\"municipality\":\"131016\",\"ifKind\":\"JUKI\",\"dueTime\":\"00:00\"}");

            assertEquals(200, declared.status());
            await("missing expected file alert").atMost(Duration.ofSeconds(20))
                    .until(() -> !log.linesContaining("WINDOW-ALERT expected file missing: municipality=131016"
                            + " ifKind=JUKI").isEmpty());
            assertEquals(400, actor.post("/operator/api/expected-files",
                    "{\"municipality\":\"131016\",\"ifKind\":\"JUKI\",\"dueTime\":\"25:00\"}").status());
        }
    }

    @Test
    void municipalityCertificateAndCraftedPathsReachNothing() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            addAccounts(system);
            system.startCentral();
            Path municipalityKeystore = new KeyMaterialLayout(system.keys()).clientKeystore(CHIYODA);
            OperatorHttp municipality = OperatorHttp.withCertificate(system, municipalityKeystore,
                    system.operatorPort);

            assertEquals(401, municipality.get("/operator/api/municipalities").status());
            assertEquals(401, municipality.get("/metrics").status());
            assertEquals(401, municipality.get("/window/v1/municipalities/131016/uploads").status());
            OperatorHttp onWindowPort = OperatorHttp.withCertificate(system, municipalityKeystore, system.port);
            assertEquals(404, onWindowPort.get("/operator/").status());
            assertEquals(404, onWindowPort.get("/metrics").status());

            OperatorHttp actor = OperatorHttp.to(system);
            actor.signIn(ACTOR, ACTOR_PASSWORD);
            String keyset = Files.readString(new KeyMaterialLayout(system.keys()).encryptionKeyset(CHIYODA));
            for (String path : List.of("/operator/../keys/truststore.p12", "/operator/%2e%2e/%2e%2e/etc/passwd",
                    "/operator/..%2f..%2foperator-accounts", "/operator/index.html/../../operator-accounts",
                    "/operator/api/transfers/..%2F..%2Fkeys", "/operator/api/municipalities/131016/../../../keys",
                    "/operator/%2fetc%2fpasswd", "/operator//etc/passwd", "/operator/operator-accounts",
                    "/operator/WEB-INF/web.xml", "/operator/api/municipalities/131016/files/keyset.json")) {
                OperatorHttp.Response response = actor.get(path);
                assertThat(response.status()).as(path).isIn(400, 404);
                assertThat(response.body()).as(path).doesNotContain("pbkdf2").doesNotContain("root:")
                        .doesNotContain(keyset.substring(0, 40));
            }
            assertEquals(200, actor.get("/operator/").status());
            assertEquals(404, actor.get("/window/v1/municipalities/131016/uploads").status());
        }
    }

    @Test
    void pauseHoldsFilesAndResumeLetsThemFlow() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA, CHUO))) {
            addAccounts(system);
            system.startCentral();
            system.startAgent();
            OperatorHttp actor = OperatorHttp.to(system);
            actor.signIn(ACTOR, ACTOR_PASSWORD);

            JsonNode paused = actor.post("/operator/api/municipalities/131016/pause", "{\"reason\":\"maintenance\"}")
                    .json();
            assertThat(paused.path("changed").asBoolean()).isTrue();
            assertThat(system.centralData().resolve("operator/paused/131016")).exists();
            system.drop(CHIYODA, "131016_POSTAL_20261204.csv", TestFiles.postalRecords("13101"));
            system.drop(CHUO, "131024_POSTAL_20261204.csv", TestFiles.postalRecords("13102"));

            await("other municipality delivered").atMost(TIMEOUT)
                    .until(() -> TestFiles.countFiles(system.inbound(CHUO)) == 1);
            await("paused file stays queued").atMost(TIMEOUT)
                    .until(() -> system.centralMessages(QueueNames.upload(CHIYODA)) == 1);
            await("paused file not delivered").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                    .until(() -> TestFiles.countFiles(system.inbound(CHIYODA)) == 0);
            JsonNode why = actor.get("/operator/api/why").json();
            assertThat(why).hasSize(1);
            assertThat(why.get(0).path("code").asText()).isEqualTo("131016");
            assertThat(why.get(0).path("sentence").asText()).contains("操作者 " + ACTOR)
                    .contains("Operator " + ACTOR + " paused delivery").contains("maintenance");
            JsonNode status = actor.get("/operator/api/municipalities/131016").json().path("status");
            assertThat(status.path("pausedBy").asText()).isEqualTo(ACTOR);
            assertThat(status.path("uploadMessages").asLong()).isEqualTo(1);
            assertThat(status.path("oldestWaitingFile").asText()).isEqualTo("131016_POSTAL_20261204.csv");

            assertThat(actor.post("/operator/api/municipalities/131016/resume", "{}").json().path("changed")
                    .asBoolean()).isTrue();

            await("resumed file delivered").atMost(TIMEOUT)
                    .until(() -> TestFiles.countFiles(system.inbound(CHIYODA)) == 1);
            assertThat(system.centralData().resolve("operator/paused/131016")).doesNotExist();
            JsonNode audit = actor.get("/operator/api/audit").json();
            assertThat(audit.findValuesAsText("action")).contains("pause", "resume", "sign-in");
        }
    }

    @Test
    void deadLetterRetryAfterRestart() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            addAccounts(system);
            system.startAgent();
            system.drop(CHIYODA, "131016_POSTAL_20261204.csv", TestFiles.postalRecords("13101"));
            await("file queued at the agent").atMost(TIMEOUT)
                    .until(() -> system.agentMessages(QueueNames.upload(CHIYODA)) == 1);
            Path keyset = new KeyMaterialLayout(system.keys()).encryptionKeyset(CHIYODA);
            byte[] rightKeyset = Files.readAllBytes(keyset);
            Files.delete(keyset);
            new DevCredentialGenerator(system.keys()).generate(List.of(CHIYODA), List.of());
            system.startCentral();
            await("file dead-lettered").atMost(TIMEOUT)
                    .until(() -> system.centralMessages(QueueNames.deadLetter(CHIYODA)) == 1);
            OperatorHttp actor = OperatorHttp.to(system);
            actor.signIn(ACTOR, ACTOR_PASSWORD);
            await("rejection in the history").atMost(TIMEOUT).until(() -> actor
                    .get("/operator/api/transfers?outcome=rejected").json().size() == 1);
            JsonNode why = actor.get("/operator/api/why").json().get(0);
            assertThat(why.path("sentence").asText()).contains("退避キュー").contains("dead-letter queue")
                    .contains("does not decrypt with the keyset of 131016");
            String fileId = actor.get("/operator/api/municipalities/131016/dead-letters").json().get(0)
                    .path("fileId").asText();

            system.stopCentral();
            Files.write(keyset, rightKeyset);
            system.startCentral();
            OperatorHttp again = OperatorHttp.to(system);
            again.signIn(ACTOR, ACTOR_PASSWORD);
            JsonNode rejected = again.get("/operator/api/transfers/" + fileId).json();
            assertThat(rejected.path("outcome").asText()).isEqualTo("rejected");
            assertThat(rejected.path("reason").asText()).contains("does not decrypt");
            assertThat(again.get("/operator/api/municipalities/131016").json().path("status").path("deadLetters")
                    .asLong()).isEqualTo(1);

            OperatorHttp.Response cancelled = again.post("/operator/api/municipalities/131016/cancellations",
                    "{\"fileId\":\"" + fileId + "\"}");
            assertEquals(409, cancelled.status());
            assertThat(cancelled.json().path("action").asText()).contains("purge the dead letters of 131016");

            JsonNode retried = again.post("/operator/api/municipalities/131016/dead-letters/" + fileId + "/retry",
                    "{}").json();

            assertThat(retried.path("changed").asBoolean()).isTrue();
            await("retried file delivered").atMost(TIMEOUT)
                    .until(() -> TestFiles.countFiles(system.inbound(CHIYODA)) == 1);
            assertThat(system.centralMessages(QueueNames.deadLetter(CHIYODA))).isZero();
            await("delivery in the history").atMost(TIMEOUT).until(() -> again.get("/operator/api/transfers/"
                    + fileId).json().path("outcome").asText().equals("delivered"));
            JsonNode delivered = again.get("/operator/api/transfers/" + fileId).json();
            assertThat(delivered.path("retriedAt").isTextual()).isTrue();
            assertThat(delivered.path("rejectedAt").isTextual()).isTrue();
            OperatorHttp.Response retriedAgain = again.post("/operator/api/municipalities/131016/dead-letters/"
                    + fileId + "/retry", "{}");
            assertEquals(404, retriedAgain.status());
            assertThat(retriedAgain.json().path("action").asText()).contains("dead-letters");
            assertEquals(400, again.post("/operator/api/municipalities/131016/dead-letters/purge", "{}").status());
            assertEquals(200, again.post("/operator/api/municipalities/131016/dead-letters/purge?confirm=131016",
                    "{}").status());
        }
    }

    @Test
    void refusedDownloadRetriesToDownloadQueue() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            addAccounts(system);
            system.startCentral();
            system.placeOutbound(CHIYODA.value(), "131016_KYUFU_20261204.csv",
                    "refused once\r\n".getBytes(StandardCharsets.US_ASCII));
            await("download queued").atMost(TIMEOUT)
                    .until(() -> system.centralMessages(QueueNames.download(CHIYODA)) == 1);
            OperatorHttp viewer = OperatorHttp.to(system);
            viewer.signIn(VIEWER, VIEWER_PASSWORD);
            JsonNode queued = viewer.get("/operator/api/municipalities/131016/downloads").json().get(0);
            assertThat(queued.path("state").asText()).isEqualTo("queued");
            assertThat(queued.path("fileName").asText()).isEqualTo("131016_KYUFU_20261204.csv");
            DirectDownloader downloader = new DirectDownloader(new KeyMaterialLayout(system.keys()), system.port);
            HttpClient agent = downloader.client(CHIYODA);
            String fileId = downloader.open(CHIYODA, downloader.next(agent, CHIYODA)).manifest().fileId();
            assertEquals(200, downloader.acknowledgeRefused(agent, CHIYODA, fileId, "inbox folder missing")
                    .statusCode());
            await("refused download dead-lettered").atMost(TIMEOUT)
                    .until(() -> system.centralMessages(QueueNames.deadLetter(CHIYODA)) == 1);
            JsonNode refused = viewer.get("/operator/api/municipalities/131016/downloads").json().get(0);
            assertThat(refused.path("state").asText()).isEqualTo("refused");
            assertThat(refused.path("fileId").asText()).isEqualTo(fileId);
            assertThat(refused.path("fileName").asText()).isEqualTo("131016_KYUFU_20261204.csv");
            assertThat(refused.path("reason").asText()).contains("inbox folder missing");
            OperatorHttp actor = OperatorHttp.to(system);
            actor.signIn(ACTOR, ACTOR_PASSWORD);
            JsonNode listed = actor.get("/operator/api/municipalities/131016/dead-letters").json().get(0);
            assertThat(listed.path("fileName").asText()).isEqualTo("131016_KYUFU_20261204.csv");
            assertThat(listed.path("download").asBoolean()).isTrue();
            assertThat(listed.path("queuedAt").asText()).endsWith("+09:00");
            assertThat(actor.get("/operator/api/why").json().get(0).path("sentence").asText())
                    .contains("agent refused or an operator withdrew").contains("outbound-error/131016/");

            JsonNode retried = actor.post("/operator/api/municipalities/131016/dead-letters/" + fileId + "/retry",
                    "{}").json();

            assertThat(retried.path("changed").asBoolean()).isTrue();
            assertThat(retried.path("english").asText()).contains("back in the download queue of 131016");
            await("download back in its queue").atMost(TIMEOUT)
                    .until(() -> system.centralMessages(QueueNames.download(CHIYODA)) == 1
                            && system.centralMessages(QueueNames.deadLetter(CHIYODA)) == 0);
            assertThat(system.centralMessages(QueueNames.upload(CHIYODA))).isZero();
            DirectDownloader.Download again = downloader.open(CHIYODA, downloader.next(agent, CHIYODA));
            assertThat(again.manifest().fileId()).isEqualTo(fileId);
            assertThat(again.plaintext()).isEqualTo("refused once\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(200, downloader.acknowledge(agent, CHIYODA, fileId).statusCode());
            assertThat(system.centralMessages(QueueNames.download(CHIYODA))).isZero();
            JsonNode written = viewer.get("/operator/api/municipalities/131016/downloads").json().get(0);
            assertThat(written.path("state").asText()).isEqualTo("received");
            assertThat(written.path("fileId").asText()).isEqualTo(fileId);
            assertThat(written.path("size").asLong()).isEqualTo(14);
            assertThat(written.path("at").asText()).endsWith("+09:00");
            assertThat(viewer.get("/operator/api/municipalities/131016/downloads").json()).as("latest state only")
                    .hasSize(1);
        }
    }

    @Test
    void cancelWithdrawsQueuedDownload() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            addAccounts(system);
            system.startCentral();
            String name = "131016_KYUFU_20261205.csv";
            system.placeOutbound(CHIYODA.value(), name, "sent by mistake\r\n".getBytes(StandardCharsets.US_ASCII));
            await("download queued").atMost(TIMEOUT)
                    .until(() -> system.centralMessages(QueueNames.download(CHIYODA)) == 1);
            OperatorHttp actor = OperatorHttp.to(system);
            actor.signIn(ACTOR, ACTOR_PASSWORD);

            JsonNode withdrawn = actor.post("/operator/api/municipalities/131016/cancellations",
                    "{\"fileName\":\"" + name + "\",\"reason\":\"wrong month\"}").json();

            assertThat(withdrawn.path("changed").asBoolean()).isTrue();
            assertThat(withdrawn.path("download").asBoolean()).isTrue();
            assertThat(withdrawn.path("english").asText()).contains("withdrawn from the download queue of 131016");
            await("download moved to the dead-letter queue").atMost(TIMEOUT)
                    .until(() -> system.centralMessages(QueueNames.download(CHIYODA)) == 0
                            && system.centralMessages(QueueNames.deadLetter(CHIYODA)) == 1);
            List<Path> reasons = DownloadIT.regularFiles(root.resolve("union/outbound-error/131016"));
            assertThat(reasons).singleElement().satisfies(reason -> assertThat(Files.readString(reason,
                    StandardCharsets.UTF_8)).contains("withdrawn by an operator").contains("wrong month"));
            String fileId = withdrawn.path("fileId").asText();
            actor.post("/operator/api/municipalities/131016/dead-letters/" + fileId + "/retry", "{}");
            await("download back in its queue").atMost(TIMEOUT)
                    .until(() -> system.centralMessages(QueueNames.download(CHIYODA)) == 1);

            actor.post("/operator/api/municipalities/131016/cancellations", "{\"fileId\":\"" + fileId + "\"}");
            await("download withdrawn again").atMost(TIMEOUT)
                    .until(() -> system.centralMessages(QueueNames.deadLetter(CHIYODA)) == 1);
            assertEquals(200, actor.post("/operator/api/municipalities/131016/dead-letters/purge?confirm=131016",
                    "{}").status());
            assertThat(actor.get("/operator/api/audit").json()).anySatisfy(entry -> {
                assertThat(entry.path("action").asText()).isEqualTo("purge");
                assertThat(entry.path("detail").asText()).contains("removed=1").contains(fileId);
            });
        }
    }

    @Test
    void lockedAccountOverBasicGets429() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            addAccounts(system);
            system.startCentral();
            OperatorHttp client = OperatorHttp.to(system);
            for (int attempt = 1; attempt <= 5; attempt++) {
                assertEquals(401, client.getWithBasic("/operator/api/me", VIEWER, "wrong " + attempt).status());
            }

            OperatorHttp.Response locked = client.getWithBasic("/operator/api/me", VIEWER, VIEWER_PASSWORD);

            assertEquals(429, locked.status());
            assertThat(locked.json().path("error").asText()).contains("locked");
        }
    }

    @Test
    void jettyErrorsAreJson() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            addAccounts(system);
            system.startCentral();

            OperatorHttp.Response hugeHeader = OperatorHttp.to(system).getWithBasic("/operator/api/municipalities",
                    VIEWER, "x".repeat(20_000));

            assertEquals(431, hugeHeader.status());
            assertThat(hugeHeader.json().path("error").asText()).isEqualTo("Request Header Fields Too Large");
            assertThat(hugeHeader.json().path("action").asText()).contains("shorter headers");
        }
    }

    private static JsonNode chiyoda(OperatorHttp client) throws Exception {
        for (JsonNode status : client.get("/operator/api/municipalities").json()) {
            if (status.path("code").asText().equals("131016")) {
                return status;
            }
        }
        throw new AssertionError("131016 missing from the municipality list");
    }
}
