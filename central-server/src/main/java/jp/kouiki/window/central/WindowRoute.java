package jp.kouiki.window.central;

import java.security.Provider;
import java.security.Security;
import java.security.SignatureException;
import java.util.function.BooleanSupplier;

import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

import jp.kouiki.window.broker.HaRole;

/**
 * The window endpoint under {@code /window/v1/}: HTTPS with a client certificate on its own port. Every request header
 * is removed first. The processors read method, path and the few headers they need (Content-Range and, from an
 * accelerator, the forwarded client certificate) from the servlet request itself, so no header can steer Camel.
 */
final class WindowRoute extends RouteBuilder {

    static final String JETTY_COMPONENT = "window-jetty";

    /**
     * Provider of the manifest signature check. Bouncy Castle checks a P-256 signature in about a fifth of the time of
     * JDK 17's own provider (0.14 against 0.70 ms each on the benchmark machine), and a check uses no secret. It is
     * added after the JDK's providers, so these still serve TLS and everything else.
     */
    static final String SIGNATURE_PROVIDER = BouncyCastleProvider.PROVIDER_NAME;

    private final CentralSettings settings;
    private final BooleanSupplier active;
    private final WindowRequests requests;
    private final DownloadRequests downloads;
    private final DownloadRequests unionPickups;
    private final UnionDownloadReceiver unionDownloads;

    /**
     * @param unionPickups   the union agent's requests for stored files, or null when the union's folders are local
     * @param unionDownloads the union agent's downloads for municipalities, or null when the union's folders are local
     */
    WindowRoute(CentralSettings settings, BooleanSupplier active, WindowRequests requests,
            DownloadRequests downloads, DownloadRequests unionPickups, UnionDownloadReceiver unionDownloads) {
        this.settings = settings;
        this.active = active;
        this.requests = requests;
        this.downloads = downloads;
        this.unionPickups = unionPickups;
        this.unionDownloads = unionDownloads;
        signatureProvider();
    }

    /** Returns the provider of the manifest signature check, added to the JDK's providers on first use. */
    static synchronized Provider signatureProvider() {
        Provider provider = Security.getProvider(SIGNATURE_PROVIDER);
        if (provider == null) {
            provider = new BouncyCastleProvider();
            Security.addProvider(provider);
        }
        return provider;
    }

    @Override
    public void configure() {
        onException(WindowHttpException.class)
                .handled(true)
                .process(requests::writeError);
        onException(SignatureException.class)
                .handled(true)
                .process(requests::writeSignatureError);
        onException(Exception.class)
                .handled(true)
                .process(requests::writeServerError);

        from(JETTY_COMPONENT + ":https://" + settings.windowHost() + ":" + settings.windowPort() + "/window/v1"
                + "?matchOnUriPrefix=true"
                + "&disableStreamCache=true"
                + "&muteException=true"
                + "&idleTimeout=" + settings.idleTimeoutMillis()
                + "&mapHttpMessageBody=false"
                + "&mapHttpMessageFormUrlEncodedBody=false"
                + "&httpMethodRestrict=GET,HEAD,POST,PUT")
                .routeId("window-http")
                .removeHeaders("*")
                .process(this::requireActive)
                .process(requests::authenticate)
                .choice()
                    .when(exchangeProperty(WindowRequests.OPERATION).isEqualTo(WindowRequests.ANNOUNCE))
                        .process(requests::prepareAnnounce)
                        .to("crypto:verify:manifest?algorithm=SHA256withECDSA&provider=" + SIGNATURE_PROVIDER)
                        .removeHeaders("*")
                        .process(requests::announce)
                    .when(exchangeProperty(WindowRequests.OPERATION).isEqualTo(WindowRequests.WHOLE_FILE))
                        .process(requests::prepareWholeFile)
                        .to("crypto:verify:manifest?algorithm=SHA256withECDSA&provider=" + SIGNATURE_PROVIDER)
                        .removeHeaders("*")
                        .process(requests::wholeFile)
                    .when(exchangeProperty(WindowRequests.OPERATION).isEqualTo(WindowRequests.CHUNK))
                        .process(requests::chunk)
                    .when(exchangeProperty(WindowRequests.OPERATION).isEqualTo(WindowRequests.OFFSET))
                        .process(requests::offset)
                    .when(exchangeProperty(WindowRequests.OPERATION).isEqualTo(WindowRequests.STATUS))
                        .process(requests::status)
                    .when(exchangeProperty(WindowRequests.OPERATION).isEqualTo(WindowRequests.RECEIPTS))
                        .process(requests::receipts)
                    .when(exchangeProperty(WindowRequests.OPERATION).isEqualTo(WindowRequests.DOWNLOAD_NEXT))
                        .process(downloads::next)
                    .when(exchangeProperty(WindowRequests.OPERATION).isEqualTo(WindowRequests.DOWNLOAD_ACK))
                        .process(downloads::acknowledge)
                    .when(exchangeProperty(WindowRequests.OPERATION).isEqualTo(WindowRequests.CANCELLATIONS))
                        .process(requests::listCancellations)
                    .when(exchangeProperty(WindowRequests.OPERATION).isEqualTo(WindowRequests.CANCELLATION_DONE))
                        .process(requests::completeCancellation)
                    .when(exchangeProperty(WindowRequests.OPERATION).isEqualTo(WindowRequests.UNION_NEXT))
                        .process(exchange -> unionPickups.next(exchange))
                    .when(exchangeProperty(WindowRequests.OPERATION).isEqualTo(WindowRequests.UNION_ACK))
                        .process(exchange -> unionPickups.acknowledge(exchange))
                    .when(exchangeProperty(WindowRequests.OPERATION).isEqualTo(WindowRequests.UNION_DOWNLOAD))
                        .process(exchange -> unionDownloads.receive(exchange))
                    .otherwise()
                        .process(requests::notFound)
                .end()
                .removeHeaders("*", Exchange.HTTP_RESPONSE_CODE, Exchange.CONTENT_TYPE, "Upload-Offset", "Retry-After",
                        DownloadRequests.FILE_ID_HEADER, DownloadRequests.MANIFEST_HEADER,
                        DownloadRequests.SIGNATURE_HEADER, DownloadRequests.CIPHERTEXT_LENGTH_HEADER);
    }

    /**
     * Rejects every request with 503 until the server is active: on the standby node of a pair, which must not touch
     * the shared data directory, and on a single server while it starts.
     */
    private void requireActive(Exchange exchange) throws WindowHttpException {
        if (active.getAsBoolean()) {
            return;
        }
        if (settings.haRole() == HaRole.NONE) {
            throw new WindowHttpException(503, "this window server is starting", "retry in a few seconds", "5");
        }
        throw new WindowHttpException(503, "this window server is on standby; the other node of its pair is"
                + " active", "send to the other window server, or retry later", "5");
    }
}
