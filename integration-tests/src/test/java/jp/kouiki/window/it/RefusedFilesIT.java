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

import jp.kouiki.window.municipality.MunicipalityCode;

/** A refused file goes to the error folder beside a reason file, and the other files keep flowing. */
class RefusedFilesIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");

    @TempDir
    Path root;

    @Test
    void foreignCodeWrongCheckDigitAndForeignRecordsAreRefusedWhileGoodFilesFlow() throws Exception {
        byte[] chiyoda = TestFiles.postalRecords("13101");
        byte[] chuo = TestFiles.postalRecords("13102");
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA, CHUO))) {
            system.startCentral();
            system.startAgent();

            // A named pipe first: opening it would block the municipality's pickup lane until something writes.
            Path pipe = Files.createDirectories(system.outbox(CHIYODA)).resolve("131016_POSTAL_20261202.csv");
            assertThat(new ProcessBuilder("mkfifo", pipe.toString()).start().waitFor()).as("mkfifo exit code")
                    .isZero();
            system.drop(CHIYODA, "131024_POSTAL_20261204.csv", chuo);
            system.drop(CHIYODA, "131017_POSTAL_20261204.csv", chiyoda);
            system.drop(CHIYODA, "131016_POSTAL_20261203.csv", chuo);
            system.drop(CHIYODA, "131016_POSTAL_20261204.csv", chiyoda);
            system.drop(CHUO, "131024_POSTAL_20261204.csv", chuo);

            Path delivered = system.inbound(CHIYODA).resolve("131016_POSTAL_20261204.csv");
            await("good file of 131016 delivered").atMost(Duration.ofSeconds(60)).until(() -> Files.exists(delivered));
            assertThat(delivered).hasBinaryContent(chiyoda);
            Path chuoDelivered = system.inbound(CHUO).resolve("131024_POSTAL_20261204.csv");
            await("file of 131024 delivered").atMost(Duration.ofSeconds(60)).until(() -> Files.exists(chuoDelivered));
            await("four refused files with reasons").atMost(Duration.ofSeconds(30))
                    .until(() -> reasons(system.error(CHIYODA)).size() == 4);

            List<String> reasons = reasons(system.error(CHIYODA));
            assertThat(reasons).anySatisfy(reason -> assertThat(reason)
                    .contains("131024_POSTAL_20261204.csv")
                    .contains("does not match the sending municipality 131016"));
            assertThat(reasons).anySatisfy(reason -> assertThat(reason)
                    .contains("131017_POSTAL_20261204.csv")
                    .contains("has check digit 7 where 6 is expected"));
            assertThat(reasons).anySatisfy(reason -> assertThat(reason)
                    .contains("131016_POSTAL_20261203.csv")
                    .contains("record 1 carries local government code '13102'"));
            assertThat(reasons).anySatisfy(reason -> assertThat(reason)
                    .contains("131016_POSTAL_20261202.csv")
                    .contains("not a regular file (a named pipe or a device, for example)"));
            assertThat(names(system.error(CHIYODA)))
                    .anyMatch(name -> name.endsWith("_131024_POSTAL_20261204.csv"))
                    .anyMatch(name -> name.endsWith("_131017_POSTAL_20261204.csv"))
                    .anyMatch(name -> name.endsWith("_131016_POSTAL_20261203.csv"));
            assertThat(names(system.inbound(CHIYODA))).containsExactly("131016_POSTAL_20261204.csv");
            assertThat(names(system.inbound(CHUO))).containsExactly("131024_POSTAL_20261204.csv");
        }
    }

    @Test
    void largeFileForeignRecordRejected() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA, CHUO))) {
            system.startCentral();
            system.startAgent();
            // Above 16 MiB the agent digests the file on another thread while the records are checked.
            Path source = Files.createDirectories(root.resolve("source"));
            GeneratedPostalFiles.Expected large = GeneratedPostalFiles.drop(source, CHIYODA,
                    "131016_POSTAL_20261205.csv", GeneratedPostalFiles.records(CHIYODA), 20L * 1024 * 1024, 0,
                    file -> { });
            Path file = source.resolve(large.name());
            Files.write(file, TestFiles.postalRecords("13102"), java.nio.file.StandardOpenOption.APPEND);
            Files.move(file, Files.createDirectories(system.outbox(CHIYODA)).resolve(large.name()));

            await("large file refused with a reason").atMost(Duration.ofSeconds(60))
                    .until(() -> reasons(system.error(CHIYODA)).size() == 1);
            assertThat(reasons(system.error(CHIYODA)).get(0)).contains("131016_POSTAL_20261205.csv")
                    .contains("carries local government code '13102'");
            assertThat(TestFiles.countFiles(system.inbound(CHIYODA))).as("files delivered for 131016").isZero();
        }
    }

    private static List<String> reasons(Path folder) throws java.io.IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".reason"))
                    .map(file -> {
                        try {
                            return Files.readString(file, StandardCharsets.UTF_8);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }).toList();
        }
    }

    private static List<String> names(Path folder) throws java.io.IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(Files::isRegularFile).map(file -> file.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void backslashNameMovesToError() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA)); LogCapture warnings = LogCapture.warnings()) {
            system.startCentral();
            system.startAgent();
            String name = "131016_POSTAL_back\\slash.csv";
            Path file = system.drop(CHIYODA, name, TestFiles.postalRecords("13101"));

            await("file moved to error/").atMost(Duration.ofSeconds(30)).until(() -> Files.notExists(file));
            Path reason;
            try (Stream<Path> files = Files.list(system.error(CHIYODA))) {
                reason = files.filter(path -> path.getFileName().toString().endsWith("_131016_POSTAL_back_slash.csv"
                        + ".reason")).findFirst().orElseThrow();
            }
            assertThat(Files.readString(reason, StandardCharsets.UTF_8)).contains("backslash");
            assertThat(reason.resolveSibling(reason.getFileName().toString().replace(".reason", ""))).exists();
            assertThat(warnings.linesContaining("Cannot rename")).as("failed renames").isEmpty();
        }
    }

}
