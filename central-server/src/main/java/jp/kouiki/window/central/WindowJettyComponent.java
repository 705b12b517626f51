package jp.kouiki.window.central;

import org.apache.camel.component.jetty.JettyHttpEndpoint;
import org.apache.camel.component.jetty12.JettyHttpComponent12;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Camel's Jetty component with the window port's connections kept small, its rejected TLS handshakes logged and
 * Jetty's own error replies in JSON.
 * Every agent keeps one HTTPS connection per municipality open for its download polls, so the central server of a
 * union keeps one connection per member.
 */
final class WindowJettyComponent extends JettyHttpComponent12 {

    /**
     * Size of Jetty's per-connection cache of parsed header fields, where 0 turns it off. Jetty's default of 1,024
     * gave each connection a 98,320-byte character table. With connections from all 1,741 municipalities that was
     * 169 MiB, and the central server ran out of heap. Agents send a handful of headers, so parsing them anew costs
     * little.
     */
    static final int HEADER_CACHE_SIZE = 0;

    WindowJettyComponent() {
        setErrorHandler(new JsonErrorHandler());
    }

    @Override
    protected AbstractConnector createConnectorJettyInternal(Server server, JettyHttpEndpoint endpoint,
            SslContextFactory.Server sslContextFactory) {
        AbstractConnector connector = super.createConnectorJettyInternal(server, endpoint, sslContextFactory);
        for (ConnectionFactory factory : connector.getConnectionFactories()) {
            if (factory instanceof HttpConfiguration.ConnectionFactory http) {
                http.getHttpConfiguration().setHeaderCacheSize(HEADER_CACHE_SIZE);
            }
        }
        if (sslContextFactory != null) {
            connector.addBean(new HandshakeFailureLog(Integer.toString(endpoint.getPort())));
        }
        return connector;
    }
}
