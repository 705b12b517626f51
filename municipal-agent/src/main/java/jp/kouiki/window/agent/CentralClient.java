package jp.kouiki.window.agent;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.support.jsse.SSLContextParameters;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.TlsMaterial;

/**
 * Sends requests to the central window server over HTTPS with camel-http, presenting each municipality's own client
 * certificate. camel-http supports one SSL context per component, so every municipality gets its own component
 * (and connection pool) named {@code https-<code>}.
 */
final class CentralClient implements AutoCloseable {

    /** A response: status code, body text and the headers the agent reads. */
    record Response(int status, String body, String uploadOffset, String retryAfter) {
        boolean isSuccess() {
            return status >= 200 && status < 300;
        }
    }

    private final CamelContext camelContext;
    private final AgentSettings settings;
    private final KeyMaterialLayout keys;
    private final ProducerTemplate template;
    private final Map<MunicipalityCode, String> endpoints = new ConcurrentHashMap<>();

    CentralClient(CamelContext camelContext, AgentSettings settings, KeyMaterialLayout keys) {
        this.camelContext = camelContext;
        this.settings = settings;
        this.keys = keys;
        this.template = camelContext.createProducerTemplate();
    }

    /**
     * Sends one request.
     *
     * @throws IOException when no response arrived: the connection failed, timed out or broke
     */
    Response send(MunicipalityCode code, String method, String path, Map<String, String> headers, byte[] body)
            throws IOException {
        Exchange reply = template.request(endpoint(code), exchange -> {
            exchange.getMessage().removeHeaders("*");
            exchange.getMessage().setHeader(Exchange.HTTP_METHOD, method);
            exchange.getMessage().setHeader(Exchange.HTTP_PATH, path);
            headers.forEach(exchange.getMessage()::setHeader);
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

    private String endpoint(MunicipalityCode code) {
        return endpoints.computeIfAbsent(code, this::register);
    }

    private String register(MunicipalityCode code) {
        try {
            SSLContextParameters tls = TlsMaterial.clientParameters(keys.clientKeystore(code), keys.truststore());
            HttpComponent component = new HttpComponent();
            component.setSslContextParameters(tls);
            component.setConnectTimeout(settings.connectTimeoutMillis());
            component.setConnectionRequestTimeout(settings.connectTimeoutMillis());
            component.setSoTimeout(settings.responseTimeoutMillis());
            component.setResponseTimeout(settings.responseTimeoutMillis());
            component.setFollowRedirects(false);
            component.setMaxTotalConnections(4);
            component.setConnectionsPerRoute(4);
            String scheme = "https-" + code;
            camelContext.addComponent(scheme, component);
            String authority = settings.centralUrl().getRawAuthority();
            return scheme + "://" + authority
                    + "?bridgeEndpoint=true&throwExceptionOnFailure=false&disableStreamCache=false";
        } catch (IOException e) {
            throw new IllegalStateException("client certificate of municipality " + code + " cannot be loaded: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws Exception {
        template.close();
    }
}
