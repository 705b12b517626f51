package jp.kouiki.window.central.operator;

import java.io.IOException;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import jp.kouiki.window.security.TlsMaterial;

/**
 * A client of the operator API for the command-line tool: HTTPS that trusts the CA in the window server's truststore,
 * a session from a sign-in, and the CSRF token on every POST. Errors become {@link IOException}s with the server's
 * error text and what to do.
 */
final class OperatorApiClient implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final URI base;
    private String csrfToken;

    OperatorApiClient(URI base, Path truststore) throws IOException, GeneralSecurityException {
        KeyStore trusted = TlsMaterial.loadPkcs12(truststore);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        this.http = HttpClient.newBuilder()
                .sslContext(context)
                .cookieHandler(new CookieManager())
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.base = base;
    }

    /** Signs in; throws with the server's reason when the name or password is wrong. */
    void signIn(String name, char[] password) throws IOException, InterruptedException {
        JsonNode answer = post("/operator/api/sign-in", JSON.createObjectNode().put("name", name)
                .put("password", new String(password)));
        csrfToken = answer.path("csrfToken").asText();
    }

    JsonNode get(String path, Map<String, String> query) throws IOException, InterruptedException {
        StringJoiner parameters = new StringJoiner("&", "?", "").setEmptyValue("");
        query.forEach((key, value) -> {
            if (value != null && !value.isBlank()) {
                parameters.add(key + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
            }
        });
        return send(HttpRequest.newBuilder(base.resolve(path + parameters)).GET());
    }

    JsonNode post(String path, JsonNode body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .header("Content-Type", "application/json");
        if (csrfToken != null) {
            request.header(OperatorAuthentication.CSRF_HEADER, csrfToken);
        }
        return send(request);
    }

    private JsonNode send(HttpRequest.Builder request) throws IOException, InterruptedException {
        HttpResponse<String> response;
        try {
            response = http.send(request.timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IOException("operator API at " + base + " could not be reached: " + (e.getMessage() != null
                    ? e.getMessage() : e.getClass().getSimpleName())
                    + "; check --url and that the central server runs", e);
        }
        JsonNode body;
        try {
            body = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new IOException("operator API returned HTTP " + response.statusCode() + " without a JSON body", e);
        }
        if (response.statusCode() >= 400) {
            throw new IOException("HTTP " + response.statusCode() + ": " + body.path("error").asText() + "; "
                    + body.path("action").asText());
        }
        return body;
    }

    /** Signs out, so the session does not stay open until it times out. */
    @Override
    public void close() {
        if (csrfToken == null) {
            return;
        }
        try {
            post("/operator/api/sign-out", JSON.createObjectNode());
        } catch (IOException e) {
            // The session ends by itself after its idle time.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
