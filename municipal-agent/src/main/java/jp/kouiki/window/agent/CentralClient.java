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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.io.HttpClientConnectionManager;
import org.apache.hc.client5.http.socket.ConnectionSocketFactory;
import org.apache.hc.core5.http.config.Registry;
import org.apache.hc.core5.http.io.SocketConfig;
import org.apache.hc.core5.pool.PoolStats;
import org.apache.hc.core5.util.TimeValue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.config.ProductVersion;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.TlsMaterial;

/**
 * Sends requests to the central window server over HTTPS with camel-http, presenting each municipality's own client
 * certificate. camel-http supports one SSL context per component, so every municipality gets its own component
 * named {@code https-<code>-<generation>}; a changed keystore file gets a new generation. All endpoints of a component
 * share its one connection pool, and {@link #closeIdleConnections()} closes the connections that have been idle
 * longer than {@code agent.http.idle-close-ms}, so an agent for hundreds of municipalities keeps sockets open only
 * for the municipalities that are sending.
 *
 * <p>With two central URLs (the nodes of a primary/backup pair), requests go to one node until a connection fails or
 * the node responds with 503, as a node on standby does. The client then switches to the other node and sends the
 * request there once more. Every window request is idempotent, so sending it again is safe. Each municipality
 * uses the server or pair that {@link AgentSettings#centralUrls(MunicipalityCode)} names for it, and every component
 * goes through the forward proxy of {@link AgentSettings#proxy()} when one is configured.
 */
final class CentralClient implements AutoCloseable {

