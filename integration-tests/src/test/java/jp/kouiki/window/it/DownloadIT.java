package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Files the union places in {@code union/outbound/<code>/} and {@code union/outbound/all/} reach the inboxes of
 * their municipalities through the central queue and the agent, byte for byte, each municipality receiving only its
 * own files.
 */
class DownloadIT {

    private static final List<MunicipalityCode> CODES = List.of(
            MunicipalityCode.of("131016"), MunicipalityCode.of("131024"), MunicipalityCode.of("131032"));

    @TempDir
    Path root;

    @Test
    void ownAndBroadcastFilesReachEachInbox() throws Exception {
        try (WindowSystem system = new WindowSystem(root, CODES)) {
            system.startCentral();
            system.startAgent();
            byte[] broadcast = "master,common to all\r\n".getBytes(StandardCharsets.US_ASCII);
            for (MunicipalityCode code : CODES) {
                system.placeOutbound(code.value(), code + "_KYUFU_20261204.csv", ownContent(code));
            }
            system.placeOutbound("all", "MASTER_20261204.csv", broadcast);

            for (MunicipalityCode code : CODES) {
                Path own = system.inbox(code).resolve(code + "_KYUFU_20261204.csv");
                Path common = system.inbox(code).resolve(code + "_MASTER_20261204.csv");
                await("downloads in the inbox of " + code).atMost(Duration.ofSeconds(30))
                        .until(() -> Files.exists(own) && Files.exists(common));
                assertThat(own).hasBinaryContent(ownContent(code));
                assertThat(common).hasBinaryContent(broadcast);
                assertThat(regularFiles(system.inbox(code))).as("files in the inbox of %s", code).hasSize(2);
            }
            for (MunicipalityCode code : CODES) {
                await("download queue of " + code + " empty").atMost(Duration.ofSeconds(10))
                        .until(() -> system.centralMessages(QueueNames.download(code)) == 0);
                assertThat(system.centralMessages(QueueNames.deadLetter(code))).isZero();
                assertThat(regularFiles(system.outbound(code.value()))).isEmpty();
            }
            assertThat(regularFiles(root.resolve("union/outbound-sent"))).hasSize(CODES.size() + 1);
            assertThat(regularFiles(root.resolve("union/outbound-error"))).isEmpty();
        }
    }

