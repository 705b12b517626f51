package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import jp.kouiki.window.agent.AgentSettings;
import jp.kouiki.window.agent.MunicipalAgent;
import jp.kouiki.window.agent.UnionAgent;
import jp.kouiki.window.central.CentralServer;
import jp.kouiki.window.central.CentralSettings;
import jp.kouiki.window.config.Settings;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;

/**
 * The five deployment patterns, each brought up on this machine. Central servers run in this JVM, each with its own
 * port, data, union folder and in-VM broker id, and so do agents with their own folders and brokers. For the patterns
 * whose window servers are housed apart from the union (3 to 5), a private squid is the municipal network's forward
 * proxy with Basic authentication. Each pattern moves a real postal file of four Tokyo municipalities and checks that
 * every file lands once, in the union folder of the window server that serves its municipality, and nowhere else. A
 * file from the union to each municipality then takes the same routes back to its agent site's inbox.
 *
 * <p>Window servers housed apart from the union run in union mode: they keep files encrypted in their queues, and the
 * union's agent of each server (agent.mode=union, the union's client certificate) pulls them through the same proxy
 * into its own union folders and sends the union's outbound files back. Nothing is written into the window server's
 * own union folder then.
 */
class DeploymentPatternIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final MunicipalityCode MINATO = MunicipalityCode.of("131032");
    private static final MunicipalityCode SHINJUKU = MunicipalityCode.of("131041");
    private static final List<MunicipalityCode> CODES = List.of(CHIYODA, CHUO, MINATO, SHINJUKU);
    private static final String PROXY_USER = "window-agent";
    private static final String PROXY_PASSWORD = "correct horse 7";
    private static final Duration DELIVERY_TIMEOUT = Duration.ofSeconds(60);

    /**
     * A layout: which municipalities each window server serves, which municipalities each agent site serves, and
     * whether the agents reach the window servers through a forward proxy.
     */
    enum Pattern {
        /** With the union's servers, one window server per municipality, one agent per municipality. */
        ONE(false, List.of(List.of(CHIYODA), List.of(CHUO), List.of(MINATO), List.of(SHINJUKU)),
                List.of(List.of(CHIYODA), List.of(CHUO), List.of(MINATO), List.of(SHINJUKU))),
        /** With the union's servers, two window servers of two municipalities each, one agent per municipality. */
        TWO(false, List.of(List.of(CHIYODA, CHUO), List.of(MINATO, SHINJUKU)),
                List.of(List.of(CHIYODA), List.of(CHUO), List.of(MINATO), List.of(SHINJUKU))),
        /** Housed apart from the union, one window server per municipality, agents behind the proxy. */
        THREE(true, ONE.servers, ONE.sites),
        /** Housed apart from the union, two window servers of two municipalities each, agents behind the proxy. */
        FOUR(true, TWO.servers, TWO.sites),
        /**
         * A municipal system shared by four municipalities: one agent site for all four behind the proxy, reaching two
         * window servers apart from the union through per-municipality URLs. One municipality names a pair whose first
         * node is down.
         */
        FIVE(true, TWO.servers, List.of(CODES));

        final boolean behindProxy;
        final List<List<MunicipalityCode>> servers;
        final List<List<MunicipalityCode>> sites;

        Pattern(boolean behindProxy, List<List<MunicipalityCode>> servers, List<List<MunicipalityCode>> sites) {
            this.behindProxy = behindProxy;
            this.servers = servers;
            this.sites = sites;
        }
    }

    @TempDir
    Path root;

    private final List<CentralServer> centrals = new ArrayList<>();
    private final List<MunicipalAgent> agents = new ArrayList<>();
    private final List<UnionAgent> unionAgents = new ArrayList<>();
    private Pattern pattern;
    private final Map<MunicipalityCode, Integer> serverOf = new LinkedHashMap<>();
    private final List<Integer> ports = new ArrayList<>();
    private SquidProxy squid;
    /** A loopback URL where nothing listens. */
    private String deadUrl;

    @AfterEach
    void stopEverything() throws Exception {
        try {
            stopAgents();
            stopUnionAgents();
            for (CentralServer central : centrals) {
                central.close();
            }
        } finally {
            if (squid != null) {
                squid.close();
            }
        }
    }

    @ParameterizedTest(name = "pattern {index}")
    @EnumSource(Pattern.class)
    void filesReachOnlyTheirOwnWindowServer(Pattern pattern) throws Exception {
        this.pattern = pattern;
        if (pattern.behindProxy) {
            SquidProxy.requireInstalled();
            squid = SquidProxy.start(PROXY_USER, PROXY_PASSWORD);
        }
        new DevCredentialGenerator(root.resolve("keys")).generate(CODES, List.of());
        startCentralServers(pattern);
        deadUrl = "https://127.0.0.1:" + freePort();
        Map<MunicipalityCode, byte[]> files = new LinkedHashMap<>();
        for (MunicipalityCode code : CODES) {
            files.put(code, TestFiles.postalRecords(code.value().substring(0, 5)));
        }

        if (pattern.behindProxy) {
            startAgents(pattern, "wrong password");
            dropAll(pattern, files);
            assertNothingDeliveredWithWrongProxyPassword();
            stopAgents();
            // Started now, so that squid's log above shows the municipal agents' refusals only.
            startUnionAgents(pattern);
        }
        try (LogCapture log = LogCapture.warnings()) {
            startAgents(pattern, PROXY_PASSWORD);
            if (!pattern.behindProxy) {
                dropAll(pattern, files);
            }

            for (MunicipalityCode code : CODES) {
                Path delivered = inbound(serverOf.get(code), code).resolve(fileName(code));
                await("delivery of " + delivered).atMost(DELIVERY_TIMEOUT).until(() -> Files.exists(delivered));
                assertThat(delivered).hasBinaryContent(files.get(code));
            }
            assertDownloadsReachTheirSites(pattern);
            assertThat(log.linesContaining("Switching central window server")).as("node switches")
                    .containsExactlyElementsOf(pattern == Pattern.FIVE
                            ? List.of("WARN jp.kouiki.window.agent.CentralClient - Switching central window server:"
                                    + " from=" + deadUrl + " to=" + url(serverOf.get(MINATO)) + " reason=HTTP 503")
                            : List.of());
        }
        assertEachFileOnlyAtItsServer();
        if (pattern.behindProxy) {
            assertUnionModeKeptTheWindowServersFree(pattern);
            // squid logs a CONNECT when its tunnel closes, and the agents keep their connections open until they stop.
            stopAgents();
            stopUnionAgents();
            assertProxyTunnelledToEveryServer();
        }
    }

    private void startCentralServers(Pattern pattern) throws Exception {
        for (int server = 0; server < pattern.servers.size(); server++) {
            int port = freePort();
            ports.add(port);
            Properties properties = new Properties();
            properties.setProperty("central.municipalities", codeList(pattern.servers.get(server)));
            properties.setProperty("central.union-root", serverRoot(server).resolve("union").toString());
            properties.setProperty("central.data-dir", serverRoot(server).resolve("data").toString());
            properties.setProperty("central.keys-dir", root.resolve("keys").toString());
            properties.setProperty("central.window.port", Integer.toString(port));
            properties.setProperty("central.operator.port", Integer.toString(freePort()));
            properties.setProperty("central.operator.accounts-file",
                    serverRoot(server).resolve("operator-accounts").toString());
            properties.setProperty("central.broker.in-vm-id", Integer.toString(200 + server));
            properties.setProperty("central.broker.journal-type", "NIO");
            properties.setProperty("central.delivery.poll-interval-ms", "100");
            if (pattern.behindProxy) {
                properties.setProperty("central.union.delivery", "remote");
            }
            centrals.add(new CentralServer(CentralSettings.from(Settings.of(CentralSettings.DEFAULTS, properties)))
                    .start());
            for (MunicipalityCode code : pattern.servers.get(server)) {
                serverOf.put(code, server);
            }
        }
    }

    /**
     * Starts one agent per site. The first municipality's window server is the site's default; every other
     * municipality served elsewhere gets its own agent.central-url.<code>.
     */
    private void startAgents(Pattern pattern, String proxyPassword) throws Exception {
        Path passwordFile = Files.writeString(root.resolve("proxy.password"), proxyPassword + "\n",
                StandardCharsets.UTF_8);
        for (int site = 0; site < pattern.sites.size(); site++) {
            List<MunicipalityCode> codes = pattern.sites.get(site);
            Properties properties = new Properties();
            properties.setProperty("agent.municipalities", codeList(codes));
            properties.setProperty("agent.folder-root", siteRoot(site).resolve("folders").toString());
            properties.setProperty("agent.data-dir", siteRoot(site).resolve("data").toString());
            properties.setProperty("agent.keys-dir", root.resolve("keys").toString());
            int defaultServer = serverOf.get(codes.get(0));
            properties.setProperty("agent.central-url", url(defaultServer));
            for (MunicipalityCode code : codes) {
                if (serverOf.get(code) != defaultServer) {
                    properties.setProperty("agent.central-url." + code, url(serverOf.get(code)));
                }
            }
            if (pattern == Pattern.FIVE) {
                // A pair whose first node is down: only this municipality's requests switch to the second node.
                properties.setProperty("agent.central-url." + MINATO, deadUrl + "," + url(serverOf.get(MINATO)));
            }
            if (pattern.behindProxy) {
                properties.setProperty("agent.proxy.url", squid.url());
                properties.setProperty("agent.proxy.user", PROXY_USER);
                properties.setProperty("agent.proxy.password-file", passwordFile.toString());
            }
            properties.setProperty("agent.broker.in-vm-id", Integer.toString(100 + site));
            properties.setProperty("agent.broker.journal-type", "NIO");
            properties.setProperty("agent.pickup.quiet-period-ms", "300");
            properties.setProperty("agent.pickup.poll-interval-ms", "100");
            properties.setProperty("agent.upload.retry-initial-delay-ms", "200");
            properties.setProperty("agent.upload.retry-max-delay-ms", "1000");
            properties.setProperty("agent.upload.chunk-size-bytes", "65536");
            properties.setProperty("agent.receipt.poll-interval-ms", "500");
            agents.add(new MunicipalAgent(AgentSettings.from(Settings.of(AgentSettings.DEFAULTS, properties)))
                    .start());
        }
    }

    /**
     * Starts the union's agent of each window server, behind the same proxy, with the union's certificate and its own
     * union folders.
     */
    private void startUnionAgents(Pattern pattern) throws Exception {
        Path passwordFile = Files.writeString(root.resolve("union-proxy.password"), PROXY_PASSWORD + "\n",
                StandardCharsets.UTF_8);
        for (int server = 0; server < pattern.servers.size(); server++) {
            Properties properties = new Properties();
            properties.setProperty("agent.mode", "union");
            properties.setProperty("agent.municipalities", codeList(pattern.servers.get(server)));
            properties.setProperty("agent.folder-root", unionFolders(server).toString());
            properties.setProperty("agent.data-dir", root.resolve("union-data-" + server).toString());
            properties.setProperty("agent.keys-dir", root.resolve("keys").toString());
            properties.setProperty("agent.central-url", url(server));
            properties.setProperty("agent.proxy.url", squid.url());
            properties.setProperty("agent.proxy.user", PROXY_USER);
            properties.setProperty("agent.proxy.password-file", passwordFile.toString());
            properties.setProperty("agent.pickup.quiet-period-ms", "300");
            properties.setProperty("agent.pickup.poll-interval-ms", "100");
            properties.setProperty("agent.download.poll-interval-ms", "200");
            unionAgents.add(new UnionAgent(AgentSettings.from(Settings.of(AgentSettings.DEFAULTS, properties)))
                    .start());
        }
    }

    private void stopUnionAgents() throws Exception {
        for (UnionAgent agent : unionAgents) {
            agent.close();
        }
        unionAgents.clear();
    }

    /**
     * In union mode the window servers wrote nothing into their own union folders, the sending agents got their
     * receipts from the union agent's acknowledgements, and every queue at the window servers is empty.
     */
    private void assertUnionModeKeptTheWindowServersFree(Pattern pattern) throws IOException {
        for (int server = 0; server < centrals.size(); server++) {
            assertThat(ProcessSystem.regularFiles(serverRoot(server).resolve("union/inbound")))
                    .as("files written at window server %d's own union folder", server).isEmpty();
        }
        for (int site = 0; site < pattern.sites.size(); site++) {
            for (MunicipalityCode code : pattern.sites.get(site)) {
                Path sent = siteRoot(site).resolve("folders/sent").resolve(code.value());
                await("receipt for " + code).atMost(DELIVERY_TIMEOUT).untilAsserted(() -> assertThat(
                        ProcessSystem.regularFiles(sent)).anyMatch(file -> file.getFileName().toString()
                                .endsWith(fileName(code) + ".receipt")));
            }
        }
    }

    private void stopAgents() throws Exception {
        for (MunicipalAgent agent : agents) {
            agent.close();
        }
        agents.clear();
    }

    private void dropAll(Pattern pattern, Map<MunicipalityCode, byte[]> files) throws IOException {
        for (int site = 0; site < pattern.sites.size(); site++) {
            for (MunicipalityCode code : pattern.sites.get(site)) {
                Path outbox = Files.createDirectories(siteRoot(site).resolve("folders/outbox").resolve(code.value()));
                Path temporary = Files.write(outbox.resolve("." + fileName(code) + ".tmp"), files.get(code));
                Files.move(temporary, outbox.resolve(fileName(code)));
            }
        }
    }

    /**
     * Places a file for each municipality in the union's outbound folder of its window server and waits for it in the
     * inbox of the agent site that serves the municipality, the way back through the same routes and proxy.
     */
    private void assertDownloadsReachTheirSites(Pattern pattern) throws Exception {
        for (MunicipalityCode code : CODES) {
            Path outbound = Files.createDirectories(unionFolders(serverOf.get(code)).resolve("outbound")
                    .resolve(code.value()));
            String name = code + "_KYUFU_20261204.csv";
            Path temporary = Files.writeString(outbound.resolve("." + name + ".tmp"), "download for " + code + "\r\n");
            Files.move(temporary, outbound.resolve(name));
        }
        for (int site = 0; site < pattern.sites.size(); site++) {
            for (MunicipalityCode code : pattern.sites.get(site)) {
                Path inbox = siteRoot(site).resolve("folders/inbox").resolve(code.value())
                        .resolve(code + "_KYUFU_20261204.csv");
                await("download in " + inbox).atMost(DELIVERY_TIMEOUT).until(() -> Files.exists(inbox));
                assertThat(inbox).hasContent("download for " + code + "\r\n");
            }
        }
    }

    private void assertNothingDeliveredWithWrongProxyPassword() throws Exception {
        try (LogCapture log = LogCapture.warnings()) {
            await("the agent's error about the proxy's refusal").atMost(DELIVERY_TIMEOUT)
                    .until(() -> !log.linesContaining("Forward proxy refused the request").isEmpty());
            assertThat(log.linesContaining("Forward proxy refused the request").get(0))
                    .startsWith("ERROR ")
                    .contains("forward proxy " + squid.url() + " refused user " + PROXY_USER
                            + " (407 Proxy Authentication Required); check agent.proxy.user and the password in "
                            + root.resolve("proxy.password"));
        }
        await("no delivery while the proxy refuses the password").during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(10))
                .until(() -> deliveredFiles().isEmpty());
        assertThat(squid.accessLog()).contains("TCP_DENIED/407").doesNotContain("TCP_TUNNEL/200");
    }

    private void assertEachFileOnlyAtItsServer() throws IOException {
        List<Path> delivered = deliveredFiles();
        assertThat(delivered).hasSize(CODES.size());
        for (MunicipalityCode code : CODES) {
            assertThat(delivered).filteredOn(path -> path.getFileName().toString().equals(fileName(code)))
                    .as("copies of %s", fileName(code))
                    .containsExactly(inbound(serverOf.get(code), code).resolve(fileName(code)));
        }
    }

    private void assertProxyTunnelledToEveryServer() {
        for (int port : ports) {
            java.util.regex.Pattern tunnel = java.util.regex.Pattern.compile(
                    "TCP_TUNNEL/200 \\d+ CONNECT 127\\.0\\.0\\.1:" + port + " " + PROXY_USER + " ");
            await("squid's log of the tunnel to port " + port).atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(squid.accessLog()).as("squid access log").containsPattern(tunnel));
        }
    }

    /** Lists the files in every window server's union folders, staging folders excluded. */
    private List<Path> deliveredFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        for (int server = 0; server < centrals.size(); server++) {
            for (Path file : ProcessSystem.regularFiles(unionFolders(server).resolve("inbound"))) {
                if (!file.getParent().getFileName().toString().equals(".part")) {
                    files.add(file);
                }
            }
        }
        return files;
    }

    private Path serverRoot(int server) {
        return root.resolve("server-" + server);
    }

    private Path siteRoot(int site) {
        return root.resolve("site-" + site);
    }

    private Path inbound(int server, MunicipalityCode code) {
        return unionFolders(server).resolve("inbound").resolve(code.value());
    }

    /**
     * The union's folders for a window server's municipalities: its own central.union-root at the union's site, or the
     * union agent's folders where the server is housed apart.
     */
    private Path unionFolders(int server) {
        return pattern.behindProxy ? root.resolve("union-" + server) : serverRoot(server).resolve("union");
    }

    private String url(int server) {
        return "https://127.0.0.1:" + ports.get(server);
    }

    private static String fileName(MunicipalityCode code) {
        return code + "_POSTAL_20261204.csv";
    }

    private static String codeList(List<MunicipalityCode> codes) {
        return codes.stream().map(MunicipalityCode::value).collect(Collectors.joining(","));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