    /** A response: status code, body text and the headers the agent reads. */
    record Response(int status, String body, String uploadOffset, String retryAfter) {
        boolean isSuccess() {
            return status >= 200 && status < 300;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(CentralClient.class);
    /** The header with the SHA-256 digest of this agent's effective configuration. */
    static final String CONFIG_HEADER = "Window-Agent-Config";
    /** This agent's version, sent with every request so that the union's operators see which agents run what. */
    static final String VERSION = ProductVersion.read("/agent-version.properties");
    /** Status with which the central server rejects every request of an agent whose version it does not accept. */
    static final int VERSION_NOT_ACCEPTED = 426;

    private final CamelContext camelContext;
    private final AgentSettings settings;
    private final KeyMaterialLayout keys;
    private final Function<MunicipalityCode, Path> clientKeystore;
    /** The central server or pair of each municipality; replaced when the municipality list is reloaded. */
    private volatile Function<MunicipalityCode, List<URI>> centralUrls;
    private final ProducerTemplate template;
    private final String instanceId;
    private final Map<MunicipalityCode, Registered> endpoints = new ConcurrentHashMap<>();
    private final AtomicInteger generation = new AtomicInteger();
    /** The node in use of each central server or pair, so municipalities that share one switch together. */
    private final Map<List<URI>, AtomicInteger> nodes = new ConcurrentHashMap<>();
    private final AtomicLong proxyErrorLogged = new AtomicLong();
    private final AtomicLong versionErrorLogged = new AtomicLong();
    /** The central server's latest rejection of this agent's version, or null since an accepted request. */
    private volatile String versionRejection;

    /** The component of one municipality and the keystore state it was built from. */
    private record Registered(String scheme, FileTime keystoreModified) {
    }

    CentralClient(CamelContext camelContext, AgentSettings settings, KeyMaterialLayout keys, String instanceId) {
        this(camelContext, settings, keys, keys::clientKeystore, instanceId);
    }

    /**
     * @param clientKeystore the client keystore presented for each municipality: the municipality's own, or the
     *                       union agent's for every municipality in union mode
     * @param instanceId     this agent installation's id, sent with every request
     */
    CentralClient(CamelContext camelContext, AgentSettings settings, KeyMaterialLayout keys,
            Function<MunicipalityCode, Path> clientKeystore, String instanceId) {
        this.camelContext = camelContext;
        this.settings = settings;
        this.keys = keys;
        this.clientKeystore = clientKeystore;
        this.centralUrls = settings::centralUrls;
        this.instanceId = instanceId;
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
        List<URI> urls = centralUrls.apply(code);
        AtomicInteger node = node(urls);
        int tried = node.get();
        try {
            Response response = sendTo(urls.get(tried % urls.size()), scheme, code, method, path, headers, body);
            if (response.status() != 503 || !switchNode(urls, node, tried, "HTTP 503")) {
                return response;
            }
        } catch (IOException e) {
            // The other node is behind the same proxy, so a rejection by the proxy is no reason to switch.
            if (e instanceof ProxyRefusedException || !switchNode(urls, node, tried, e.getMessage())) {
                throw e;
            }
        }
        return sendTo(urls.get(node.get() % urls.size()), scheme, code, method, path, headers, body);
    }

    /** Sends each municipality's requests to the servers that the reloaded settings name from now on. */
    void useCentralUrls(AgentSettings reloaded) {
        this.centralUrls = reloaded::centralUrls;
    }

    /**
     * Moves on from the node that failed to the other one, unless another request has already done so.
     *
     * @return false when there is no other node
     */
    private boolean switchNode(List<URI> urls, AtomicInteger node, int failed, String reason) {
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

    private Response sendTo(URI central, String scheme, MunicipalityCode code, String method, String path,
            Map<String, String> headers, Object body) throws IOException {
        String uri = scheme + "://" + central.getRawAuthority()
                + "?bridgeEndpoint=true&throwExceptionOnFailure=false&disableStreamCache=false";
        Exchange reply = template.request(uri, exchange -> {
            exchange.getMessage().removeHeaders("*");
            exchange.getMessage().setHeader(Exchange.HTTP_METHOD, method);
            exchange.getMessage().setHeader(Exchange.HTTP_PATH, path);
            headers.forEach(exchange.getMessage()::setHeader);
            exchange.getMessage().setHeader("User-Agent", "window-agent/" + VERSION);
            exchange.getMessage().setHeader("Window-Agent-Version", VERSION);
            exchange.getMessage().setHeader(CONFIG_HEADER, settings.configDigest());
            exchange.getMessage().setHeader(AgentInstance.HEADER, instanceId);
            exchange.getMessage().setBody(body);
        });
        Exception failure = reply.getException();
        if (failure != null) {
            throw new IOException("request " + method + " " + path + " for municipality " + code + " failed: "
                    + failure.getMessage(), failure);
        }
        Integer status = reply.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        if (status != null && status == 407) {
            throw proxyRefused(code);
        }
        Response response = new Response(status == null ? 0 : status,
                reply.getMessage().getBody(String.class),
                reply.getMessage().getHeader("Upload-Offset", String.class),
                reply.getMessage().getHeader("Retry-After", String.class));
        noteVersionVerdict(code, response.status(), response.body());
        return response;
    }

    /**
     * Records whether the central server accepted this agent's version. A rejection (426) is logged as an error at most
     * once a minute for the whole agent, because no file moves until a person installs an accepted version.
     */
    void noteVersionVerdict(MunicipalityCode code, int status, String body) {
        if (status != VERSION_NOT_ACCEPTED) {
            if (status >= 200 && status < 300) {
                versionRejection = null;
            }
            return;
        }
        String message = rejectionMessage(body);
        versionRejection = message;
        long now = System.nanoTime();
        long last = versionErrorLogged.get();
        if ((last == 0 || now - last > TimeUnit.MINUTES.toNanos(1)) && versionErrorLogged.compareAndSet(last, now)) {
            LOG.error("Central window server does not accept this agent's version, files wait in the queue:"
                    + " municipality={} version={} {}", code, VERSION, message);
        }
    }

    /** Returns this agent installation's id, sent with every request. */
    String instanceId() {
        return instanceId;
    }

    /** Returns the central server's latest rejection of this agent's version, or null when requests are accepted. */
    String versionRejection() {
        return versionRejection;
    }

    /** Returns the error and action of a 426 body, or the body itself when it is not the expected JSON. */
    private static String rejectionMessage(String body) {
        try {
            com.fasterxml.jackson.databind.JsonNode error = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(body == null ? "{}" : body);
            if (error.hasNonNull("error")) {
                return error.path("error").asText() + "; " + error.path("action").asText();
            }
        } catch (IOException e) {
            // Not JSON: the body is shown as it came.
        }
        return "HTTP 426 " + body;
    }

    /**
     * The HTTP client of a municipality's component and the central server it is aimed at: node {@code node} of the
     * server or pair {@code centralUrls}.
     */
    record StreamingTarget(org.apache.hc.client5.http.classic.HttpClient client, URI centralUrl, List<URI> centralUrls,
            int node) {
    }

    /**
     * Returns the HTTP client behind the municipality's component, with its client certificate, timeouts and
     * connection pool, and the central server in use, for a request whose response body must stream instead of being
     * read whole.
     */
    StreamingTarget streamingTarget(MunicipalityCode code) throws IOException {
        List<URI> urls = centralUrls.apply(code);
        int current = node(urls).get();
        URI url = urls.get(current % urls.size());
        String uri = scheme(code) + "://" + url.getRawAuthority()
                + "?bridgeEndpoint=true&throwExceptionOnFailure=false&disableStreamCache=true";
        return new StreamingTarget(camelContext.getEndpoint(uri, org.apache.camel.component.http.HttpEndpoint.class)
                .getHttpClient(), url, urls, current);
    }

    /** Moves on to the other central server, if there is one, after a streaming request to the target failed. */
    void streamingFailed(StreamingTarget target, String reason) {
        switchNode(target.centralUrls(), node(target.centralUrls()), target.node(), reason);
    }

    private AtomicInteger node(List<URI> urls) {
        return nodes.computeIfAbsent(urls, key -> new AtomicInteger());
    }

    /**
     * Returns the scheme of the municipality's component, building a new component when its client keystore file has
     * changed, so a renewed certificate is used without a restart.
     */
    private String scheme(MunicipalityCode code) throws IOException {
        FileTime modified = Files.getLastModifiedTime(clientKeystore.apply(code));
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
                LOG.info("Client certificate reloaded: municipality={} keystore={}", code, clientKeystore.apply(code));
            }
            return registered.scheme();
        }
    }

