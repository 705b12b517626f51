package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * The same bytes dropped again under the same name are held as a possible duplicate, because the union's system would
 * apply the change file twice. A person confirms or discards the held file; another name or other bytes go through.
 */
class ResubmissionIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final String NAME = "131016_POSTAL_20261204.csv";
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @TempDir
    Path root;

    @Test
    void sameBytesAndNameAreHeldUntilConfirmed() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startCentral();
            system.startAgent();
            byte[] records = TestFiles.postalRecords("13101");
            Path inbound = system.inbound(CHIYODA).resolve(NAME);

            system.drop(CHIYODA, NAME, records);
            await("first file delivered").atMost(TIMEOUT).until(() -> Files.isRegularFile(inbound));
            // The union's system takes the file, so a second delivery would find the name free.
            Files.delete(inbound);

            system.drop(CHIYODA, NAME, records);
            Path held = system.agentFolders().resolve("held").resolve(CHIYODA.value());
            // The reason is written just after the move, so wait for both.
            await("second file held at the agent").atMost(TIMEOUT)
                    .until(() -> named(held, NAME).size() == 1 && named(held, NAME + ".reason").size() == 1);
            Path reason = named(held, NAME + ".reason").get(0);
            String text = Files.readString(reason, StandardCharsets.UTF_8);
            assertThat(text).contains("possible duplicate of the file delivered at 20");
            assertThat(text).contains("+09:00");
            assertThat(text).contains("保留");
            assertThat(text).contains(".confirm");
            assertThat(inbound).as("held file in the union's folder").doesNotExist();
            assertThat(TestFiles.countFiles(system.error(CHIYODA))).as("files in error/").isZero();

            Path heldFile = named(held, NAME).stream().filter(file -> file.toString().endsWith(NAME)).findFirst()
                    .orElseThrow();
            Files.write(heldFile.resolveSibling(heldFile.getFileName() + ".confirm"), new byte[0]);
            await("confirmed file delivered").atMost(TIMEOUT).until(() -> Files.isRegularFile(inbound));
            assertThat(Files.readAllBytes(inbound)).isEqualTo(records);
            await("held folder empty").atMost(TIMEOUT).until(() -> TestFiles.countFiles(held) == 0);
        }
    }

    @Test
    void otherBytesOrOtherNameGoThrough() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startCentral();
            system.startAgent();
            byte[] records = TestFiles.postalRecords("13101");
            Path inbound = system.inbound(CHIYODA).resolve(NAME);

            system.drop(CHIYODA, NAME, records);
            await("first file delivered").atMost(TIMEOUT).until(() -> Files.isRegularFile(inbound));
            Files.delete(inbound);

            byte[] changed = new byte[records.length - 2];
            System.arraycopy(records, 0, changed, 0, changed.length);
            changed[changed.length - 2] = '\r';
            changed[changed.length - 1] = '\n';
            system.drop(CHIYODA, NAME, changed);
            await("same name with other bytes delivered").atMost(TIMEOUT).until(() -> Files.isRegularFile(inbound));
            assertThat(Files.readAllBytes(inbound)).isEqualTo(changed);

            String otherName = "131016_POSTAL_20261205.csv";
            system.drop(CHIYODA, otherName, records);
            await("same bytes under another name delivered").atMost(TIMEOUT)
                    .until(() -> Files.isRegularFile(system.inbound(CHIYODA).resolve(otherName)));
            assertThat(TestFiles.countFiles(system.agentFolders().resolve("held"))).as("held files").isZero();
        }
    }

    @Test
    void holdingOffDeliversRepeatedFile() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            Properties central = new Properties();
            central.setProperty("central.resubmission.hold-days", "0");
            system.startCentral(central);
            system.startAgent();
            byte[] records = TestFiles.postalRecords("13101");
            Path inbound = system.inbound(CHIYODA).resolve(NAME);

            system.drop(CHIYODA, NAME, records);
            await("first file delivered").atMost(TIMEOUT).until(() -> Files.isRegularFile(inbound));
            Files.delete(inbound);
            system.drop(CHIYODA, NAME, records);

            await("repeated file delivered").atMost(TIMEOUT).until(() -> Files.isRegularFile(inbound));
            assertThat(TestFiles.countFiles(system.agentFolders().resolve("held"))).as("held files").isZero();
        }
    }

    /** Lists the files in a folder whose names end with {@code suffix}. */
    private static List<Path> named(Path folder, String suffix) throws Exception {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(file -> file.getFileName().toString().endsWith(suffix)).toList();
        }
    }

    @Test
    void strayConfirmationWarnsOnce() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA)); LogCapture warnings = LogCapture.warnings()) {
            system.startCentral();
            system.startAgent();
            Path heldFolder = Files.createDirectories(system.agentFolders().resolve("held")
                    .resolve(CHIYODA.value()));
            Files.createFile(heldFolder.resolve("20261205-120000-000_" + NAME + ".confirm"));

            await("first warning").atMost(TIMEOUT)
                    .until(() -> !warnings.linesContaining("names no held file").isEmpty());
            // The held-file check runs several times in this wait, and each run used to warn again.
            Thread.sleep(3_000);
            assertThat(warnings.linesContaining("names no held file")).as("warnings about one marker").hasSize(1);
        }
    }

}
