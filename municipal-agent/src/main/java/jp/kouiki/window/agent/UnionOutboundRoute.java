package jp.kouiki.window.agent;

import org.apache.camel.builder.RouteBuilder;

import jp.kouiki.window.iffile.InterfaceFileRejectedException;

/**
 * Watches the union's {@code outbound/<code>/} and {@code outbound/all/} with one file consumer and sends each complete
 * file to the window server of each destination. The consumer moves a file only after the route has finished: to
 * {@code outbound-sent/} once every copy is queued at its window server, or to {@code outbound-error/} beside a reason
 * file when the file is refused. Any other failure, such as a window server that cannot be reached, leaves the file in
 * place for the next scan, and copies already queued are recognised by their file ids then.
 */
final class UnionOutboundRoute extends RouteBuilder {

    static final String ROUTE_ID = "union-outbound";

    private final AgentSettings settings;
    private final UnionOutboundPickup pickup;

    UnionOutboundRoute(AgentSettings settings, UnionOutboundPickup pickup) {
        this.settings = settings;
        this.pickup = pickup;
    }

    @Override
    public void configure() {
        from(outboundUri())
                .routeId(ROUTE_ID)
                .removeHeaders("*", "CamelFile*")
                .doTry()
                    .process(pickup::identify)
                    .process(pickup::checkAndSend)
                .doCatch(InterfaceFileRejectedException.class)
                    .process(pickup::refuse)
                .end();
    }

    private String outboundUri() {
        StringBuilder uri = new StringBuilder("file:").append(settings.unionOutboundRoot())
                .append("?recursive=true")
                .append("&minDepth=2")
                .append("&maxDepth=2")
                .append("&autoCreate=true")
                .append("&delay=").append(settings.pollIntervalMillis())
                .append("&sortBy=file:modified")
                .append("&maxMessagesPerPoll=200")
                .append("&eagerMaxMessagesPerPoll=false")
                .append("&antExclude=**/.*,**/*.done,**/*.camelLock")
                .append("&move=${header.").append(UnionOutboundPickup.TARGET_HEADER).append("}")
                .append("&filter=#").append(UnionOutboundPickup.FILTER_BEAN);
        if (settings.doneMarkerPickup()) {
            uri.append("&doneFileName=${file:name}.done");
        }
        return uri.toString();
    }
}