    private Registered register(MunicipalityCode code, FileTime modified) throws IOException {
        Path keystore = clientKeystore.apply(code);
        SSLContextParameters tls = TlsMaterial.clientParameters(keystore, keys.truststore());
        warnIfExpiring(code, keystore);
        HttpComponent component = new SharedPoolComponent();
        component.setSslContextParameters(tls);
        component.setConnectTimeout(settings.connectTimeoutMillis());
        component.setConnectionRequestTimeout(settings.connectTimeoutMillis());
        component.setSoTimeout(settings.responseTimeoutMillis());
        component.setResponseTimeout(settings.responseTimeoutMillis());
        component.setFollowRedirects(false);
        // The forwarder retries itself, with backoff and per municipality; the client's own retries would hold a worker
        // for as long as a Retry-After header requests.
        component.setAutomaticRetriesDisabled(true);
        component.setMaxTotalConnections(4);
        component.setConnectionsPerRoute(4);
        // HttpClient tags a connection that presented a client certificate with its principal, and reuses it only for
        // requests carrying that user token. These requests carry none, so each opened a new TLS connection. All
        // connections of this component present one municipality's certificate, so the tag is not needed.
        component.setHttpClientConfigurer(builder -> builder.disableConnectionState());
        useProxy(component);
        String scheme = "https-" + code + "-" + generation.incrementAndGet();
        camelContext.addComponent(scheme, component);
        return new Registered(scheme, modified);
    }

