package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;

/** The agent takes a file only when it is complete: after a done-marker, or after a quiet period. */
class OutboxPickupIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final String NAME = "131016_POSTAL_20261204.csv";

    @TempDir
    Path root;

    @Test
    void doneMarkerModeWaitsForTheMarker() throws Exception {
        byte[] records = TestFiles.postalRecords("13101");
        Properties doneMarker = new Properties();
        doneMarker.setProperty("agent.pickup.mode", "done-marker");
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startCentral();
            system.startAgent(doneMarker);
            Path file = system.drop(CHIYODA, NAME, records);

            await("file stays in the outbox without its marker").during(Duration.ofSeconds(2))
                    .atMost(Duration.ofSeconds(3)).until(() -> Files.exists(file));
            Files.write(file.resolveSibling(NAME + ".done"), new byte[0]);

            Path delivered = system.inbound(CHIYODA).resolve(NAME);
            await("delivery after the marker").atMost(Duration.ofSeconds(30)).until(() -> Files.exists(delivered));
            assertThat(delivered).hasBinaryContent(records);
            assertThat(file).doesNotExist();
            assertThat(file.resolveSibling(NAME + ".done")).doesNotExist();
        }
    }

    @Test
    void markedFilesTakenOnce() throws Exception {
        List<MunicipalityCode> codes = jp.kouiki.window.municipality.MunicipalityDirectory.bundled()
                .membersOfPrefecture("13").stream().limit(20).map(jp.kouiki.window.municipality.Municipality::code)
                .toList();
        int perMunicipality = 15;
        Properties doneMarker = new Properties();
        doneMarker.setProperty("agent.pickup.mode", "done-marker");
        doneMarker.setProperty("agent.download.enabled", "false");
        try (WindowSystem system = new WindowSystem(root, codes)) {
            system.startCentral();
            system.startAgent(doneMarker);
            // Files keep arriving while the lanes take earlier ones, so that polls list files that a lane is moving.
            for (int round = 0; round < perMunicipality; round++) {
                for (MunicipalityCode code : codes) {
                    String name = code + "_POSTAL_20261204_" + round + ".csv";
                    Path file = system.drop(code, name, TestFiles.postalRecords(code.fiveDigits()));
                    Files.write(file.resolveSibling(name + ".done"), new byte[0]);
                }
                Thread.sleep(50);
            }

            await("every file delivered").atMost(Duration.ofSeconds(120)).until(() -> {
                long delivered = 0;
                for (MunicipalityCode code : codes) {
                    delivered += TestFiles.countFiles(system.inbound(code));
                }
                return delivered == (long) perMunicipality * codes.size();
            });
            for (MunicipalityCode code : codes) {
                assertThat(TestFiles.countFiles(system.error(code))).as("files reported refused for " + code)
                        .isZero();
                assertThat(TestFiles.countFiles(system.outbox(code))).as("files and markers left in the outbox of "
                        + code).isZero();
            }
        }
    }

    @Test
    void markerNameWithoutMarkerModeIsRefused() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startCentral();
            system.startAgent();
            system.drop(CHIYODA, NAME + ".done", TestFiles.postalRecords("13101"));

            await("marker-named file refused into the error folder").atMost(Duration.ofSeconds(30))
                    .until(() -> TestFiles.countFiles(system.error(CHIYODA)) == 2);
            try (java.util.stream.Stream<Path> files = Files.list(system.error(CHIYODA))) {
                Path reason = files.filter(file -> file.toString().endsWith(".reason")).findFirst().orElseThrow();
                assertThat(Files.readString(reason, java.nio.charset.StandardCharsets.UTF_8))
                        .contains("reserved for completion markers");
            }
            assertThat(TestFiles.countFiles(system.outbox(CHIYODA))).as("files left in the outbox").isZero();
        }
    }

    @Test
    void fileStillBeingWrittenIsTakenOnlyWhenQuiet() throws Exception {
        List<byte[]> records = TestFiles.tokyoRecords().stream()
                .filter(record -> new String(record, 0, 5, TestFiles.WINDOWS_31J).equals("13101"))
                .limit(20).toList();
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startCentral();
            system.startAgent();
            Path file = Files.createDirectories(system.outbox(CHIYODA)).resolve(NAME);

            try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW)) {
                for (byte[] record : records) {
                    out.write(record);
                    out.flush();
                    Thread.sleep(100);
                    assertThat(TestFiles.countFiles(system.sent(CHIYODA))).as("taken while still written").isZero();
                }
            }

            Path delivered = system.inbound(CHIYODA).resolve(NAME);
            await("delivery once the file is quiet").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(delivered));
            assertThat(Files.readAllBytes(delivered)).hasSize(records.stream().mapToInt(r -> r.length).sum());
            assertThat(TestFiles.countFiles(system.error(CHIYODA))).isZero();
        }
    }

    @Test
    void fileDroppedAgainWithPreservedTimeIsANewFile() throws Exception {
        byte[] records = TestFiles.postalRecords("13101");
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            // Holding off: this checks that the second drop gets its own file id. ResubmissionIT covers holding.
            java.util.Properties central = new java.util.Properties();
            central.setProperty("central.resubmission.hold-days", "0");
            system.startCentral(central);
            system.startAgent();
            Path first = system.drop(CHIYODA, NAME, records);
            java.nio.file.attribute.FileTime time = Files.getLastModifiedTime(first);
            Path delivered = system.inbound(CHIYODA).resolve(NAME);
            await("first delivery").atMost(Duration.ofSeconds(30)).until(() -> Files.exists(delivered));
            Files.delete(delivered);

            Path temporary = system.outbox(CHIYODA).resolve(".again.tmp");
            Files.write(temporary, records);
            Files.setLastModifiedTime(temporary, time);
            Files.move(temporary, system.outbox(CHIYODA).resolve(NAME));

            await("second delivery of the same bytes, name and time").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(delivered));
            assertThat(delivered).hasBinaryContent(records);
            try (java.util.stream.Stream<Path> sent = Files.list(system.sent(CHIYODA))) {
                assertThat(sent.filter(file -> file.toString().endsWith(NAME))).hasSize(2);
            }
        }
    }

    @Test
    void misplacedFilesAreReportedOnce() throws Exception {
        Properties often = new Properties();
        often.setProperty("agent.warn.check-interval-ms", "200");
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA));
                LogCapture log = LogCapture.warnings()) {
            system.startAgent(often);
            Path outbox = system.drop(CHIYODA, NAME, TestFiles.postalRecords("13101")).getParent().getParent();
            Path inRoot = Files.write(outbox.resolve(NAME), TestFiles.postalRecords("13101"));
            Path nested = Files.createDirectories(outbox.resolve(CHIYODA.value()).resolve("2026-12"));
            Files.write(nested.resolve(NAME), TestFiles.postalRecords("13101"));

            await("both reported").atMost(Duration.ofSeconds(10))
                    .until(() -> log.linesContaining("Outbox entry not picked up").size() >= 2);
            await("each reported once").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> log.linesContaining("Outbox entry not picked up").size() == 2);
            assertThat(log.linesContaining("outbox folder itself")).hasSize(1);
            assertThat(log.linesContaining("move its files up")).hasSize(1);
            assertThat(inRoot).exists();
            assertThat(nested.resolve(NAME)).exists();
        }
    }

    @Test
    void emptyFileIsQueuedWithAWarning() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA));
                LogCapture log = LogCapture.warnings()) {
            system.startAgent();
            system.drop(CHIYODA, NAME, new byte[0]);

            await("empty file queued").atMost(Duration.ofSeconds(20))
                    .until(() -> system.agentMessages(QueueNames.upload(CHIYODA)) == 1);
            assertThat(log.linesContaining("Empty file queued")).hasSize(1);
            assertThat(log.linesContaining("Empty file queued").get(0)).contains(NAME);
        }
    }

    @Test
    void overlongNameIsRefusedOnceWithAReason() throws Exception {
        String name = "131016_POSTAL_" + "x".repeat(230) + ".csv";
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startAgent();
            Path file = system.drop(CHIYODA, name, TestFiles.postalRecords("13101"));

            await("over-long name moved to the error folder").atMost(Duration.ofSeconds(30))
                    .until(() -> !Files.exists(file) && TestFiles.countFiles(system.error(CHIYODA)) == 2);
            try (java.util.stream.Stream<Path> files = Files.list(system.error(CHIYODA))) {
                Path reason = files.filter(path -> path.toString().endsWith(".reason")).findFirst().orElseThrow();
                assertThat(Files.readString(reason, java.nio.charset.StandardCharsets.UTF_8))
                        .contains("file: " + name)
                        .contains("use at most 200 characters");
            }
            assertThat(TestFiles.countFiles(system.sent(CHIYODA))).isZero();
        }
    }
}
