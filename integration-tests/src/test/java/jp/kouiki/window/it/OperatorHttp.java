package jp.kouiki.window.it;

import java.net.CookieManager;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.TlsMaterial;

/**
 * A test client of the operator port over real HTTPS: it trusts the development CA, keeps the session cookie and the
 * CSRF token of its sign-in, and can present a client certificate to check that one opens nothing.
 */
final class OperatorHttp {

    static final ObjectMapper JSON = new ObjectMapper();

    /** A response: status and body text. */
    record Response(int status, String body) {
        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    private final HttpClient client;
    private final String base;
    private String csrfToken;

    private OperatorHttp(HttpClient client, int port) {
        this.client = client;
        this.base = "https://localhost:" + port;
    }

    /** Creates a client that trusts the development CA and presents no certificate. */
    static OperatorHttp to(WindowSystem system) throws Exception {
        return to(system.keys(), system.operatorPort);
    }

    /** Creates a client for the operator port {@code port} that trusts the development CA in {@code keys}. */
    static OperatorHttp to(Path keys, int port) throws Exception {
        KeyStore trusted = TlsMaterial.loadPkcs12(new KeyMaterialLayout(keys).truststore());
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return new OperatorHttp(client(context), port);
    }

    /** Creates a client that presents a client certificate from the keystore, such as a municipality's. */
    static OperatorHttp withCertificate(WindowSystem system, Path keystore, int port) throws Exception {
        SSLContext context = TlsMaterial.clientContext(keystore, new KeyMaterialLayout(system.keys()).truststore());
        return new OperatorHttp(client(context), port);
    }

    private static HttpClient client(SSLContext context) {
        return HttpClient.newBuilder()
                .sslContext(context)
                .cookieHandler(new CookieManager())
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** Signs in and keeps the session; returns the response. */
    Response signIn(String name, String password) throws Exception {
        Response response = post("/operator/api/sign-in", JSON.createObjectNode().put("name", name)
                .put("password", password).toString());
        if (response.status() == 200) {
            csrfToken = response.json().path("csrfToken").asText();
        }
        return response;
    }

    Response get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET());
    }

    Response getWithBasic(String path, String name, String password) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET().header("Authorization", "Basic "
                + Base64.getEncoder().encodeToString((name + ":" + password).getBytes(StandardCharsets.UTF_8))));
    }

    Response post(String path, String body) throws Exception {
        return post(path, body, true);
    }

    /** Posts JSON, with the session's CSRF token unless {@code withCsrfToken} is false. */
    Response post(String path, String body, boolean withCsrfToken) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (withCsrfToken && csrfToken != null) {
            request.header("X-CSRF-Token", csrfToken);
        }
        return send(request);
    }

    private Response send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> response = client.send(request.timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new Response(response.statusCode(), response.body());
    }
}
