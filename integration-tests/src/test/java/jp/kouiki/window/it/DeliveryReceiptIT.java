package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;
import jp.kouiki.window.security.KeyMaterialLayout;

/** Municipal staff find beside each sent file whether and when it reached the union, or in error/ why not. */
class DeliveryReceiptIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");

    @TempDir
    Path root;

    @Test
    void deliveredFileGetsAReceiptBesideItInSent() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startCentral();
            java.util.Properties agent = new java.util.Properties();
            agent.setProperty("agent.status.interval-ms", "200");
            system.startAgent(agent);
            system.drop(CHIYODA, "131016_POSTAL_20261204.csv", TestFiles.postalRecords("13101"));

            await("receipt in sent/").atMost(Duration.ofSeconds(30))
                    .until(() -> receipts(system.sent(CHIYODA)).size() == 1);
            String receipt = Files.readString(receipts(system.sent(CHIYODA)).get(0), StandardCharsets.UTF_8);
            assertThat(receipt).contains("131016_POSTAL_20261204.csv")
                    .contains("delivered to the union's folder at 20")
                    .contains("+09:00");
            Path status = system.agentData().resolve("status.txt");
            await("receipt in the agent's status file").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(status) && Files.readString(status, StandardCharsets.UTF_8)
                            .matches("(?s).*131016: 配信確認待ち 0 件.*\\n    [0-9-]+_131016_POSTAL_20261204\\.csv:"
                                    + " 配信済み / delivered to the union's folder at 20.*"));
        }
    }

    @Test
    void requeuedFileKeepsSentName() throws Exception {
        String name = "131016_POSTAL_20261204.csv";
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA)); LogCapture log = LogCapture.warnings()) {
            system.startAgent();
            // A file in place of sent/131016/ makes every move there fail after the commit, as a crash between the
            // two would leave it: the file stays in the outbox although it is queued.
            Path sent = system.sent(CHIYODA);
            Files.delete(sent);
            Files.write(sent, new byte[0]);
            system.drop(CHIYODA, name, TestFiles.postalRecords("13101"));
            await("file queued, its move failed").atMost(Duration.ofSeconds(30))
                    .until(() -> !log.linesContaining("Error during commit").isEmpty());
            assertThat(system.outbox(CHIYODA).resolve(name)).exists();
            String firstSentPath = queuedSentPath(system);

            Files.delete(sent);
            Files.createDirectories(sent);
            await("file moved to sent/").atMost(Duration.ofSeconds(30))
                    .until(() -> TestFiles.countFiles(system.outbox(CHIYODA)) == 0);
            assertThat(Path.of(firstSentPath)).exists();
            try (var files = Files.list(sent)) {
                assertThat(files.toList()).containsExactly(Path.of(firstSentPath));
            }

            system.startCentral();
            await("receipt beside the first sent name").atMost(Duration.ofSeconds(60))
                    .until(() -> Files.exists(Path.of(firstSentPath + ".receipt")));
        }
    }

    @Test
    void waitingFileGetsReceiptWithTheReason() throws Exception {
        String name = "131016_POSTAL_20261204.csv";
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startCentral();
            Path existing = Files.createDirectories(system.inbound(CHIYODA)).resolve(name);
            Files.write(existing, new byte[] {1});
            system.startAgent();
            system.drop(CHIYODA, name, TestFiles.postalRecords("13101"));

            await("waiting receipt in sent/").atMost(Duration.ofSeconds(30))
                    .until(() -> receipts(system.sent(CHIYODA)).size() == 1);
            assertThat(Files.readString(receipts(system.sent(CHIYODA)).get(0), StandardCharsets.UTF_8))
                    .contains("waiting at the central server since 20")
                    .contains("a file of the same name is still in the union's folder");

            Files.delete(existing);
            await("receipt replaced once the file is delivered").atMost(Duration.ofSeconds(60))
                    .until(() -> Files.readString(receipts(system.sent(CHIYODA)).get(0), StandardCharsets.UTF_8)
                            .contains("delivered to the union's folder at 20"));
        }
    }

    @Test
    void fileRefusedAtDeliveryMovesToErrorWithTheReason() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startAgent();
            system.drop(CHIYODA, "131016_POSTAL_20261204.csv", TestFiles.postalRecords("13101"));
            await("file queued at the agent").atMost(Duration.ofSeconds(30))
                    .until(() -> system.agentMessages(QueueNames.upload(CHIYODA)) == 1);
            Files.delete(new KeyMaterialLayout(system.keys()).encryptionKeyset(CHIYODA));
            new DevCredentialGenerator(system.keys()).generate(List.of(CHIYODA), List.of());

            system.startCentral();

            // A count alone could match the refused file and the reason's temporary while it is being written.
            await("refused file and reason in error/").atMost(Duration.ofSeconds(30))
                    .until(() -> TestFiles.countFiles(system.error(CHIYODA)) == 2
                            && reasonFiles(system.error(CHIYODA)) == 1);
            try (Stream<Path> files = Files.list(system.error(CHIYODA))) {
                Path reason = files.filter(file -> file.toString().endsWith(".reason")).findFirst().orElseThrow();
                assertThat(Files.readString(reason, StandardCharsets.UTF_8))
                        .contains("refused the file at delivery")
                        .contains("does not decrypt with the keyset of 131016");
            }
            assertThat(TestFiles.countFiles(system.sent(CHIYODA))).isZero();
            assertThat(TestFiles.countFiles(system.inbound(CHIYODA))).isZero();
        }
    }

    private static long reasonFiles(Path folder) throws Exception {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(file -> file.toString().endsWith(".reason")).count();
        }
    }

    /** Returns the sent path that the agent recorded in the one queued message of Chiyoda, waiting or being sent. */
    private static String queuedSentPath(WindowSystem system) throws Exception {
        var queue = system.agentBroker().server().locateQueue(QueueNames.upload(CHIYODA));
        List<org.apache.activemq.artemis.core.server.MessageReference> references = new java.util.ArrayList<>();
        queue.getDeliveringMessages().values().forEach(references::addAll);
        try (var waiting = queue.browserIterator()) {
            waiting.forEachRemaining(references::add);
        }
        assertThat(references).hasSize(1);
        return references.get(0).getMessage().getStringProperty("WindowSentPath");
    }

    private static List<Path> receipts(Path folder) throws Exception {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(file -> file.toString().endsWith(".receipt")).toList();
        }
    }
}
