package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.TlsMaterial;
import jp.kouiki.window.transfer.FileManifest;

/** What the central server exposes to the network, tried from outside. */
class TransportSecurityIT {

    private static final Path OPENSSL = Path.of("/usr/bin/openssl");

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");

    @TempDir
    Path root;

    @Test
    void centralServerListensOnlyOnItsWindowAndOperatorPorts() throws Exception {
        Assumptions.assumeTrue(ListeningPorts.supported(), "needs Linux /proc to list a process's sockets");
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            Path config = Files.writeString(root.resolve("central.properties"), String.join("\n",
                    "central.municipalities=131016",
                    "central.union-root=" + root.resolve("union"),
                    "central.data-dir=" + system.centralData(),
                    "central.keys-dir=" + system.keys(),
                    "central.window.port=" + system.port,
                    "central.operator.port=" + system.operatorPort,
                    "central.broker.journal-type=NIO", ""), StandardCharsets.UTF_8);
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            ProcessBuilder builder = new ProcessBuilder(java.toString(), "-Xmx256m", "-cp",
                    System.getProperty("java.class.path"), "jp.kouiki.window.central.CentralServer", "--config",
                    config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(root.resolve("central.log").toFile());
            // A UTF-8 locale keeps the server in this process instead of a relaunched child with another pid.
            builder.environment().put("LC_ALL", "C.UTF-8");
            Process central = builder.start();
            try {
                await("central server listening on " + system.port).atMost(Duration.ofSeconds(60))
                        .until(() -> central.isAlive() && accepts(system.port));

                await("operator port open").atMost(Duration.ofSeconds(30)).until(() -> accepts(system.operatorPort));

                assertThat(ListeningPorts.of(central.pid())).containsExactlyInAnyOrder(system.port,
                        system.operatorPort);
            } finally {
                central.destroy();
                if (!central.waitFor(30, TimeUnit.SECONDS)) {
                    central.destroyForcibly();
                }
            }
        }
    }

    @Test
    void onlyTls12AndNewerAreAccepted() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startCentral();
            KeyMaterialLayout keys = new KeyMaterialLayout(system.keys());
            SSLContext context = TlsMaterial.clientContext(keys.clientKeystore(CHIYODA), keys.truststore());

