package jp.kouiki.window.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.security.auth.x500.X500Principal;

import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;

/** Handshakes over 127.0.0.1 between a server built from Camel parameters and JDK clients. */
class TlsMaterialTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final int TIMEOUT_MILLIS = 10_000;

    @TempDir
    static Path keys;
    @TempDir
    static Path otherKeys;

    private static KeyMaterialLayout layout;
    private static KeyMaterialLayout otherLayout;
    private static DefaultCamelContext camelContext;
    private static ExecutorService executor;

    @BeforeAll
    static void createKeyMaterial() throws Exception {
        new DevCredentialGenerator(keys).generate(List.of(CHIYODA), List.of());
        new DevCredentialGenerator(otherKeys).generate(List.of(CHIYODA), List.of());
        layout = new KeyMaterialLayout(keys);
        otherLayout = new KeyMaterialLayout(otherKeys);
        camelContext = new DefaultCamelContext();
        executor = Executors.newSingleThreadExecutor();
    }

    @AfterAll
    static void close() throws Exception {
        executor.shutdownNow();
        camelContext.close();
    }

    @Test
    void serverParametersRequireClientAuthentication() throws Exception {
        SSLContextParameters parameters = TlsMaterial.serverParameters(layout.serverKeystore(), layout.truststore());

        assertThat(parameters.getServerParameters().getClientAuthentication()).isEqualTo("REQUIRE");
        assertThat(parameters.getSecureSocketProtocols().getSecureSocketProtocol())
                .containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(parameters.getKeyManagers().getKeyStore().getResource())
                .isEqualTo("file:" + layout.serverKeystore().toAbsolutePath());
        try (SSLServerSocket server = openServer()) {
            assertThat(server.getNeedClientAuth()).isTrue();
            assertThat(server.getEnabledProtocols()).containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
        }
    }

    @Test
    void clientParametersBuildContext() throws Exception {
        SSLContextParameters parameters = TlsMaterial.clientParameters(layout.clientKeystore(CHIYODA),
                layout.truststore());

        SSLContext context = parameters.createSSLContext(camelContext);

        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket()) {
            assertThat(socket.getEnabledProtocols()).containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
        }
    }

    @Test
    void handshakeShowsClientCommonName() throws Exception {
        SSLContext clientContext = TlsMaterial.clientContext(layout.clientKeystore(CHIYODA), layout.truststore());

        try (SSLServerSocket server = openServer()) {
            Future<String> peer = executor.submit(() -> acceptOne(server));
            String reply;
            try (SSLSocket client = connect(clientContext, server)) {
                client.startHandshake();
                OutputStream out = client.getOutputStream();
                out.write('?');
                out.flush();
                reply = new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            }

            assertThat(peer.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)).isEqualTo("CN=131016");
            assertThat(reply).isEqualTo("CN=131016");
        }
    }

    @Test
    void clientWithoutCertificateIsRejected() throws Exception {
        SSLContext clientContext = SSLContext.getInstance("TLS");
        clientContext.init(null, trustManagers(layout.truststore()), null);

        try (SSLServerSocket server = openServer()) {
            Future<String> peer = executor.submit(() -> acceptOne(server));
            assertThatThrownBy(() -> exchange(clientContext, server)).isInstanceOf(IOException.class);

            assertThatThrownBy(() -> peer.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(SSLHandshakeException.class)
                    .cause().hasMessageContaining("Empty client certificate chain");
        }
    }

    @Test
    void clientFromOtherCaIsRejected() throws Exception {
        // The client trusts this server, but its own certificate comes from a different CA.
        SSLContext clientContext = TlsMaterial.clientContext(otherLayout.clientKeystore(CHIYODA), layout.truststore());

        try (SSLServerSocket server = openServer()) {
            Future<String> peer = executor.submit(() -> acceptOne(server));
            assertThatThrownBy(() -> exchange(clientContext, server)).isInstanceOf(IOException.class);

            assertThatThrownBy(() -> peer.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(SSLHandshakeException.class)
                    .cause().hasMessageContaining("PKIX path validation failed");
        }
    }

    @Test
    void missingPasswordFileNamesFileAndCommand() throws Exception {
        Path store = keys.resolve("copy.p12");
        Files.copy(layout.truststore(), store);

        assertThatThrownBy(() -> TlsMaterial.password(store))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(KeyMaterialLayout.passwordFile(store).toString())
                .hasMessageContaining("dev-credentials");
    }

    @Test
    void missingStoreIsReported() {
        Path store = keys.resolve("absent.p12");

        assertThatThrownBy(() -> TlsMaterial.serverParameters(store, layout.truststore()))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(store.toString())
                .hasMessageContaining("dev-credentials");
    }

    @Test
    void wrongPasswordIsReported() throws Exception {
        Path store = keys.resolve("wrong.p12");
        Files.copy(layout.truststore(), store);
        Files.copy(KeyMaterialLayout.passwordFile(layout.serverKeystore()), KeyMaterialLayout.passwordFile(store));

        assertThatThrownBy(() -> TlsMaterial.loadPkcs12(store))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(store.toString())
                .hasMessageContaining("check that the password file belongs to this store");
    }

    private SSLServerSocket openServer() throws Exception {
        SSLContext serverContext = TlsMaterial.serverParameters(layout.serverKeystore(), layout.truststore())
                .createSSLContext(camelContext);
        SSLServerSocket server = (SSLServerSocket) serverContext.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
        server.setSoTimeout(TIMEOUT_MILLIS);
        return server;
    }

    /** Accepts one connection, completes the handshake and replies with the client's subject name. */
    private static String acceptOne(SSLServerSocket server) throws IOException {
        try (SSLSocket socket = (SSLSocket) server.accept()) {
            socket.setSoTimeout(TIMEOUT_MILLIS);
            socket.startHandshake();
            InputStream in = socket.getInputStream();
            if (in.read() < 0) {
                throw new IOException("client closed the connection before sending a byte");
            }
            X500Principal principal = (X500Principal) socket.getSession().getPeerPrincipal();
            String name = principal.getName();
            socket.getOutputStream().write(name.getBytes(StandardCharsets.US_ASCII));
            return name;
        }
    }

    private static SSLSocket connect(SSLContext context, SSLServerSocket server) throws IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(server.getInetAddress(),
                server.getLocalPort());
        socket.setSoTimeout(TIMEOUT_MILLIS);
        // Check the server certificate's IP address entry, as an HTTPS client does.
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        return socket;
    }

    /**
     * Sends one byte and reads the reply. With TLS 1.3 the client finishes its side of the handshake before the
     * server checks the client certificate, so a rejection surfaces on the read.
     */
    private static byte[] exchange(SSLContext context, SSLServerSocket server) throws IOException {
        try (SSLSocket client = connect(context, server)) {
            client.startHandshake();
            OutputStream out = client.getOutputStream();
            out.write('?');
            out.flush();
            byte[] reply = client.getInputStream().readAllBytes();
            if (reply.length == 0) {
                throw new IOException("server closed the connection without a reply");
            }
            return reply;
        }
    }

    private static javax.net.ssl.TrustManager[] trustManagers(Path truststore) throws Exception {
        KeyStore trusted = TlsMaterial.loadPkcs12(truststore);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trusted);
        return factory.getTrustManagers();
    }
}
