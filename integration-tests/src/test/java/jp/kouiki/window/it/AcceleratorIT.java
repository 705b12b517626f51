package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.demo.PostalCsvSplitter;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;
import jp.kouiki.window.security.DevCredentialGenerator;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.SigningKeys;
import jp.kouiki.window.security.TlsMaterial;
import jp.kouiki.window.transfer.FileManifest;

/**
 * The central server behind a real nginx from Debian as the accelerator: nginx terminates the municipalities' TLS,
 * connects to the window port with its own client certificate and forwards the municipality's certificate in
 * {@code X-Client-Certificate}. Skips when nginx is not installed, and fails then under
 * {@code -Dwindow.requireExternalTools=true}.
 */
class AcceleratorIT {

    private static final Path NGINX = Path.of("/usr/sbin/nginx");
    private static final String HEADER = "X-Client-Certificate";
    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final MunicipalityCode MINATO = MunicipalityCode.of("131032");
    private static final List<MunicipalityCode> CODES = List.of(CHIYODA, CHUO, MINATO);
    private static final String FILE_ID = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path root;

    private WindowSystem system;
    private KeyMaterialLayout keys;
    private Path nginxPrefix;
    private Process nginx;
    private int nginxPort;
    /** Whether nginx returns 404 for the requests that older central servers do not know, as those servers do. */
    private boolean asOlderCentral;

