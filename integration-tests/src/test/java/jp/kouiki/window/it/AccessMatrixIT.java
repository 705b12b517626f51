package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.activemq.artemis.api.core.client.ClientConsumer;
import org.apache.activemq.artemis.api.core.client.ClientProducer;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.Municipality;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.TlsMaterial;
import jp.kouiki.window.transfer.FileManifest;

/**
 * Tries every pair (A, B) of 20 municipalities: over HTTPS with A's client certificate on B's upload and download
 * paths, and over an in-VM broker session opened as A's broker user on B's queues. Only A = B may succeed.
 */
class AccessMatrixIT {

    private static final int MUNICIPALITIES = 20;

    @TempDir
    Path root;

    @Test
    void onlyTheOwnMunicipalityIsReachable() throws Exception {
        List<MunicipalityCode> codes = MunicipalityDirectory.bundled().membersOfPrefecture("13").stream()
                .limit(MUNICIPALITIES).map(Municipality::code).toList();
        List<String> unexpected = new ArrayList<>();
        int tried = 0;
        int denied = 0;
        try (WindowSystem system = new WindowSystem(root, codes)) {
            system.startCentral(false);
            KeyMaterialLayout keys = new KeyMaterialLayout(system.keys());
            for (MunicipalityCode caller : codes) {
                HttpClient client = HttpClient.newBuilder()
                        .sslContext(TlsMaterial.clientContext(keys.clientKeystore(caller), keys.truststore()))
                        .connectTimeout(Duration.ofSeconds(5)).build();
                try (ClientSession session = system.centralBroker().openMunicipalitySession(caller, false)) {
                    session.start();
                    for (MunicipalityCode target : codes) {
                        Map<String, Boolean> results = attempts(system, keys, client, session, caller, target);
                        boolean own = caller.equals(target);
                        for (Map.Entry<String, Boolean> result : results.entrySet()) {
                            tried++;
                            if (!result.getValue()) {
                                denied++;
                            }
                            if (result.getValue() != own) {
                                unexpected.add(caller + " -> " + target + " " + result.getKey()
                                        + (result.getValue() ? " allowed" : " denied"));
                            }
                        }
                    }
                }
            }
            for (MunicipalityCode code : codes) {
                assertThat(system.centralMessages(QueueNames.upload(code))).as("messages left for %s", code)
                        .isEqualTo(1);
                assertThat(system.centralMessages(QueueNames.download(code))).as("downloads left for %s", code)
                        .isEqualTo(1);
            }
        }
        int operations = tried / (MUNICIPALITIES * MUNICIPALITIES);
        System.out.printf("access matrix: %d municipalities, %d pairs, %d operations tried, %d denied%n",
                MUNICIPALITIES, MUNICIPALITIES * MUNICIPALITIES, tried, denied);
        assertThat(unexpected).isEmpty();
        assertThat(denied).isEqualTo(MUNICIPALITIES * (MUNICIPALITIES - 1) * operations);
    }

    /** Returns, per operation, whether {@code caller} was allowed to do it on {@code target}'s resources. */
    private static Map<String, Boolean> attempts(WindowSystem system, KeyMaterialLayout keys, HttpClient client,
            ClientSession session, MunicipalityCode caller, MunicipalityCode target) throws Exception {
        Map<String, Boolean> results = new LinkedHashMap<>();
        String uploads = "https://localhost:" + system.port + "/window/v1/municipalities/" + target + "/uploads";
        String fileId = String.format("%032x", Long.parseLong(caller.value() + target.value()));
        HttpResponse<String> announce = send(client, HttpRequest.newBuilder(URI.create(uploads))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(announceBody(keys, caller, target, fileId))).build());
        results.put("https announce", announce.statusCode() != 403);
        HttpResponse<String> offset = send(client, HttpRequest.newBuilder(URI.create(uploads + "/" + fileId))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
        results.put("https offset", offset.statusCode() != 403);
        HttpResponse<String> chunk = send(client, HttpRequest.newBuilder(URI.create(uploads + "/" + fileId))
                .header("Content-Range", "bytes 0-0/*")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[1])).build());
        results.put("https chunk", chunk.statusCode() != 403);
        String downloads = "https://localhost:" + system.port + "/window/v1/municipalities/" + target + "/downloads";
        HttpResponse<String> next = send(client, HttpRequest.newBuilder(URI.create(downloads + "/next?waitMs=0"))
                .GET().build());
        results.put("https download next", next.statusCode() != 403);
        HttpResponse<String> ack = send(client, HttpRequest.newBuilder(URI.create(downloads + "/" + fileId + "/ack"))
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        results.put("https download ack", ack.statusCode() != 403);

        results.put("broker send", allowed(() -> {
            try (ClientProducer producer = session.createProducer(QueueNames.upload(target))) {
                producer.send(session.createMessage(true));
            }
        }));
        results.put("broker send download", allowed(() -> {
            try (ClientProducer producer = session.createProducer(QueueNames.download(target))) {
                producer.send(session.createMessage(true));
            }
        }));
        results.put("broker consume", allowed(() -> session.createConsumer(QueueNames.download(target)).close()));
        results.put("broker browse download", allowed(() -> browse(session, QueueNames.download(target))));
        results.put("broker browse upload", allowed(() -> browse(session, QueueNames.upload(target))));
        results.put("broker browse dead-letter", allowed(() -> browse(session, QueueNames.deadLetter(target))));
        return results;
    }

    /**
     * Sends a request, once more on a new connection when the first attempt fails: the server closes a kept-alive
     * connection after refusing a request whose body it did not read, and the client may already have reused it.
     */
    private static HttpResponse<String> send(HttpClient client, HttpRequest request) throws Exception {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException closedConnection) {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }

    private static void browse(ClientSession session, String queue) throws Exception {
        try (ClientConsumer browser = session.createConsumer(queue, true)) {
            browser.receiveImmediate();
        }
    }

    private static boolean allowed(BrokerOperation operation) {
        try {
            operation.run();
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @FunctionalInterface
    private interface BrokerOperation {
        void run() throws Exception;
    }

    private static String announceBody(KeyMaterialLayout keys, MunicipalityCode signer, MunicipalityCode owner,
            String fileId) throws Exception {
        return DirectUploader.announceBody(keys, signer, new FileManifest(fileId, owner.value(),
                owner + "_POSTAL_20261204.csv", 1, "0".repeat(64), "POSTAL", "2026-12-04T09:00:00+09:00"));
    }
}
