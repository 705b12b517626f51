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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.agent.AgentSettings;
import jp.kouiki.window.agent.MunicipalAgent;
import jp.kouiki.window.central.CentralServer;
import jp.kouiki.window.central.CentralSettings;
import jp.kouiki.window.central.operator.OperatorAccounts;
import jp.kouiki.window.central.operator.OperatorRole;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;

/**
 * Adds and removes a municipality at a running central server and agent by saving their configuration files, while
 * other municipalities' files flow. An added municipality's files cross both ways without a restart. A removed one's
 * new files are refused with a clear error and stay queued at the agent, so they are delivered once it is served
 * again. After its removal at the agent its outbox is no longer read.
 */
class MunicipalityReloadIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final MunicipalityCode MINATO = MunicipalityCode.of("131032");
    private static final MunicipalityCode SHINJUKU = MunicipalityCode.of("131041");
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final int FLOWING_FILES = 12;

    @TempDir
    Path root;

    private CentralServer central;
    private MunicipalAgent agent;
    private Thread dropper;
    private final AtomicReference<Throwable> dropFailure = new AtomicReference<>();
    private int port;
    private int operatorPort;

    @AfterEach
    void stopEverything() throws Exception {
        if (dropper != null) {
            dropper.interrupt();
            dropper.join(10_000);
        }
        if (agent != null) {
            agent.close();
        }
        if (central != null) {
            central.close();
        }
    }

    @Test
    void municipalityAddedAndRemovedWhileOthersFlow() throws Exception {
        new DevCredentialGenerator(root.resolve("keys")).generate(List.of(CHIYODA, CHUO, MINATO, SHINJUKU),
                List.of());
        port = freePort();
        Path centralConfig = root.resolve("central.properties");
        Path agentConfig = root.resolve("agent.properties");
        writeCentralConfig(centralConfig, "131016,131024,131032");
        writeAgentConfig(agentConfig, "131016,131024,131032");
        OperatorAccounts.put(root.resolve("operator-accounts"), "viewer", OperatorRole.VIEWER,
                "reload-viewer-password".toCharArray());
        central = new CentralServer(CentralSettings.load(centralConfig)).watchConfiguration(centralConfig).start();
        OperatorHttp operator = OperatorHttp.to(root.resolve("keys"), operatorPort());
        assertThat(operator.signIn("viewer", "reload-viewer-password").status()).isEqualTo(200);
        agent = new MunicipalAgent(AgentSettings.load(agentConfig)).watchConfiguration(agentConfig).start();

        Map<String, byte[]> flowing = startDropping(List.of(CHIYODA, CHUO));

        // Add 131041: the central server first, then its agent.
        writeCentralConfig(centralConfig, "131016,131024,131032,131041");
        await("central server serves 131041").atMost(TIMEOUT)
                .until(() -> central.servedMunicipalities().contains(SHINJUKU));
        assertThat(operatorCodes(operator)).as("municipalities in the operator view after the addition")
                .containsExactly("131016", "131024", "131032", "131041");
        assertThat(operator.get("/operator/api/municipalities/131041").json().path("status").path("name").asText())
                .isEqualTo("新宿区");
        writeAgentConfig(agentConfig, "131016,131024,131032,131041");
        await("agent serves 131041").atMost(TIMEOUT).until(() -> agent.servedMunicipalities().contains(SHINJUKU));
        byte[] shinjuku = TestFiles.postalRecords(SHINJUKU.fiveDigits());
        drop(root.resolve("agent/outbox").resolve(SHINJUKU.value()), SHINJUKU + "_POSTAL_20261204.csv", shinjuku);
        drop(root.resolve("union/outbound").resolve(SHINJUKU.value()), SHINJUKU + "_KYUFU_20261204.csv",
                "for 131041\r\n".getBytes(StandardCharsets.US_ASCII));
        Path delivered = root.resolve("union/inbound").resolve(SHINJUKU.value()).resolve(SHINJUKU
                + "_POSTAL_20261204.csv");
        await("file of the added municipality delivered").atMost(TIMEOUT).until(() -> Files.exists(delivered));
        assertThat(delivered).hasBinaryContent(shinjuku);
        Path downloaded = root.resolve("agent/inbox").resolve(SHINJUKU.value()).resolve(SHINJUKU
                + "_KYUFU_20261204.csv");
        await("download of the added municipality").atMost(TIMEOUT).until(() -> Files.exists(downloaded));

        // Remove 131032 at the central server only: its agent's new file is refused and stays queued there.
        try (LogCapture log = LogCapture.warnings()) {
            writeCentralConfig(centralConfig, "131016,131024,131041");
            await("central server no longer serves 131032").atMost(TIMEOUT)
                    .until(() -> !central.servedMunicipalities().contains(MINATO));
            assertThat(operatorCodes(operator)).as("municipalities in the operator view after the removal")
                    .containsExactly("131016", "131024", "131041");
            byte[] minato = TestFiles.postalRecords(MINATO.fiveDigits());
            drop(root.resolve("agent/outbox").resolve(MINATO.value()), MINATO + "_POSTAL_20261204.csv", minato);
            await("refusal of the removed municipality's new file").atMost(TIMEOUT)
                    .until(() -> !log.linesContaining("central server no longer serves this municipality").isEmpty());
            assertThat(log.linesContaining("Request refused, the municipality is no longer served here")).isNotEmpty();
            Path minatoDelivered = root.resolve("union/inbound").resolve(MINATO.value()).resolve(MINATO
                    + "_POSTAL_20261204.csv");
            assertThat(minatoDelivered).doesNotExist();
            assertThat(ProcessSystem.regularFiles(root.resolve("agent/error"))).as("files refused at the agent")
                    .isEmpty();

            // Served again: the file that waited in the agent's queue is delivered, nothing was lost.
            writeCentralConfig(centralConfig, "131016,131024,131032,131041");
            await("queued file of 131032 delivered after it is served again").atMost(TIMEOUT)
                    .until(() -> Files.exists(minatoDelivered));
            assertThat(minatoDelivered).hasBinaryContent(minato);
        }

        // Remove 131032 at the agent: a file dropped into its outbox afterwards stays there untouched.
        writeAgentConfig(agentConfig, "131016,131024,131041");
        await("agent no longer serves 131032").atMost(TIMEOUT)
                .until(() -> !agent.servedMunicipalities().contains(MINATO));
        Path left = drop(root.resolve("agent/outbox").resolve(MINATO.value()), MINATO + "_JUKI_20261205.csv",
                "left\r\n".getBytes(StandardCharsets.US_ASCII));
        await("outbox of the removed municipality is not read").during(Duration.ofSeconds(3))
                .atMost(Duration.ofSeconds(10)).until(() -> Files.exists(left));

        dropper.join(TIMEOUT.toMillis());
        assertThat(dropFailure.get()).as("failure while dropping files").isNull();
        for (Map.Entry<String, byte[]> file : flowing.entrySet()) {
            Path path = root.resolve("union/inbound").resolve(file.getKey().substring(0, 6)).resolve(file.getKey());
            await("delivery of " + file.getKey()).atMost(TIMEOUT).until(() -> Files.exists(path));
            assertThat(path).hasBinaryContent(file.getValue());
        }
        assertThat(ProcessSystem.regularFiles(root.resolve("agent/error"))).as("files refused at the agent")
                .isEmpty();
    }

    /**
     * Drops files for the given municipalities every 250 ms on a thread of its own, so that they flow while the
     * municipality list changes. Returns the files by name.
     */
    private Map<String, byte[]> startDropping(List<MunicipalityCode> codes) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        List<Runnable> drops = new ArrayList<>();
        for (int i = 0; i < FLOWING_FILES; i++) {
            MunicipalityCode code = codes.get(i % codes.size());
            String name = String.format(Locale.ROOT, "%s_POSTAL_20261204_%03d.csv", code.value(), i + 1);
            byte[] content = TestFiles.postalRecords(code.fiveDigits());
            files.put(name, content);
            drops.add(() -> {
                try {
                    drop(root.resolve("agent/outbox").resolve(code.value()), name, content);
                } catch (IOException e) {
                    dropFailure.compareAndSet(null, e);
                }
            });
        }
        dropper = new Thread(() -> {
            for (Runnable drop : drops) {
                drop.run();
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "reload-dropper");
        dropper.start();
        return files;
    }

    private static List<String> operatorCodes(OperatorHttp operator) throws Exception {
        List<String> codes = new java.util.ArrayList<>();
        operator.get("/operator/api/municipalities").json().forEach(status -> codes.add(status.path("code").asText()));
        return codes;
    }

    private void writeCentralConfig(Path file, String codes) throws IOException {
        String text = "central.municipalities=" + codes + "\n"
                + "central.municipalities.reload-interval-ms=200\n"
                + "central.union-root=" + root.resolve("union") + "\n"
                + "central.data-dir=" + root.resolve("central-data") + "\n"
                + "central.keys-dir=" + root.resolve("keys") + "\n"
                + "central.window.host=127.0.0.1\n"
                + "central.window.port=" + port + "\n"
                + "central.operator.port=" + operatorPort() + "\n"
                + "central.operator.accounts-file=" + root.resolve("operator-accounts") + "\n"
                + "central.broker.in-vm-id=320\n"
                + "central.broker.journal-type=NIO\n"
                + "central.delivery.poll-interval-ms=100\n"
                + "central.outbound.pickup.quiet-period-ms=300\n"
                + "central.outbound.poll-interval-ms=100\n";
        replace(file, text);
    }

    private void writeAgentConfig(Path file, String codes) throws IOException {
        String text = "agent.municipalities=" + codes + "\n"
                + "agent.municipalities.reload-interval-ms=200\n"
                + "agent.folder-root=" + root.resolve("agent") + "\n"
                + "agent.data-dir=" + root.resolve("agent-data") + "\n"
                + "agent.keys-dir=" + root.resolve("keys") + "\n"
                + "agent.central-url=https://127.0.0.1:" + port + "\n"
                + "agent.broker.in-vm-id=321\n"
                + "agent.broker.journal-type=NIO\n"
                + "agent.pickup.quiet-period-ms=300\n"
                + "agent.pickup.poll-interval-ms=100\n"
                + "agent.upload.retry-initial-delay-ms=200\n"
                + "agent.upload.retry-max-delay-ms=500\n"
                + "agent.download.poll-interval-ms=200\n";
        replace(file, text);
    }

    private int operatorPort() throws IOException {
        if (operatorPort == 0) {
            operatorPort = freePort();
        }
        return operatorPort;
    }

    /** Replaces the file by renaming, as an editor saves it, with a modification time newer than the last one. */
    private static void replace(Path file, String text) throws IOException {
        Path temporary = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(temporary, text, StandardCharsets.UTF_8);
        if (Files.exists(file)) {
            java.nio.file.attribute.FileTime previous = Files.getLastModifiedTime(file);
            Files.setLastModifiedTime(temporary, java.nio.file.attribute.FileTime.fromMillis(
                    Math.max(System.currentTimeMillis(), previous.toMillis() + 1000)));
        }
        Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static Path drop(Path folder, String name, byte[] content) throws IOException {
        Files.createDirectories(folder);
        Path temporary = Files.write(folder.resolve("." + name + ".tmp"), content);
        return Files.move(temporary, folder.resolve(name));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
