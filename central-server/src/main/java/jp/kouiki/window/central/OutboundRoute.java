package jp.kouiki.window.central;

import org.apache.camel.builder.RouteBuilder;

import jp.kouiki.window.iffile.InterfaceFileRejectedException;

/**
 * Watches {@code union/outbound/<code>/} and {@code union/outbound/all/} with one file consumer and queues each
 * complete file for its municipality, or for every municipality served. The consumer moves a file only after the
 * route has finished: to {@code union/outbound-sent/} once every copy is committed to its download queue, or to
 * {@code union/outbound-error/} beside a reason file when the file is refused. Any other failure leaves the file in
 * place for the next scan, and copies already queued are recognised by their file ids then.
 */
final class OutboundRoute extends RouteBuilder {

    /** The route's id; it starts only once the server is active, because a standby node must not pick up files. */
    static final String ROUTE_ID = "outbound-pickup";

    private final CentralSettings settings;
    private final OutboundPickup pickup;

    OutboundRoute(CentralSettings settings, OutboundPickup pickup) {
        this.settings = settings;
        this.pickup = pickup;
    }

    @Override
    public void configure() {
        from(outboundUri())
                .routeId(ROUTE_ID)
                .autoStartup(false)
                .removeHeaders("*", "CamelFile*")
                .doTry()
                    .process(pickup::identify)
                    .process(pickup::checkAndQueue)
                .doCatch(InterfaceFileRejectedException.class)
                    .process(pickup::refuse)
                .end();
    }

    private String outboundUri() {
        StringBuilder uri = new StringBuilder("file:").append(settings.outboundRoot())
                .append("?recursive=true")
                .append("&minDepth=2")
                .append("&maxDepth=2")
                .append("&autoCreate=true")
                .append("&delay=").append(settings.downloads().pollIntervalMillis())
                .append("&sortBy=file:modified")
                .append("&maxMessagesPerPoll=200")
                .append("&eagerMaxMessagesPerPoll=false")
                .append("&antExclude=**/.*,**/*.done,**/*.camelLock")
                .append("&move=${header.").append(OutboundPickup.TARGET_HEADER).append("}")
                .append("&filter=#").append(OutboundPickup.FILTER_BEAN);
        if (settings.downloads().doneMarkerPickup()) {
            uri.append("&doneFileName=${file:name}.done");
        }
        return uri.toString();
    }
}
