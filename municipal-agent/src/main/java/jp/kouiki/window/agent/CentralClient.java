package jp.kouiki.window.agent;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.TlsMaterial;

/**
 * Sends requests to the central window server over HTTPS with camel-http, presenting each municipality's own client
 * certificate. camel-http supports one SSL context per component, so every municipality gets its own component
 * (and connection pool) named {@code https-<code>-<generation>}; a changed keystore file gets a new generation.
 *
 * <p>With two central URLs (the nodes of a primary/backup pair), requests go to one node until a connection fails or
 * the node responds with 503, as a node on standby does. The client then switches to the other node and sends the
 * request there once more. Every window request is idempotent, so sending it again is safe.
 */
final class CentralClient implements AutoCloseable {

    /** A response: status code, body text and the headers the agent reads. */
    record Response(int status, String body, String uploadOffset, String retryAfter) {
        boolean isSuccess() {
            return status >= 200 && status < 300;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(CentralClient.class);
    /** This agent's version, sent with every request so that the union's operators see which agents run what. */
    static final String VERSION = readVersion();

    private final CamelContext camelContext;
    private final AgentSettings settings;
    private final KeyMaterialLayout keys;
    private final ProducerTemplate template;
    private final Map<MunicipalityCode, Registered> endpoints = new ConcurrentHashMap<>();
    private final AtomicInteger generation = new AtomicInteger();
    private final AtomicInteger node = new AtomicInteger();

    /** The component of one municipality and the keystore state it was built from. */
    private record Registered(String scheme, FileTime keystoreModified) {
    }

    CentralClient(CamelContext camelContext, AgentSettings settings, KeyMaterialLayout keys) {
        this.camelContext = camelContext;
        this.settings = settings;
        this.keys = keys;
        this.template = camelContext.createProducerTemplate();
    }

    /**
     * Sends one request. The body is a byte array or a repeatable HTTP entity, such as a paced chunk.
     *
     * @throws IOException when no response arrived: the connection failed, timed out or broke
     */
    Response send(MunicipalityCode code, String method, String path, Map<String, String> headers, Object body)
            throws IOException {
        String scheme;
        try {
            scheme = scheme(code);
        } catch (IOException e) {
            throw new IOException("client certificate of municipality " + code + " cannot be loaded: "
                    + e.getMessage(), e);
        }
        int tried = node.get();
        try {
            Response response = sendTo(tried, scheme, code, method, path, headers, body);
            if (response.status() != 503 || !switchNode(tried, "HTTP 503")) {
                return response;
            }
        } catch (IOException e) {
            if (!switchNode(tried, e.getMessage())) {
                throw e;
            }
        }
        return sendTo(node.get(), scheme, code, method, path, headers, body);
    }

    /**
     * Moves on from the node that failed to the other one, unless another request has already done so.
     *
     * @return false when there is no other node
     */
    private boolean switchNode(int failed, String reason) {
        List<URI> urls = settings.centralUrls();
        if (urls.size() < 2) {
            return false;
        }
        int next = (failed + 1) % urls.size();
        if (node.compareAndSet(failed, next)) {
            LOG.warn("Switching central window server: from={} to={} reason={}", urls.get(failed % urls.size()),
                    urls.get(next), reason);
        }
        return true;
    }

    private Response sendTo(int nodeIndex, String scheme, MunicipalityCode code, String method, String path,
            Map<String, String> headers, Object body) throws IOException {
        List<URI> urls = settings.centralUrls();
        String uri = scheme + "://" + urls.get(nodeIndex % urls.size()).getRawAuthority()
                + "?bridgeEndpoint=true&throwExceptionOnFailure=false&disableStreamCache=false";
        Exchange reply = template.request(uri, exchange -> {
            exchange.getMessage().removeHeaders("*");
            exchange.getMessage().setHeader(Exchange.HTTP_METHOD, method);
            exchange.getMessage().setHeader(Exchange.HTTP_PATH, path);
            headers.forEach(exchange.getMessage()::setHeader);
            exchange.getMessage().setHeader("User-Agent", "window-agent/" + VERSION);
            exchange.getMessage().setHeader("Window-Agent-Version", VERSION);
            exchange.getMessage().setBody(body);
        });
        Exception failure = reply.getException();
        if (failure != null) {
            throw new IOException("request " + method + " " + path + " for municipality " + code + " failed: "
                    + failure.getMessage(), failure);
        }
        Integer status = reply.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        return new Response(status == null ? 0 : status,
                reply.getMessage().getBody(String.class),
                reply.getMessage().getHeader("Upload-Offset", String.class),
                reply.getMessage().getHeader("Retry-After", String.class));
    }

    /** The HTTP client of a municipality's component and the central server it is aimed at. */
    record StreamingTarget(org.apache.hc.client5.http.classic.HttpClient client, URI centralUrl, int node) {
    }

    /**
     * Returns the HTTP client behind the municipality's component, with its client certificate, timeouts and
     * connection pool, and the central server in use, for a request whose response body must stream instead of being
     * read whole.
     */
    StreamingTarget streamingTarget(MunicipalityCode code) throws IOException {
        int current = node.get();
        List<URI> urls = settings.centralUrls();
        URI url = urls.get(current % urls.size());
        String uri = scheme(code) + "://" + url.getRawAuthority()
                + "?bridgeEndpoint=true&throwExceptionOnFailure=false&disableStreamCache=true";
        return new StreamingTarget(camelContext.getEndpoint(uri, org.apache.camel.component.http.HttpEndpoint.class)
                .getHttpClient(), url, current);
    }

    /** Moves on to the other central server, if there is one, after a streaming request to the target failed. */
    void streamingFailed(StreamingTarget target, String reason) {
        switchNode(target.node(), reason);
    }

    /**
     * Returns the scheme of the municipality's component, building a new component when its client keystore file has
     * changed, so a renewed certificate is used without a restart.
     */
    private String scheme(MunicipalityCode code) throws IOException {
        FileTime modified = Files.getLastModifiedTime(keys.clientKeystore(code));
        Registered current = endpoints.get(code);
        if (current != null && current.keystoreModified().equals(modified)) {
            return current.scheme();
        }
        synchronized (this) {
            current = endpoints.get(code);
            if (current != null && current.keystoreModified().equals(modified)) {
                return current.scheme();
            }
            Registered registered = register(code, modified);
            endpoints.put(code, registered);
            if (current != null) {
                camelContext.removeComponent(current.scheme());
                LOG.info("Client certificate reloaded: municipality={} keystore={}", code, keys.clientKeystore(code));
            }
            return registered.scheme();
        }
    }

    private Registered register(MunicipalityCode code, FileTime modified) throws IOException {
        Path keystore = keys.clientKeystore(code);
        SSLContextParameters tls = TlsMaterial.clientParameters(keystore, keys.truststore());
        warnIfExpiring(code, keystore);
        HttpComponent component = new HttpComponent();
        component.setSslContextParameters(tls);
        component.setConnectTimeout(settings.connectTimeoutMillis());
        component.setConnectionRequestTimeout(settings.connectTimeoutMillis());
        component.setSoTimeout(settings.responseTimeoutMillis());
        component.setResponseTimeout(settings.responseTimeoutMillis());
        component.setFollowRedirects(false);
        // The forwarder retries itself, with backoff and per municipality; the client's own retries would hold a worker
        // for as long as a Retry-After header requests.
        component.setAutomaticRetriesDisabled(true);
        // TODO: each municipality's pool keeps its connections after use. An agent for 291 municipalities still held
        // 875 sockets 70 s after sending one file for each, when the central server had closed its side of them.
        component.setMaxTotalConnections(4);
        component.setConnectionsPerRoute(4);
        String scheme = "https-" + code + "-" + generation.incrementAndGet();
        camelContext.addComponent(scheme, component);
        return new Registered(scheme, modified);
    }

    /** Logs a warning when the municipality's client certificate expires within the configured number of days. */
    void warnIfExpiring(MunicipalityCode code, Path keystore) {
        try {
            X509Certificate certificate = (X509Certificate) TlsMaterial.loadPkcs12(keystore)
                    .getCertificate(KeyMaterialLayout.CLIENT_ALIAS);
            Instant notAfter = certificate.getNotAfter().toInstant();
            long daysLeft = Duration.between(Instant.now(), notAfter).toDays();
            if (daysLeft < settings.certificateWarningDays()) {
                LOG.warn("Client certificate expires soon: municipality={} notAfter={} daysLeft={}; install a renewed"
                        + " client.p12, which the agent picks up without a restart", code, notAfter, daysLeft);
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            LOG.warn("Client certificate could not be read for its expiry date: municipality={} error={}", code,
                    e.toString());
        }
    }

    private static String readVersion() {
        java.util.Properties properties = new java.util.Properties();
        try (java.io.InputStream in = CentralClient.class.getResourceAsStream("/agent-version.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            LOG.warn("Agent version could not be read, sending 'unknown': error={}", e.toString());
        }
        String version = properties.getProperty("version", "unknown");
        return version.startsWith("${") ? "unknown" : version;
    }

    @Override
    public void close() throws Exception {
        template.close();
    }
}
