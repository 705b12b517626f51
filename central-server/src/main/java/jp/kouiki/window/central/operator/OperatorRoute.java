package jp.kouiki.window.central.operator;

import org.apache.camel.builder.RouteBuilder;

/**
 * The operator port's route: HTTPS on its own Jetty component and port, separate from the window port. Every request
 * header is removed first; {@link OperatorRequests} reads what it needs from the servlet request, and only the
 * response headers it sets leave the route.
 */
final class OperatorRoute extends RouteBuilder {

    static final String JETTY_COMPONENT = "operator-jetty";

    private final OperatorSettings settings;
    private final OperatorRequests requests;

    OperatorRoute(OperatorSettings settings, OperatorRequests requests) {
        this.settings = settings;
        this.requests = requests;
    }

    @Override
    public void configure() {
        onException(Exception.class)
                .handled(true)
                .process(requests::writeError)
                .removeHeaders("*", OperatorRequests.RESPONSE_HEADERS.toArray(String[]::new));

        from(JETTY_COMPONENT + ":https://" + settings.host() + ":" + settings.port() + "/"
                + "?matchOnUriPrefix=true"
                + "&disableStreamCache=true"
                + "&muteException=true"
                + "&mapHttpMessageBody=false"
                + "&mapHttpMessageFormUrlEncodedBody=false"
                + "&httpMethodRestrict=GET,POST,DELETE")
                .routeId("operator-http")
                .removeHeaders("*")
                .process(requests::handle)
                .removeHeaders("*", OperatorRequests.RESPONSE_HEADERS.toArray(String[]::new));
    }
}