    @BeforeEach
    void startCentralBehindNginx() throws Exception {
        requireNginx();
        system = new WindowSystem(root.resolve("system"), CODES);
        keys = new KeyMaterialLayout(system.keys());
        Properties central = new Properties();
        // Written as openssl x509 -fingerprint -sha256 prints it, colons and upper case.
        central.setProperty("central.accelerator.certificate-fingerprints",
                HexFormat.ofDelimiter(":").withUpperCase().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(acceleratorCertificate().getEncoded())));
        system.startCentral(central);
        nginxPrefix = Files.createDirectories(root.resolve("nginx"));
        nginxPort = freePort();
        startNginx();
    }

    @AfterEach
    void stopNginxAndCentral() throws Exception {
        try {
            stopNginx();
        } finally {
            if (system != null) {
                system.close();
            }
        }
    }

    @Test
    void filesOfThreeMunicipalitiesTravelThroughNginx() throws Exception {
        List<PostalCsvSplitter.SplitFile> files = PostalCsvSplitter.split(
                AcceleratorIT.class.getResourceAsStream(PostalCsvSplitter.BUNDLED_TOKYO_CSV),
                Files.createDirectories(root.resolve("split")), MunicipalityDirectory.bundled(),
                LocalDate.of(2026, 12, 4)).stream().filter(file -> CODES.contains(file.code())).toList();
        assertThat(files).hasSize(3);
        Properties agent = new Properties();
        agent.setProperty("agent.central-url", "https://localhost:" + nginxPort);
        system.startAgent(agent);

        for (PostalCsvSplitter.SplitFile file : files) {
            system.drop(file.code(), file.file().getFileName().toString(), Files.readAllBytes(file.file()));
        }

        for (PostalCsvSplitter.SplitFile file : files) {
            Path delivered = system.inbound(file.code()).resolve(file.file().getFileName());
            await("delivery of " + delivered + " through nginx").atMost(Duration.ofSeconds(60))
                    .until(() -> Files.exists(delivered));
            assertThat(delivered).hasSameBinaryContentAs(file.file());
        }
        String accessLog = Files.readString(nginxPrefix.resolve("logs/access.log"), StandardCharsets.ISO_8859_1);
        for (MunicipalityCode code : CODES) {
            // Each file fits in one chunk, so it goes with its manifest in a single PUT.
            assertThat(accessLog).as("nginx access log").containsPattern("PUT /window/v1/municipalities/" + code
                    + "/uploads/[0-9a-f]{32} HTTP/1.1\" 200");
        }
    }

    @Test
    void agentFallsBackForOlderCentralServer() throws Exception {
        stopNginx();
        asOlderCentral = true;
        startNginx();
        Properties agent = new Properties();
        agent.setProperty("agent.central-url", "https://localhost:" + nginxPort);
        agent.setProperty("agent.receipt.poll-interval-ms", "300");
        system.startAgent(agent);
        // A few records, so that each file fits in one chunk and is first offered as a single request.
        String lines = new String(TestFiles.postalRecords("13101"), java.nio.charset.Charset.forName("windows-31j"));
        byte[] records = String.join("\r\n", java.util.Arrays.copyOf(lines.split("\r\n"), 20)).concat("\r\n")
                .getBytes(java.nio.charset.Charset.forName("windows-31j"));

        for (int i = 1; i <= 3; i++) {
            system.drop(CHIYODA, "131016_POSTAL_2026120" + i + ".csv", records);
        }

        await("receipts of three delivered files").atMost(Duration.ofSeconds(60))
                .until(() -> receipts(system.sent(CHIYODA)) == 3);
        for (int i = 1; i <= 3; i++) {
            assertThat(system.inbound(CHIYODA).resolve("131016_POSTAL_2026120" + i + ".csv")).hasBinaryContent(records);
        }
        String accessLog = Files.readString(nginxPrefix.resolve("logs/access.log"), StandardCharsets.ISO_8859_1);
        assertThat(accessLog).as("announces after the refused single request")
                .contains("POST /window/v1/municipalities/" + CHIYODA + "/uploads HTTP/1.1\" 200");
        assertThat(accessLog).as("receipt checks file by file")
                .containsPattern("GET /window/v1/municipalities/" + CHIYODA + "/uploads/[0-9a-f]{32} HTTP/1.1\" 200");
        assertThat(accessLog).as("single request refused")
                .containsPattern("PUT /window/v1/municipalities/" + CHIYODA + "/uploads/[0-9a-f]{32} HTTP/1.1\" 404");
        assertThat(accessLog).as("receipts request refused")
                .contains("POST /window/v1/municipalities/" + CHIYODA + "/receipts HTTP/1.1\" 404");
    }

    private static long receipts(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".receipt")).count();
        }
    }

    @Test
    void forwardedHeaderFromMunicipalityConnectionIsForbidden() throws Exception {
        HttpResponse<String> response = client(keys.clientKeystore(CHIYODA)).send(
                post(centralUrl(uploads(CHUO)), announceBody(CHUO))
                        .header(HEADER, escape(pem(clientCertificate(CHUO)))).build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(403, response.statusCode(), response.body());
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        assertThat(response.body()).contains("forwarded client certificate header is accepted only from the"
                + " configured accelerator");
        assertNothingQueuedFor(CHUO);
    }

    @Test
    void otherMunicipalityPathThroughNginxIsForbidden() throws Exception {
        HttpClient chiyoda = client(keys.clientKeystore(CHIYODA));

        HttpResponse<String> plain = chiyoda.send(post(nginxUrl(uploads(CHUO)), announceBody(CHUO)).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> spoofed = chiyoda.send(post(nginxUrl(uploads(CHUO)), announceBody(CHUO))
                .header(HEADER, escape(pem(clientCertificate(CHUO)))).build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(403, plain.statusCode(), plain.body());
        assertThat(plain.body()).contains("the client certificate of municipality 131016 may not act for"
                + " municipality 131024");
        // nginx replaces the client's own X-Client-Certificate with the certificate of the TLS connection.
        assertEquals(403, spoofed.statusCode(), spoofed.body());
        assertThat(spoofed.body()).contains("the client certificate of municipality 131016 may not act for"
                + " municipality 131024");
        assertNothingQueuedFor(CHUO);
    }

    @Test
    void ownManifestThroughNginxIsAccepted() throws Exception {
        HttpResponse<String> response = client(keys.clientKeystore(CHIYODA)).send(
                post(nginxUrl(uploads(CHIYODA)), announceBody(CHIYODA)).build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(200, response.statusCode(), response.body());
        assertThat(response.body()).contains("\"state\":\"receiving\"").contains("\"offset\":0");
    }

    @Test
    void clientWithoutCertificateIsRefusedByNginx() throws Exception {
        SSLContext trustOnly = SSLContext.getInstance("TLS");
        TrustManagerFactory trust = TrustManagerFactory.getInstance("PKIX");
        trust.init(TlsMaterial.loadPkcs12(keys.truststore()));
        trustOnly.init(null, trust.getTrustManagers(), null);
        HttpClient anonymous = HttpClient.newBuilder().sslContext(trustOnly).connectTimeout(Duration.ofSeconds(5))
                .build();

        HttpResponse<String> response = anonymous.send(post(nginxUrl(uploads(CHIYODA)), announceBody(CHIYODA))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(400, response.statusCode(), response.body());
        assertThat(response.body()).contains("No required SSL certificate was sent");
        assertNothingQueuedFor(CHIYODA);
    }

    @Test
    void acceleratorWithoutForwardedCertificateIsUnauthorized() throws Exception {
        HttpResponse<String> response = client(keys.acceleratorKeystore()).send(
                post(centralUrl(uploads(CHIYODA)), announceBody(CHIYODA)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(401, response.statusCode(), response.body());
        assertThat(response.body()).contains("the accelerator forwarded no client certificate in header " + HEADER);
    }

    @Test
    void forwardedCertificateOfForeignCaIsForbidden() throws Exception {
        Path foreignKeys = root.resolve("foreign-keys");
        new DevCredentialGenerator(foreignKeys).generate(List.of(CHIYODA), List.of());
        X509Certificate foreign = (X509Certificate) TlsMaterial
                .loadPkcs12(new KeyMaterialLayout(foreignKeys).clientKeystore(CHIYODA))
                .getCertificate(KeyMaterialLayout.CLIENT_ALIAS);

        HttpResponse<String> response = client(keys.acceleratorKeystore()).send(
                post(centralUrl(uploads(CHIYODA)), announceBody(CHIYODA)).header(HEADER, escape(pem(foreign))).build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(403, response.statusCode(), response.body());
        assertThat(response.body()).contains("forwarded client certificate 'CN=131016' does not validate against"
                + " the window server's truststore");
        assertNothingQueuedFor(CHIYODA);
    }

    @Test
    void malformedForwardedCertificateIsBadRequest() throws Exception {
        HttpResponse<String> response = client(keys.acceleratorKeystore()).send(
                post(centralUrl(uploads(CHIYODA)), announceBody(CHIYODA)).header(HEADER, "%ZZnot-a-certificate")
                        .build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(400, response.statusCode(), response.body());
        assertThat(response.body()).contains("header " + HEADER + " is not a URL-encoded PEM certificate");
    }

    private static void requireNginx() {
        if (Files.isExecutable(NGINX)) {
            return;
        }
        String message = "nginx is not installed at " + NGINX + "; install the Debian package nginx"
                + " (apt-get install nginx) to run the accelerator tests";
        ExternalTools.missing(message);
    }

    /** Writes the nginx configuration of docs/deploy-behind-accelerator.md, with every file inside the prefix. */
    private Path writeNginxConfiguration() throws IOException {
        Path prefix = nginxPrefix;
        Files.createDirectories(prefix.resolve("logs"));
        Files.createDirectories(prefix.resolve("temp"));
        // As root, nginx runs its workers as "nobody", who cannot enter the temporary directory (mode 0700).
        String user = System.getProperty("user.name").equals("root") ? "user root;\n" : "";
        String configuration = user + """
                worker_processes 1;
                pid "%1$s/nginx.pid";
                error_log "%1$s/logs/error.log" info;
                events {
                    worker_connections 64;
                }
                http {
                    access_log "%1$s/logs/access.log";
                    client_body_temp_path "%1$s/temp/client_body";
                    proxy_temp_path "%1$s/temp/proxy";
                    fastcgi_temp_path "%1$s/temp/fastcgi";
                    uwsgi_temp_path "%1$s/temp/uwsgi";
                    scgi_temp_path "%1$s/temp/scgi";

                    server {
                        listen 127.0.0.1:%2$d ssl;
                        server_name localhost;
                        ssl_protocols TLSv1.2 TLSv1.3;
                        ssl_certificate "%3$s";
                        ssl_certificate_key "%4$s";
                        ssl_client_certificate "%5$s";
                        ssl_verify_client on;

                        %9$s
                        location /window/ {
                            %10$s
                            proxy_pass https://127.0.0.1:%6$d;
                            proxy_http_version 1.1;
                            proxy_ssl_protocols TLSv1.2 TLSv1.3;
                            proxy_ssl_certificate "%7$s";
                            proxy_ssl_certificate_key "%8$s";
                            proxy_ssl_trusted_certificate "%5$s";
                            proxy_ssl_verify on;
                            proxy_ssl_name localhost;
                            proxy_set_header X-Client-Certificate $ssl_client_escaped_cert;
                            proxy_request_buffering off;
                            client_max_body_size 0;
                        }

                        location / {
                            return 404;
                        }
                    }
                }
                """.formatted(prefix.toAbsolutePath(), nginxPort, keys.serverCertificate().toAbsolutePath(),
                keys.serverPrivateKey().toAbsolutePath(), keys.caCertificate().toAbsolutePath(), system.port,
                keys.acceleratorCertificate().toAbsolutePath(), keys.acceleratorPrivateKey().toAbsolutePath(),
                asOlderCentral ? "location ~ /receipts$ { return 404; }" : "",
                asOlderCentral ? "if ($http_window_manifest) { return 404; }" : "");
        Path file = prefix.resolve("nginx.conf");
        Files.writeString(file, configuration, StandardCharsets.US_ASCII);
        return file;
    }

    private void startNginx() throws IOException {
        Path configuration = writeNginxConfiguration();
        Path output = nginxPrefix.resolve("logs/nginx.out");
        nginx = new ProcessBuilder(NGINX.toString(), "-c", configuration.toString(), "-p",
                nginxPrefix.toAbsolutePath() + "/", "-g", "daemon off;")
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        await("nginx listening on 127.0.0.1:" + nginxPort).atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!nginx.isAlive()) {
                        throw new AssertionError("nginx exited with code " + nginx.exitValue() + ": "
                                + Files.readString(output, StandardCharsets.ISO_8859_1) + readLog("error.log"));
                    }
                    return accepts(nginxPort);
                });
    }

    /** Stops nginx with SIGTERM, then SIGKILL, and kills any of its workers that outlived the master. */
    private void stopNginx() throws InterruptedException {
        if (nginx == null) {
            return;
        }
        List<ProcessHandle> workers = nginx.descendants().toList();
        nginx.destroy();
        if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
            nginx.destroyForcibly();
            nginx.waitFor(10, TimeUnit.SECONDS);
        }
        for (ProcessHandle worker : workers) {
            if (worker.isAlive()) {
                worker.destroyForcibly();
            }
        }
        nginx = null;
    }

    private String readLog(String name) {
        try {
            return Files.readString(nginxPrefix.resolve("logs").resolve(name), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "(no " + name + ": " + e.getMessage() + ")";
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private void assertNothingQueuedFor(MunicipalityCode code) throws IOException {
        assertEquals(0, system.centralMessages(QueueNames.upload(code)));
        assertThat(TestFiles.countFiles(system.centralData().resolve("uploads").resolve(code.value()))).isZero();
    }

    private X509Certificate acceleratorCertificate() throws Exception {
        return (X509Certificate) TlsMaterial.loadPkcs12(keys.acceleratorKeystore())
                .getCertificate(KeyMaterialLayout.ACCELERATOR_ALIAS);
    }

    private X509Certificate clientCertificate(MunicipalityCode code) throws Exception {
        return (X509Certificate) TlsMaterial.loadPkcs12(keys.clientKeystore(code))
                .getCertificate(KeyMaterialLayout.CLIENT_ALIAS);
    }

    private static String pem(X509Certificate certificate) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }

    /** Percent-encodes every byte except unreserved characters, as nginx's $ssl_client_escaped_cert does. */
    private static String escape(String text) {
        StringBuilder escaped = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.US_ASCII)) {
            char c = (char) b;
            if (Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' || c == '~') {
                escaped.append(c);
            } else {
                escaped.append('%').append(HexFormat.of().withUpperCase().toHexDigits(b));
            }
        }
        return escaped.toString();
    }

    private HttpClient client(Path keystore) throws Exception {
        return HttpClient.newBuilder()
                .sslContext(TlsMaterial.clientContext(keystore, keys.truststore()))
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    private static String uploads(MunicipalityCode code) {
        return "/window/v1/municipalities/" + code + "/uploads";
    }

    private String centralUrl(String path) {
        return "https://localhost:" + system.port + path;
    }

    private String nginxUrl(String path) {
        return "https://localhost:" + nginxPort + path;
    }

    private static HttpRequest.Builder post(String url, String body) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    }

    /** Builds an announce body for a manifest of {@code owner}, signed with the owner's own signing key. */
    private String announceBody(MunicipalityCode owner) throws Exception {
        FileManifest manifest = new FileManifest(FILE_ID, owner.value(), owner + "_POSTAL_20261204.csv", 4,
                "0".repeat(64), "POSTAL", "2026-12-04T09:00:00+09:00");
        byte[] json = manifest.toJson();
        Signature signature = Signature.getInstance("SHA256withECDSA");
        signature.initSign(SigningKeys.readPrivateKey(keys.signingPrivateKey(owner)));
        signature.update(json);
        return "{\"manifest\":\"" + Base64.getEncoder().encodeToString(json) + "\",\"signature\":\""
                + Base64.getEncoder().encodeToString(signature.sign()) + "\"}";
    }
}
