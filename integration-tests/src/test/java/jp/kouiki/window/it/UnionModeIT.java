package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.agent.AgentSettings;
import jp.kouiki.window.agent.MunicipalAgent;
import jp.kouiki.window.agent.UnionAgent;
import jp.kouiki.window.central.CentralServer;
import jp.kouiki.window.central.CentralSettings;
import jp.kouiki.window.config.Settings;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.ManifestSignatures;
import jp.kouiki.window.security.SigningKeys;
import jp.kouiki.window.security.TlsMaterial;
import jp.kouiki.window.transfer.DownloadManifest;

/**
 * Union mode with real HTTPS on loopback: who may use the union's paths, and the way of files for three
 * municipalities through a window server that keeps them (central.union.delivery=remote) and the union's agent
 * (agent.mode=union). A municipality's certificate is refused on every union path, the union agent's certificate on
 * every municipality path, and a window server that delivers locally refuses the union's agent.
 */
class UnionModeIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final MunicipalityCode MINATO = MunicipalityCode.of("131032");
    private static final List<MunicipalityCode> CODES = List.of(CHIYODA, CHUO, MINATO);
    private static final String FILE_ID = "0123456789abcdef0123456789abcdef";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path root;

    private final List<AutoCloseable> running = new ArrayList<>();
    private KeyMaterialLayout keys;
    private int port;

    @AfterEach
    void stopEverything() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) {
            running.get(i).close();
        }
    }

    @Test
    void municipalityCertificateIsRefusedOnEveryUnionPath() throws Exception {
        startCentral("remote");
        HttpClient chiyoda = client(keys.clientKeystore(CHIYODA));
        String base = "/window/v1/union/municipalities/" + CHIYODA;

        for (HttpResponse<String> response : List.of(
                send(chiyoda, "GET", base + "/inbound/next?waitMs=0", null),
                send(chiyoda, "POST", base + "/inbound/" + FILE_ID + "/ack", "{\"outcome\":\"written\"}"),
                send(chiyoda, "PUT", base + "/downloads/" + FILE_ID, "ciphertext"))) {
            assertThat(response.statusCode()).as(response.uri().toString()).isEqualTo(403);
            assertThat(response.body()).contains("for the union's agent only");
        }
    }

    @Test
    void unionCertificateCannotActAsMunicipality() throws Exception {
        startCentral("remote");
        HttpClient union = client(keys.unionClientKeystore());
        String base = "/window/v1/municipalities/" + CHIYODA;

        for (HttpResponse<String> response : List.of(
                send(union, "GET", base + "/downloads/next?waitMs=0", null),
                send(union, "POST", base + "/uploads", "{}"),
                send(union, "GET", base + "/uploads/" + FILE_ID, null),
                send(union, "POST", base + "/downloads/" + FILE_ID + "/ack", "{\"outcome\":\"written\"}"))) {
            assertThat(response.statusCode()).as(response.uri().toString()).isEqualTo(403);
            assertThat(response.body()).contains("may not act as a municipality");
        }
        HttpResponse<String> otherServer = send(union, "GET", "/window/v1/union/municipalities/131041/inbound/next",
                null);
        assertThat(otherServer.statusCode()).isEqualTo(404);
        assertThat(otherServer.body()).contains("municipality 131041 is not served by this window server");
    }

    @Test
    void localDeliveryRefusesUnionAgent() throws Exception {
        startCentral("local");
        HttpResponse<String> response = send(client(keys.unionClientKeystore()), "GET",
                "/window/v1/union/municipalities/" + CHIYODA + "/inbound/next", null);

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).contains("central.union.delivery=local");
    }

    @Test
    void downloadNotSignedByTheUnionIsRefused() throws Exception {
        startCentral("remote");
        DownloadManifest manifest = DownloadManifest.of(FILE_ID, CHIYODA, CHIYODA + "_KYUFU_20261204.csv", 10,
                "0".repeat(64), "KYUFU", false, "2026-12-04T09:00:00+09:00");
        byte[] json = manifest.toJson();
        // Signed with a municipality's key, whose public half the window server has, not with the union's.
        String signature = ManifestSignatures.sign(json, SigningKeys.readPrivateKey(keys.signingPrivateKey(CHIYODA)));
        HttpResponse<String> response = client(keys.unionClientKeystore()).send(HttpRequest.newBuilder(
                URI.create("https://127.0.0.1:" + port + "/window/v1/union/municipalities/" + CHIYODA + "/downloads/"
                        + FILE_ID))
                .header("Window-Manifest", Base64.getEncoder().encodeToString(json))
                .header("Window-Signature", signature)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[64])).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).contains("does not verify with the union's signing key");
    }

    /**
     * Files of three municipalities reach only their own folders at the union, each union file reaches only its
     * municipality's inbox, a file for all reaches every inbox, and no plaintext is stored at the window server.
     */
    @Test
    void filesCrossBothWaysThroughUnionAgent() throws Exception {
        startCentral("remote");
        startMunicipalAgent();
        UnionAgent union = new UnionAgent(AgentSettings.from(Settings.of(AgentSettings.DEFAULTS,
                unionAgentProperties()))).start();
        running.add(union);
        Path unionSite = root.resolve("union-site");

        List<byte[]> uploads = new ArrayList<>();
        for (MunicipalityCode code : CODES) {
            byte[] content = TestFiles.postalRecords(code.fiveDigits());
            uploads.add(content);
            drop(root.resolve("agent/outbox").resolve(code.value()), code + "_POSTAL_20261204.csv", content);
            drop(unionSite.resolve("outbound").resolve(code.value()), code + "_KYUFU_20261204.csv",
                    ("for " + code + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        drop(unionSite.resolve("outbound/all"), "KYOTSU_20261204.csv",
                "for everyone\r\n".getBytes(StandardCharsets.UTF_8));

        for (int i = 0; i < CODES.size(); i++) {
            MunicipalityCode code = CODES.get(i);
            Path delivered = unionSite.resolve("inbound").resolve(code.value()).resolve(code + "_POSTAL_20261204.csv");
            await("delivery of " + delivered).atMost(TIMEOUT).until(() -> Files.exists(delivered));
            assertThat(delivered).hasBinaryContent(uploads.get(i));
            Path inbox = root.resolve("agent/inbox").resolve(code.value());
            await("downloads for " + code).atMost(TIMEOUT).until(() -> Files.exists(inbox.resolve(code
                    + "_KYOTSU_20261204.csv")) && Files.exists(inbox.resolve(code + "_KYUFU_20261204.csv")));
            assertThat(inbox.resolve(code + "_KYUFU_20261204.csv")).hasContent("for " + code + "\r\n");
            assertThat(inbox.resolve(code + "_KYOTSU_20261204.csv")).hasContent("for everyone\r\n");
        }
        assertThat(ProcessSystem.regularFiles(unionSite.resolve("inbound")).stream()
                .filter(file -> !file.toString().contains("/.part/")).toList()).hasSize(CODES.size());
        assertThat(ProcessSystem.regularFiles(root.resolve("agent/inbox"))).hasSize(2 * CODES.size());
        assertThat(ProcessSystem.regularFiles(unionSite.resolve("outbound-sent"))).hasSize(CODES.size() + 1);
        assertThat(ProcessSystem.regularFiles(root.resolve("central/union/inbound"))).isEmpty();
        for (int i = 0; i < CODES.size(); i++) {
            byte[] firstRecord = java.util.Arrays.copyOf(uploads.get(i), 60);
            assertThat(TestFiles.filesContaining(root.resolve("central"), firstRecord))
                    .as("files at the window server with plaintext of %s", CODES.get(i)).isEmpty();
        }
        assertThat(TestFiles.filesContaining(root.resolve("central"), "for everyone".getBytes(StandardCharsets.UTF_8)))
                .as("files at the window server with the union's plaintext").isEmpty();
    }

    /**
     * A fourth municipality added to the window server, the union's agent and the municipality's agent by saving their
     * configuration files: its files cross both ways through the union's agent without a restart.
     */
    @Test
    void municipalityAddedAtRunTimeReachesTheUnion() throws Exception {
        MunicipalityCode shinjuku = MunicipalityCode.of("131041");
        Properties centralProperties = centralProperties("remote");
        centralProperties.setProperty("central.municipalities.reload-interval-ms", "200");
        new DevCredentialGenerator(keys.root()).generate(List.of(shinjuku), List.of());
        Path centralConfig = store(centralProperties, "central.properties");
        running.add(new CentralServer(CentralSettings.load(centralConfig)).watchConfiguration(centralConfig).start());
        Properties agentProperties = municipalAgentProperties();
        agentProperties.setProperty("agent.municipalities.reload-interval-ms", "200");
        Path agentConfig = store(agentProperties, "agent.properties");
        MunicipalAgent agent = new MunicipalAgent(AgentSettings.load(agentConfig)).watchConfiguration(agentConfig)
                .start();
        running.add(agent);
        Properties unionProperties = unionAgentProperties();
        unionProperties.setProperty("agent.municipalities.reload-interval-ms", "200");
        Path unionConfig = store(unionProperties, "union.properties");
        UnionAgent union = new UnionAgent(AgentSettings.load(unionConfig)).watchConfiguration(unionConfig).start();
        running.add(union);

        centralProperties.setProperty("central.municipalities", "131016,131024,131032,131041");
        store(centralProperties, "central.properties");
        unionProperties.setProperty("agent.municipalities", "131016,131024,131032,131041");
        store(unionProperties, "union.properties");
        agentProperties.setProperty("agent.municipalities", "131016,131024,131032,131041");
        store(agentProperties, "agent.properties");
        await("union agent moves 131041").atMost(TIMEOUT)
                .until(() -> union.servedMunicipalities().contains(shinjuku));
        await("municipal agent serves 131041").atMost(TIMEOUT)
                .until(() -> agent.servedMunicipalities().contains(shinjuku));
        byte[] content = TestFiles.postalRecords(shinjuku.fiveDigits());
        drop(root.resolve("agent/outbox/131041"), "131041_POSTAL_20261204.csv", content);
        drop(root.resolve("union-site/outbound/131041"), "131041_KYUFU_20261204.csv",
                "for 131041\r\n".getBytes(StandardCharsets.UTF_8));

        Path delivered = root.resolve("union-site/inbound/131041/131041_POSTAL_20261204.csv");
        await("delivery of " + delivered).atMost(TIMEOUT).until(() -> Files.exists(delivered));
        assertThat(delivered).hasBinaryContent(content);
        Path inbox = root.resolve("agent/inbox/131041/131041_KYUFU_20261204.csv");
        await("download in " + inbox).atMost(TIMEOUT).until(() -> Files.exists(inbox));
        assertThat(inbox).hasContent("for 131041\r\n");
    }

    /** Writes the properties as the named configuration file, replacing it with a newer modification time. */
    private Path store(Properties properties, String name) throws IOException {
        Path file = root.resolve(name);
        Path temporary = root.resolve("." + name + ".tmp");
        try (var out = Files.newBufferedWriter(temporary, StandardCharsets.UTF_8)) {
            properties.store(out, null);
        }
        if (Files.exists(file)) {
            Files.setLastModifiedTime(temporary, java.nio.file.attribute.FileTime.fromMillis(
                    Math.max(System.currentTimeMillis(), Files.getLastModifiedTime(file).toMillis() + 1000)));
        }
        return Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private void startCentral(String delivery) throws Exception {
        running.add(new CentralServer(CentralSettings.from(Settings.of(CentralSettings.DEFAULTS,
                centralProperties(delivery)))).start());
    }

    /** Generates the keys of the three municipalities and returns the window server's settings. */
    private Properties centralProperties(String delivery) throws Exception {
        keys = new KeyMaterialLayout(root.resolve("keys"));
        new DevCredentialGenerator(keys.root()).generate(CODES, List.of());
        port = freePort();
        Properties properties = new Properties();
        properties.setProperty("central.municipalities", "131016,131024,131032");
        properties.setProperty("central.union-root", root.resolve("central/union").toString());
        properties.setProperty("central.data-dir", root.resolve("central/data").toString());
        properties.setProperty("central.keys-dir", keys.root().toString());
        properties.setProperty("central.window.host", "127.0.0.1");
        properties.setProperty("central.window.port", Integer.toString(port));
        properties.setProperty("central.operator.port", Integer.toString(freePort()));
        properties.setProperty("central.operator.accounts-file", root.resolve("central/operators").toString());
        properties.setProperty("central.broker.in-vm-id", "310");
        properties.setProperty("central.broker.journal-type", "NIO");
        properties.setProperty("central.delivery.poll-interval-ms", "100");
        properties.setProperty("central.union.delivery", delivery);
        return properties;
    }

    private void startMunicipalAgent() throws Exception {
        running.add(new MunicipalAgent(AgentSettings.from(Settings.of(AgentSettings.DEFAULTS,
                municipalAgentProperties()))).start());
    }

    private Properties municipalAgentProperties() {
        Properties properties = new Properties();
        properties.setProperty("agent.municipalities", "131016,131024,131032");
        properties.setProperty("agent.folder-root", root.resolve("agent").toString());
        properties.setProperty("agent.data-dir", root.resolve("agent-data").toString());
        properties.setProperty("agent.keys-dir", keys.root().toString());
        properties.setProperty("agent.central-url", "https://127.0.0.1:" + port);
        properties.setProperty("agent.broker.in-vm-id", "311");
        properties.setProperty("agent.broker.journal-type", "NIO");
        properties.setProperty("agent.pickup.quiet-period-ms", "300");
        properties.setProperty("agent.pickup.poll-interval-ms", "100");
        properties.setProperty("agent.download.poll-interval-ms", "200");
        return properties;
    }

    private Properties unionAgentProperties() {
        Properties properties = new Properties();
        properties.setProperty("agent.mode", "union");
        properties.setProperty("agent.municipalities", "131016,131024,131032");
        properties.setProperty("agent.folder-root", root.resolve("union-site").toString());
        properties.setProperty("agent.data-dir", root.resolve("union-data").toString());
        properties.setProperty("agent.keys-dir", keys.root().toString());
        properties.setProperty("agent.central-url", "https://127.0.0.1:" + port);
        properties.setProperty("agent.pickup.quiet-period-ms", "300");
        properties.setProperty("agent.pickup.poll-interval-ms", "100");
        properties.setProperty("agent.download.poll-interval-ms", "200");
        return properties;
    }

    private static void drop(Path folder, String name, byte[] content) throws IOException {
        Files.createDirectories(folder);
        Path temporary = Files.write(folder.resolve("." + name + ".tmp"), content);
        Files.move(temporary, folder.resolve(name));
    }

    private HttpClient client(Path keystore) throws Exception {
        return HttpClient.newBuilder().sslContext(TlsMaterial.clientContext(keystore, keys.truststore()))
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    private HttpResponse<String> send(HttpClient client, String method, String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