            assertThat(handshake(context, system.port, "TLSv1.3")).isEqualTo("TLSv1.3");
            assertThat(handshake(context, system.port, "TLSv1.2")).isEqualTo("TLSv1.2");
        }
    }

    /**
     * Offers TLS 1.1 and 1.0 with OpenSSL's client, because JDK 17's own client disables both
     * (jdk.tls.disabledAlgorithms) and fails before its attempt reaches the server.
     */
    @Test
    void tls11AndTls10AreRejectedByTheServer() throws Exception {
        requireOpenssl();
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA));
                LogCapture log = LogCapture.warnings()) {
            system.startCentral();

            String tls11 = opensslHandshake(system.port, "-tls1_1");
            String tls10 = opensslHandshake(system.port, "-tls1");

            assertThat(tls11).contains("alert protocol version").contains("Cipher is (NONE)");
            assertThat(tls10).contains("alert protocol version").contains("Cipher is (NONE)");
            await("both rejections logged").atMost(Duration.ofSeconds(10))
                    .until(() -> log.linesContaining("TLS handshake rejected").size() >= 2);
            assertThat(log.linesContaining("TLSv1.1")).hasSize(1);
            assertThat(log.linesContaining("TLSv1 ")).hasSize(1);
        }
    }

    @Test
    void rejectedHandshakesAreLogged() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA));
                LogCapture log = LogCapture.warnings()) {
            system.startCentral();
            KeyMaterialLayout keys = new KeyMaterialLayout(system.keys());
            SSLContext municipality = TlsMaterial.clientContext(keys.clientKeystore(CHIYODA), keys.truststore());

            for (int i = 0; i < 3; i++) {
                sendPlainHttp(system.port);
            }
            sendWithoutCertificate(trustOnlyContext(keys.truststore()), system.port);
            assertThat(handshake(municipality, system.port, "TLSv1.3")).isEqualTo("TLSv1.3");

            await("two rejection lines").atMost(Duration.ofSeconds(10))
                    .until(() -> log.linesContaining("TLS handshake rejected").size() >= 2);
            List<String> lines = log.linesContaining("TLS handshake rejected");
            assertThat(lines).as("three plain HTTP requests logged once, and the missing certificate").hasSize(2);
            assertThat(lines).allMatch(line -> line.contains("remote=127.0.0.1"));
            assertThat(lines).anyMatch(line -> line.contains("plaintext"));
            assertThat(lines).anyMatch(line -> line.contains("Empty client certificate chain"));
        }
    }

    @Test
    void injectedCamelHeadersHaveNoEffect() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA, CHUO))) {
            system.startCentral();
            DirectUploader uploader = new DirectUploader(new KeyMaterialLayout(system.keys()), system.port);
            HttpClient client = uploader.client(CHIYODA);
            byte[] records = TestFiles.postalRecords("13101");
            FileManifest manifest = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261204.csv", records);
            Map<String, String> injected = Map.of(
                    "CamelHttpUri", "https://localhost:" + system.port + "/window/v1/municipalities/131024/uploads",
                    "camelhttppath", "/window/v1/municipalities/131024/uploads",
                    "CAMELFILENAME", "../../../etc/evil.csv",
                    "CamelHttpMethod", "DELETE",
                    "CamelHttpResponseCode", "500",
                    "CamelJmsDestinationName", QueueNames.upload(CHUO),
                    "CamelDigitalSignature", "AAAA",
                    "CamelSignaturePublicKeyOrCert", "forged");

            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://localhost:" + system.port
                    + "/window/v1/municipalities/131016/uploads/" + manifest.fileId()))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody());
            injected.forEach(request::header);
            HttpResponse<String> head = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            DirectUploader.Result upload = uploader.upload(client, CHIYODA, manifest,
                    uploader.encrypt(CHIYODA, manifest.fileId(), records), injected);

            assertEquals(404, head.statusCode(), "HEAD before the announce");
            assertEquals(200, upload.announce().statusCode(), upload.announce().body());
            assertEquals(200, upload.chunk().statusCode(), upload.chunk().body());
            Path delivered = system.inbound(CHIYODA).resolve("131016_POSTAL_20261204.csv");
            await("delivery under the manifest's name").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(delivered));
            assertThat(delivered).hasBinaryContent(records);
            assertThat(TestFiles.countFiles(system.inbound(CHUO))).isZero();
            assertThat(system.centralMessages(QueueNames.upload(CHUO))).isZero();
            assertThat(root.resolve("etc")).doesNotExist();
        }
    }

    @Test
    void oversizedBodiesAreRefusedWith413() throws Exception {
        Properties small = new Properties();
        small.setProperty("central.window.max-chunk-bytes", "65536");
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startCentral(small);
            DirectUploader uploader = new DirectUploader(new KeyMaterialLayout(system.keys()), system.port);
            HttpClient client = uploader.client(CHIYODA);
            String uploads = "https://localhost:" + system.port + "/window/v1/municipalities/131016/uploads";

            HttpResponse<String> announce = client.send(HttpRequest.newBuilder(URI.create(uploads))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[70 * 1024])).build(),
                    HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> chunk = client.send(HttpRequest.newBuilder(URI.create(uploads + "/"
                    + "0123456789abcdef0123456789abcdef"))
                    .header("Content-Range", "bytes 0-65536/*")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[65537])).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertEquals(413, announce.statusCode());
            assertThat(announce.body()).contains("announce body exceeds 65536 bytes");
            assertEquals(413, chunk.statusCode());
            assertThat(chunk.body()).contains("exceeds the maximum of 65536 bytes");
        }
    }

    @Test
    void slowUploadsOfOneMunicipalityDoNotStarveOthers() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA, CHUO))) {
            system.startCentral();
            KeyMaterialLayout keys = new KeyMaterialLayout(system.keys());
            DirectUploader uploader = new DirectUploader(keys, system.port);
            HttpClient chiyoda = uploader.client(CHIYODA);
            FileManifest manifest = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261204.csv", new byte[10]);
            assertEquals(200, uploader.announce(chiyoda, CHIYODA, manifest).statusCode());
            SSLContext context = TlsMaterial.clientContext(keys.clientKeystore(CHIYODA), keys.truststore());
            List<SSLSocket> stalled = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("localhost", system.port);
                    socket.getOutputStream().write(("PUT /window/v1/municipalities/131016/uploads/" + manifest.fileId()
                            + " HTTP/1.1\r\nHost: localhost\r\nContent-Range: bytes 0-1048575/*\r\n"
                            + "Content-Length: 1048576\r\n\r\n0").getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                    stalled.add(socket);
                }
                String offset = "/window/v1/municipalities/%s/uploads/" + manifest.fileId();

                await("fifth request of the same municipality refused").atMost(Duration.ofSeconds(10))
                        .until(() -> head(chiyoda, system.port, offset.formatted(CHIYODA)).statusCode() == 429);
                HttpResponse<String> other = head(uploader.client(CHUO), system.port, offset.formatted(CHUO));

                assertEquals(404, other.statusCode(), "another municipality is served meanwhile");
            } finally {
                for (SSLSocket socket : stalled) {
                    socket.close();
                }
            }
        }
    }

    private static HttpResponse<String> head(HttpClient client, int port, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + path))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Skips the calling test with a message naming the Debian package when openssl is missing, or fails it under
     * {@code -Dwindow.requireExternalTools=true}.
     */
    private static void requireOpenssl() {
        if (!Files.isExecutable(OPENSSL)) {
            String message = OPENSSL + " is not installed; install the Debian package openssl (apt-get install"
                    + " openssl) to offer old TLS versions to the server";
            ExternalTools.missing(message);
        }
    }

    /** Runs an OpenSSL client handshake with one protocol version and returns what it printed. */
    private static String opensslHandshake(int port, String protocolOption) throws Exception {
        // Security level 0 lets OpenSSL 3 offer TLS 1.1 and 1.0 at all.
        Process process = new ProcessBuilder(OPENSSL.toString(), "s_client", "-connect", "127.0.0.1:" + port,
                protocolOption, "-cipher", "DEFAULT:@SECLEVEL=0").redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("openssl s_client did not end within 20 s");
        }
        return new String(output, StandardCharsets.UTF_8);
    }

    /** Sends a plain HTTP request to the HTTPS port, as an agent configured with an http:// address would. */
    private static void sendPlainHttp(int port) throws IOException {
        sendAndWaitForClose(new Socket("127.0.0.1", port));
    }

    /**
     * Sends one request on the socket and reads until the server closes it or rejects the connection, then closes the
     * socket.
     */
    private static void sendAndWaitForClose(Socket socket) throws IOException {
        try (socket) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write("GET /window/v1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            socket.getInputStream().readAllBytes();
        } catch (IOException expected) {
            // The server closes the connection, after a TLS alert where the handshake failed.
        }
    }

    /** Returns a client context that trusts the union's authority but has no certificate of its own. */
    private static SSLContext trustOnlyContext(Path truststore) throws Exception {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(TlsMaterial.loadPkcs12(truststore));
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }

    /**
     * Connects without a client certificate and sends a request. With TLS 1.3 the client's side of the handshake ends
     * before the server checks the certificate, so the rejection arrives on the first read.
     */
    private static void sendWithoutCertificate(SSLContext context, int port) throws IOException {
        sendAndWaitForClose(context.getSocketFactory().createSocket("127.0.0.1", port));
    }

    private static String handshake(SSLContext context, int port, String protocol) throws IOException {
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(5000);
            socket.setEnabledProtocols(new String[] {protocol});
            socket.startHandshake();
            return socket.getSession().getProtocol();
        }
    }
}