    /**
     * Closes every pooled connection idle for longer than {@code agent.http.idle-close-ms} and every expired one. Runs
     * on the housekeeping thread.
     */
    void closeIdleConnections() {
        TimeValue idle = TimeValue.ofMilliseconds(settings.idleConnectionCloseMillis());
        for (Registered registered : endpoints.values()) {
            if (camelContext.hasComponent(registered.scheme()) instanceof SharedPoolComponent component
                    && component.getClientConnectionManager() instanceof PoolingHttpClientConnectionManager pool) {
                pool.closeExpired();
                pool.closeIdle(idle);
            }
        }
    }

    /** Counts the connections held by the pools of every municipality, in use or idle. */
    int openConnections() {
        int open = 0;
        for (Registered registered : endpoints.values()) {
            if (camelContext.hasComponent(registered.scheme()) instanceof SharedPoolComponent component
                    && component.getClientConnectionManager() instanceof PoolingHttpClientConnectionManager pool) {
                PoolStats stats = pool.getTotalStats();
                open += stats.getLeased() + stats.getAvailable();
            }
        }
        return open;
    }

    /**
     * An HTTP component whose endpoints share one connection pool. Plain camel-http gives each endpoint URI its own
     * pool, and the agent uses several URIs per municipality (buffered and streaming responses, two nodes).
     */
    private static final class SharedPoolComponent extends HttpComponent {
        @Override
        protected synchronized HttpClientConnectionManager createConnectionManager(
                Registry<ConnectionSocketFactory> registry, int maxTotalConnections, int connectionsPerRoute,
                SocketConfig socketConfig) {
            HttpClientConnectionManager shared = getClientConnectionManager();
            if (shared == null) {
                shared = super.createConnectionManager(registry, maxTotalConnections, connectionsPerRoute,
                        socketConfig);
                setClientConnectionManager(shared);
            }
            return shared;
        }
    }

    /** Sends the component's requests through the forward proxy, if one is configured, with HTTP CONNECT. */
    private void useProxy(HttpComponent component) throws IOException {
        ForwardProxy proxy = settings.proxy();
        if (proxy == null) {
            return;
        }
        component.setProxyHost(proxy.host());
        component.setProxyPort(proxy.port());
        // The scheme of the connection to the proxy, which camel-http otherwise takes from the target (https).
        component.setProxyAuthScheme("http");
        if (proxy.user() != null) {
            component.setProxyAuthMethod("Basic");
            component.setProxyAuthUsername(proxy.user());
            component.setProxyAuthPassword(proxy.readPassword());
        }
    }

    /**
     * Creates the failure for a 407 response, which only a forward proxy sends, and logs it as an error at most once a
     * minute, because no file moves until a person corrects the proxy settings.
     */
    private ProxyRefusedException proxyRefused(MunicipalityCode code) {
        ForwardProxy proxy = settings.proxy();
        String message = proxy == null
                ? "a proxy on the way answered 407 Proxy Authentication Required although agent.proxy.url is empty;"
                        + " set agent.proxy.url, agent.proxy.user and agent.proxy.password-file"
                : proxy.user() == null
                        ? "forward proxy " + proxy.url() + " requires authentication (407 Proxy Authentication"
                                + " Required); set agent.proxy.user and agent.proxy.password-file"
                        : "forward proxy " + proxy.url() + " refused user " + proxy.user() + " (407 Proxy"
                                + " Authentication Required); check agent.proxy.user and the password in "
                                + proxy.passwordFile();
        long now = System.nanoTime();
        long last = proxyErrorLogged.get();
        if ((last == 0 || now - last > TimeUnit.MINUTES.toNanos(1)) && proxyErrorLogged.compareAndSet(last, now)) {
            LOG.error("Forward proxy refused the request, files wait in the queue: municipality={} {}", code, message);
        }
        return new ProxyRefusedException(message);
    }

    /** A request that the forward proxy rejected for want of valid credentials. */
    private static final class ProxyRefusedException extends IOException {
        private static final long serialVersionUID = 1L;

        ProxyRefusedException(String message) {
            super(message);
        }
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

    @Override
    public void close() throws Exception {
        template.close();
    }
}