    @Test
    void downloadWaitsWhileItsNameIsTaken() throws Exception {
        MunicipalityCode code = CODES.get(0);
        try (WindowSystem system = new WindowSystem(root, List.of(code))) {
            system.startCentral();
            Properties longPoll = new Properties();
            longPoll.setProperty("agent.download.long-poll-ms", "5000");
            longPoll.setProperty("agent.status.interval-ms", "300");
            system.startAgent(longPoll);
            String name = code + "_KYUFU_20261204.csv";
            Path inboxFile = system.inbox(code).resolve(name);
            system.placeOutbound(code.value(), name, "first\r\n".getBytes(StandardCharsets.US_ASCII));
            await("first file").atMost(Duration.ofSeconds(30)).until(() -> Files.exists(inboxFile));

            system.placeOutbound(code.value(), name, "second\r\n".getBytes(StandardCharsets.US_ASCII));
            Path reason = root.resolve("agent-folders/waiting").resolve(code.value()).resolve(name + ".reason");
            await("reason for the waiting file").atMost(Duration.ofSeconds(30)).until(() -> Files.exists(reason));
            assertThat(inboxFile).hasContent("first\r\n");
            Path status = system.agentData().resolve("status.txt");
            String waitingLine = "waiting downloads of " + name + ": 1, placed once the file of that name is taken"
                    + " from inbox/" + code + "/";
            await("waiting download in the status file").atMost(Duration.ofSeconds(10))
                    .until(() -> Files.exists(status) && Files.readString(status).contains(waitingLine));
            await("waiting file acknowledged, as it is written into .part/").atMost(Duration.ofSeconds(10))
                    .until(() -> system.centralMessages(QueueNames.download(code)) == 0);

            Files.delete(inboxFile);
            await("second file once the first is taken").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(inboxFile) && Files.readString(inboxFile).equals("second\r\n"));
            await("reason removed").atMost(Duration.ofSeconds(5)).until(() -> !Files.exists(reason));
            await("status file without the waiting download").atMost(Duration.ofSeconds(10))
                    .until(() -> !Files.readString(status).contains(waitingLine));
        }
    }

    @Test
    void refusedOutboundFileGoesToErrorWithReason() throws Exception {
        MunicipalityCode code = CODES.get(0);
        try (WindowSystem system = new WindowSystem(root, List.of(code))) {
            system.startCentral();
            system.placeOutbound(code.value(), "131024_KYUFU_20261204.csv", new byte[] {1});
            system.placeOutbound("all", "131016_KYUFU_20261204.csv", new byte[] {2});

            await("both refused").atMost(Duration.ofSeconds(30))
                    .until(() -> regularFiles(root.resolve("union/outbound-error")).size() == 4);
            List<Path> reasons = regularFiles(root.resolve("union/outbound-error")).stream()
                    .filter(path -> path.toString().endsWith(".reason")).toList();
            assertThat(reasons).hasSize(2);
            List<String> texts = new ArrayList<>();
            for (Path reason : reasons) {
                texts.add(Files.readString(reason));
            }
            for (String text : texts) {
                assertThat(text).contains("団体コード").contains("municipality code").doesNotContain("sending");
            }
            assertThat(texts).anyMatch(text -> text.contains("131024 in the file name does not match the receiving"
                    + " municipality " + code));
            assertThat(system.centralMessages(QueueNames.download(code))).isZero();
        }
    }

    @Test
    void unmovableOutboundEntriesAreLoggedOnce() throws Exception {
        MunicipalityCode code = CODES.get(0);
        try (WindowSystem system = new WindowSystem(root, List.of(code)); LogCapture warnings = LogCapture.warnings()) {
            system.startCentral();
            Path folder = Files.createDirectories(system.outbound(code.value()));
            // Java cannot name such a file, so the shell writes it: byte 0xFF never occurs in UTF-8.
            String script = "printf 'x\\r\\n' > \"$1/131016_KYUFU_$(printf '\\377')x.csv\"";
            Process shell = new ProcessBuilder("sh", "-c", script, "sh", folder.toString()).inheritIO().start();
            assertThat(shell.waitFor()).isZero();
            Path dangling = Files.createSymbolicLink(folder.resolve("131016_KYUFU_20261206.csv"),
                    root.resolve("missing.csv"));
            system.placeOutbound(code.value(), "131016_KYUFU_20261204.csv", "flows\r\n".getBytes(
                    StandardCharsets.US_ASCII));

            await("the valid file queued").atMost(Duration.ofSeconds(30))
                    .until(() -> system.centralMessages(QueueNames.download(code)) == 1);
            // Several polls of the outbound folder (every 100 ms here) pass without a second log line.
            Thread.sleep(1000);

            assertThat(warnings.linesContaining("is not valid UTF-8")).hasSize(1);
            assertThat(warnings.linesContaining("Symbolic link to a missing file")).hasSize(1);
            assertThat(regularFiles(root.resolve("union/outbound-error"))).isEmpty();
            assertThat(Files.isSymbolicLink(dangling)).isTrue();
            try (Stream<Path> left = Files.list(folder)) {
                assertThat(left.map(path -> path.getFileName().toString()).toList()).hasSize(2)
                        .anySatisfy(name -> assertThat(name).startsWith("131016_KYUFU_").endsWith("x.csv"));
            }
        }
    }

    private static byte[] ownContent(MunicipalityCode code) {
        return ("record for " + code + "\r\n").repeat(1000).getBytes(StandardCharsets.US_ASCII);
    }

    static List<Path> regularFiles(Path folder) throws Exception {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile)
                    .filter(path -> !path.getParent().getFileName().toString().equals(".part")).toList();
        }
    }
}
