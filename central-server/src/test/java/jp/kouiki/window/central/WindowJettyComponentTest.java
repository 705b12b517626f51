package jp.kouiki.window.central;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.apache.camel.component.jetty.JettyHttpEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;

class WindowJettyComponentTest {

    @Test
    void connectorsHaveNoHeaderCache() throws Exception {
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            WindowJettyComponent jetty = new WindowJettyComponent();
            camel.addComponent("window-jetty", jetty);
            camel.start();
            JettyHttpEndpoint endpoint = camel.getEndpoint("window-jetty:http://127.0.0.1:18999/probe",
                    JettyHttpEndpoint.class);

            AbstractConnector connector = jetty.createConnectorJettyInternal(new Server(), endpoint, null);

            List<HttpConfiguration> configurations = connector.getConnectionFactories().stream()
                    .filter(HttpConfiguration.ConnectionFactory.class::isInstance)
                    .map(factory -> ((HttpConfiguration.ConnectionFactory) factory).getHttpConfiguration())
                    .toList();
            assertThat(configurations).isNotEmpty();
            assertThat(configurations).allSatisfy(configuration ->
                    assertThat(configuration.getHeaderCacheSize()).isZero());
        }
    }
}
