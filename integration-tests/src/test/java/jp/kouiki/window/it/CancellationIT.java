package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.transfer.FileManifest;

/**
 * An operator cancels files through the operator API: a file held at the agent by a closed schedule leaves the queue
 * and lands in the agent's cancelled folder with a reason, a partial upload is dropped and its next chunk rejected,
 * a received file is answered with 409, and no municipality sees or reports another's cancellations.
 */
class CancellationIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path root;

    @Test
    void queuedFileCancelledAtAgent() throws Exception {
        String cancelled = "131016_POSTAL_20261204.csv";
        String kept = "131016_POSTAL_20261205.csv";
        String flowing = "131024_POSTAL_20261204.csv";
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA, CHUO))) {
            OperatorApiIT.addAccounts(system);
            system.startCentral();
            system.startAgent(agentWithClosedSchedule());
            system.drop(CHIYODA, cancelled, TestFiles.postalRecords("13101"));
            system.drop(CHIYODA, kept, TestFiles.postalRecords("13101"));
            system.drop(CHUO, flowing, TestFiles.postalRecords("13102"));
            await("both Chiyoda files held in the agent's queue").atMost(TIMEOUT)
                    .until(() -> system.agentMessages(QueueNames.upload(CHIYODA)) == 2);
            OperatorHttp actor = OperatorHttp.to(system);
            actor.signIn(OperatorApiIT.ACTOR, OperatorApiIT.ACTOR_PASSWORD);

            OperatorHttp.Response requested = actor.post("/operator/api/municipalities/131016/cancellations",
                    "{\"fileName\": \"" + cancelled + "\", \"reason\": \"誤送信 / sent by mistake\\nfileId: forged\"}");

            assertEquals(200, requested.status(), requested.body());
            assertEquals("requested", requested.json().path("state").asText());
            Path cancelledFolder = system.agentFolders().resolve("cancelled").resolve(CHIYODA.value());
            await("cancelled file moved to the agent's cancelled folder").atMost(TIMEOUT)
                    .until(() -> namesIn(cancelledFolder).stream().anyMatch(name -> name.endsWith("_" + cancelled)));
            await("only the other file stays queued").atMost(TIMEOUT)
                    .until(() -> system.agentMessages(QueueNames.upload(CHIYODA)) == 1);
            Path reason = Files.list(cancelledFolder).filter(path -> path.toString().endsWith(".reason")).findFirst()
                    .orElseThrow();
            String reasonText = Files.readString(reason, StandardCharsets.UTF_8);
            assertThat(reasonText).contains("広域連合の運用者 " + OperatorApiIT.ACTOR + " が ")
                    .contains("Union operator " + OperatorApiIT.ACTOR + " cancelled this file at ")
                    .contains("誤送信 / sent by mistake fileId: forged")
                    .contains("file: " + cancelled)
                    .doesNotContain("\nfileId: forged");
            String id = requested.json().path("id").asText();
            await("cancellation reported done by the agent").atMost(TIMEOUT).until(() -> cancellation(actor,
                    "131016", id).path("state").asText().equals("cancelled"));
            JsonNode done = cancellation(actor, "131016", id);
            assertEquals(cancelled, done.path("files").path(0).path("fileName").asText());
            system.central().operator().flushHistory(Duration.ofSeconds(10));
            JsonNode history = actor.get("/operator/api/transfers?municipality=131016&outcome=cancelled").json();
            assertEquals(1, history.size(), history.toString());
            assertEquals(cancelled, history.path(0).path("fileName").asText());
            await("the other municipality's file flows").atMost(TIMEOUT)
                    .until(() -> Files.exists(system.inbound(CHUO).resolve(flowing)));
            await("the cancelled file never reaches the union").during(Duration.ofSeconds(2)).atMost(TIMEOUT)
                    .until(() -> !Files.exists(system.inbound(CHIYODA).resolve(cancelled))
                            && system.agentMessages(QueueNames.upload(CHIYODA)) == 1);

            OperatorHttp.Response late = actor.post("/operator/api/municipalities/131024/cancellations",
                    "{\"fileName\": \"" + flowing + "\"}");

            assertEquals(409, late.status(), late.body());
            assertThat(late.json().path("error").asText()).contains("already received");
            assertThat(late.json().path("action").asText()).startsWith("the central server delivers it from its queue;"
                    + " pause municipality 131024 to hold it there");
            String flowingId = actor.get("/operator/api/transfers?municipality=131024").json().path(0)
                    .path("fileId").asText();
            assertEquals(409, actor.post("/operator/api/municipalities/131024/cancellations",
                    "{\"fileId\": \"" + flowingId + "\"}").status());
            assertEquals(400, actor.post("/operator/api/municipalities/131024/cancellations",
                    "{\"fileName\": \"" + cancelled + "\"}").status());
        }
    }

    @Test
    void partialUploadDroppedAndIsolated() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA, CHUO))) {
            OperatorApiIT.addAccounts(system);
            system.startCentral();
            OperatorHttp actor = OperatorHttp.to(system);
            actor.signIn(OperatorApiIT.ACTOR, OperatorApiIT.ACTOR_PASSWORD);
            KeyMaterialLayout keys = new KeyMaterialLayout(system.keys());
            DirectUploader uploader = new DirectUploader(keys, system.port);
            HttpClient chuo = uploader.client(CHUO);
            byte[] plaintext = TestFiles.postalRecords("13102");
            FileManifest manifest = DirectUploader.manifest(CHUO, "131024_POSTAL_20261206.csv", plaintext);
            byte[] ciphertext = uploader.encrypt(CHUO, manifest.fileId(), plaintext);
            assertEquals(200, uploader.announce(chuo, CHUO, manifest).statusCode());
            int half = ciphertext.length / 2;
            assertEquals(200, chunk(system, chuo, manifest.fileId(), ciphertext, 0, half, false).statusCode());
            Path partial = system.centralData().resolve("uploads").resolve(CHUO.value()).resolve(manifest.fileId());
            assertThat(partial).isDirectory();

            OperatorHttp.Response requested = actor.post("/operator/api/municipalities/131024/cancellations",
                    "{\"fileId\": \"" + manifest.fileId() + "\"}");

            assertEquals(200, requested.status(), requested.body());
            assertThat(partial).doesNotExist();
            HttpResponse<String> next = chunk(system, chuo, manifest.fileId(), ciphertext, half, ciphertext.length,
                    true);
            assertEquals(410, next.statusCode(), next.body());
            assertThat(next.body()).contains("\"state\":\"cancelled\"").contains(OperatorApiIT.ACTOR);
            assertEquals(410, uploader.announce(chuo, CHUO, manifest).statusCode());
            String chuoId = requested.json().path("id").asText();

            OperatorHttp chiyoda = OperatorHttp.withCertificate(system, keys.clientKeystore(CHIYODA), system.port);
            assertEquals(403, chiyoda.get("/window/v1/municipalities/131024/cancellations").status());
            assertEquals(403, chiyoda.post("/window/v1/municipalities/131024/cancellations/" + chuoId,
                    "{\"files\": []}").status());
            assertEquals(404, chiyoda.post("/window/v1/municipalities/131016/cancellations/" + chuoId,
                    "{\"files\": []}").status());
            OperatorHttp.Response own = chiyoda.get("/window/v1/municipalities/131016/cancellations");
            assertEquals(200, own.status());
            assertEquals(0, own.json().path("cancellations").size(), own.body());
            OperatorHttp chuoAgent = OperatorHttp.withCertificate(system, keys.clientKeystore(CHUO), system.port);
            assertEquals(1, chuoAgent.get("/window/v1/municipalities/131024/cancellations").json()
                    .path("cancellations").size());
            system.stopCentral();
            system.startCentral();
            OperatorHttp again = OperatorHttp.to(system);
            again.signIn(OperatorApiIT.ACTOR, OperatorApiIT.ACTOR_PASSWORD);
            assertEquals("requested", cancellation(again, "131024", chuoId).path("state").asText());
            assertEquals(410, uploader.announce(uploader.client(CHUO), CHUO, manifest).statusCode());
            JsonNode audit = again.get("/operator/api/audit").json();
            assertThat(audit.toString()).contains("\"action\":\"cancel\"").contains("131024/" + manifest.fileId());
        }
    }

    private static HttpResponse<String> chunk(WindowSystem system, HttpClient client, String fileId, byte[] ciphertext,
            int from, int to, boolean last) throws Exception {
        String total = last ? Integer.toString(ciphertext.length) : "*";
        return client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + system.port
                        + "/window/v1/municipalities/131024/uploads/" + fileId))
                .header("Content-Range", "bytes " + from + "-" + (to - 1) + "/" + total)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(Arrays.copyOfRange(ciphertext, from, to))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode cancellation(OperatorHttp operator, String code, String id) throws Exception {
        for (JsonNode item : operator.get("/operator/api/municipalities/" + code + "/cancellations").json()) {
            if (item.path("id").asText().equals(id)) {
                return item;
            }
        }
        throw new AssertionError("no cancellation " + id + " of " + code);
    }

    private static List<String> namesIn(Path folder) throws Exception {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(path -> path.getFileName().toString()).toList();
        }
    }

    private static Properties agentWithClosedSchedule() {
        Properties agent = new Properties();
        agent.setProperty("agent.schedules", "yearly");
        agent.setProperty("agent.schedule.yearly.cron", "0 3 1 1 *");
        agent.setProperty("agent.schedule.yearly.length-minutes", "5");
        agent.setProperty("agent.schedule.yearly.releases", "folder:131016");
        agent.setProperty("agent.cancellation.poll-interval-ms", "300");
        return agent;
    }
}
