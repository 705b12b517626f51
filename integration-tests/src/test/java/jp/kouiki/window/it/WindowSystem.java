package jp.kouiki.window.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;

import jp.kouiki.window.agent.AgentSettings;
import jp.kouiki.window.agent.MunicipalAgent;
import jp.kouiki.window.central.CentralServer;
import jp.kouiki.window.central.CentralSettings;
import jp.kouiki.window.config.Settings;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;

/**
 * A central server and an agent in this JVM, each with its own embedded broker and data under one folder, talking
 * real HTTPS with generated certificates on a free loopback port.
 */
final class WindowSystem implements AutoCloseable {

    final Path root;
    final List<MunicipalityCode> codes;
    final int port;
    final int operatorPort;
    private CentralServer central;
    private MunicipalAgent agent;

    WindowSystem(Path root, List<MunicipalityCode> codes) throws Exception {
        this.root = root;
        this.codes = List.copyOf(codes);
        this.port = freePort();
        this.operatorPort = freePort();
        new DevCredentialGenerator(keys()).generate(codes, List.of());
    }

    Path keys() {
        return root.resolve("keys");
    }

    Path outbox(MunicipalityCode code) {
        return root.resolve("agent-folders/outbox").resolve(code.value());
    }

    /** Returns the root of the agent's folders: outbox, sent, error, held and inbox. */
    Path agentFolders() {
        return root.resolve("agent-folders");
    }

    Path sent(MunicipalityCode code) {
        return root.resolve("agent-folders/sent").resolve(code.value());
    }

    Path error(MunicipalityCode code) {
        return root.resolve("agent-folders/error").resolve(code.value());
    }

    Path inbound(MunicipalityCode code) {
        return root.resolve("union/inbound").resolve(code.value());
    }

    Path inbox(MunicipalityCode code) {
        return root.resolve("agent-folders/inbox").resolve(code.value());
    }

    Path outbound(String folder) {
        return root.resolve("union/outbound").resolve(folder);
    }

    /** Writes a file under a dot name into {@code union/outbound/<folder>/} and renames it, as the union's system should. */
    Path placeOutbound(String folder, String name, byte[] content) throws IOException {
        Path directory = Files.createDirectories(outbound(folder));
        Path temporary = directory.resolve("." + name + ".tmp");
        Files.write(temporary, content);
        return Files.move(temporary, directory.resolve(name));
    }

    Path centralData() {
        return root.resolve("central-data");
    }

    Path agentData() {
        return root.resolve("agent-data");
    }

    CentralServer startCentral() throws Exception {
        return startCentral(true);
    }

    CentralServer startCentral(boolean deliveryEnabled) throws Exception {
        Properties overrides = new Properties();
        overrides.setProperty("central.delivery.enabled", Boolean.toString(deliveryEnabled));
        return startCentral(overrides);
    }

    /** Starts the central server with the test defaults, then {@code overrides} on top. */
    CentralServer startCentral(Properties overrides) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("central.delivery.enabled", "true");
        properties.setProperty("central.municipalities", codeList());
        properties.setProperty("central.union-root", root.resolve("union").toString());
        properties.setProperty("central.data-dir", centralData().toString());
        properties.setProperty("central.keys-dir", keys().toString());
        properties.setProperty("central.window.port", Integer.toString(port));
        properties.setProperty("central.delivery.poll-interval-ms", "100");
        properties.setProperty("central.broker.journal-type", "NIO");
        properties.setProperty("central.outbound.pickup.quiet-period-ms", "300");
        properties.setProperty("central.outbound.poll-interval-ms", "100");
        properties.setProperty("central.operator.port", Integer.toString(operatorPort));
        properties.setProperty("central.operator.accounts-file", operatorAccounts().toString());
        properties.putAll(overrides);
        central = new CentralServer(CentralSettings.from(Settings.of(CentralSettings.DEFAULTS, properties))).start();
        return central;
    }

    /** Returns the central server's operator accounts file. */
    Path operatorAccounts() {
        return root.resolve("operator-accounts");
    }

    CentralServer central() {
        return central;
    }

    jp.kouiki.window.broker.WindowBroker centralBroker() {
        return central.broker();
    }

    io.micrometer.core.instrument.MeterRegistry centralMetrics() {
        return central.metrics();
    }

    long centralMessages(String queue) {
        return central.broker().messageCount(queue);
    }

    jp.kouiki.window.broker.WindowBroker agentBroker() {
        return agent.broker();
    }

    long agentMessages(String queue) {
        return agent.broker().messageCount(queue);
    }

    void stopCentral() throws Exception {
        central.close();
        central = null;
    }

    void stopAgent() throws Exception {
        agent.close();
        agent = null;
    }

    MunicipalAgent startAgent() throws Exception {
        return startAgent(new Properties());
    }

    /** Starts the agent with the test defaults, then {@code overrides} on top. */
    MunicipalAgent startAgent(Properties overrides) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("agent.municipalities", codeList());
        properties.setProperty("agent.folder-root", root.resolve("agent-folders").toString());
        properties.setProperty("agent.data-dir", agentData().toString());
        properties.setProperty("agent.keys-dir", keys().toString());
        properties.setProperty("agent.central-url", "https://localhost:" + port);
        properties.setProperty("agent.pickup.quiet-period-ms", "300");
        properties.setProperty("agent.pickup.poll-interval-ms", "100");
        properties.setProperty("agent.upload.retry-initial-delay-ms", "200");
        properties.setProperty("agent.upload.retry-max-delay-ms", "1000");
        properties.setProperty("agent.upload.chunk-size-bytes", "65536");
        properties.setProperty("agent.receipt.poll-interval-ms", "200");
        properties.setProperty("agent.broker.journal-type", "NIO");
        properties.setProperty("agent.download.poll-interval-ms", "200");
        properties.putAll(overrides);
        agent = new MunicipalAgent(AgentSettings.from(Settings.of(AgentSettings.DEFAULTS, properties))).start();
        return agent;
    }

    /** Writes a file under a dot name and renames it, as a municipal system should drop files. */
    Path drop(MunicipalityCode code, String name, byte[] content) throws IOException {
        Path folder = Files.createDirectories(outbox(code));
        Path temporary = folder.resolve("." + name + ".tmp");
        Files.write(temporary, content);
        return Files.move(temporary, folder.resolve(name));
    }

    private String codeList() {
        return codes.stream().map(MunicipalityCode::value).collect(Collectors.joining(","));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (central != null) {
            central.close();
        }
    }
}
