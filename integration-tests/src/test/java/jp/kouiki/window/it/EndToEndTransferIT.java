package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.demo.PostalCsvSplitter;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;

class EndToEndTransferIT {

    @TempDir
    Path root;

    @Test
    void realFilesOfTwelveMunicipalitiesArriveByteIdenticalInTheirOwnFolders() throws Exception {
        List<PostalCsvSplitter.SplitFile> files = PostalCsvSplitter.split(
                EndToEndTransferIT.class.getResourceAsStream(PostalCsvSplitter.BUNDLED_TOKYO_CSV),
                Files.createDirectories(root.resolve("split")), MunicipalityDirectory.bundled(),
                LocalDate.of(2026, 12, 4)).subList(0, 12);
        List<MunicipalityCode> codes = files.stream().map(PostalCsvSplitter.SplitFile::code).toList();

        try (WindowSystem system = new WindowSystem(root.resolve("system"), codes)) {
            system.startCentral();
            system.startAgent();
            for (PostalCsvSplitter.SplitFile file : files) {
                system.drop(file.code(), file.file().getFileName().toString(), Files.readAllBytes(file.file()));
            }

            for (PostalCsvSplitter.SplitFile file : files) {
                Path delivered = system.inbound(file.code()).resolve(file.file().getFileName());
                await("delivery of " + delivered).atMost(Duration.ofSeconds(60)).until(() -> Files.exists(delivered));
                assertThat(delivered).hasSameBinaryContentAs(file.file());
            }
            for (MunicipalityCode code : codes) {
                try (Stream<Path> inbound = Files.list(system.inbound(code))) {
                    assertThat(inbound.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
                            .containsExactly(code + "_POSTAL_20261204.csv");
                }
            }
        }
    }

    @Test
    void waitingFilesOfANameAreDeliveredInOrder() throws Exception {
        MunicipalityCode chiyoda = MunicipalityCode.of("131016");
        String name = "131016_POSTAL_20261205.csv";
        List<byte[]> versions = versions(3);
        try (WindowSystem system = new WindowSystem(root.resolve("system"), List.of(chiyoda))) {
            Path delivered = waitForTakenName(system, chiyoda, name, versions);
            Path pending = system.centralData().resolve("ledger/pending/131016");

            for (byte[] version : versions) {
                Files.delete(delivered);
                await("next version delivered").atMost(Duration.ofSeconds(30))
                        .until(() -> Files.exists(delivered));
                assertThat(delivered).hasBinaryContent(version);
            }
            // The ledger drops its entry just after the file is in place.
            await("no file left waiting").atMost(Duration.ofSeconds(10))
                    .until(() -> TestFiles.countFiles(pending) == 0);
        }
    }

    @Test
    void waitingFileRemovedOrChangedIsRefused() throws Exception {
        MunicipalityCode chiyoda = MunicipalityCode.of("131016");
        String name = "131016_POSTAL_20261206.csv";
        List<byte[]> versions = versions(4);
        try (WindowSystem system = new WindowSystem(root.resolve("system"), List.of(chiyoda))) {
            Path delivered = waitForTakenName(system, chiyoda, name, versions);
            Path pending = system.centralData().resolve("ledger/pending/131016");
            Path staging = system.inbound(chiyoda).resolve(".part");
            List<Path> staged = new ArrayList<>();
            for (byte[] version : versions) {
                staged.add(stagedCopy(staging, version));
            }
            // The first is deleted, the second grows, and the third changes one byte but keeps its size, with a time
            // that makes it look as if it had waited a minute.
            Files.delete(staged.get(0));
            Files.write(staged.get(1), "extra\r\n".getBytes(StandardCharsets.US_ASCII), StandardOpenOption.APPEND);
            FileTime modified = Files.getLastModifiedTime(staged.get(2));
            byte[] third = Files.readAllBytes(staged.get(2));
            third[0] = (byte) (third[0] == '1' ? '2' : '1');
            Files.write(staged.get(2), third);
            Files.setLastModifiedTime(staged.get(2), FileTime.from(modified.toInstant().minusSeconds(60)));

            Files.delete(delivered);
            await("the unchanged file delivered").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(delivered));
            assertThat(delivered).hasBinaryContent(versions.get(3));
            List<String> reasons = new ArrayList<>();
            Path rejected = system.inbound(chiyoda).getParent().resolveSibling("rejected").resolve("131016");
            for (Path reason : DownloadIT.regularFiles(rejected)) {
                if (reason.toString().endsWith(".reason")) {
                    reasons.add(Files.readString(reason, StandardCharsets.UTF_8));
                }
            }
            assertThat(reasons).hasSize(3);
            assertThat(reasons).anyMatch(text -> text.contains("deleted from .part/"));
            assertThat(reasons).anyMatch(text -> text.contains("size "));
            assertThat(reasons).anyMatch(text -> text.contains("SHA-256 "));
            await("the agent learns of the refusals").atMost(Duration.ofSeconds(60))
                    .until(() -> TestFiles.countFiles(system.agentFolders().resolve("error/131016")) >= 3);
            await("only the delivered file's receipt in sent/").atMost(Duration.ofSeconds(60))
                    .until(() -> receipts(system.sent(chiyoda)) == 1);
            assertThat(TestFiles.countFiles(pending)).isZero();
            OperatorApiIT.addAccounts(system);
            OperatorHttp viewer = OperatorHttp.to(system);
            await("viewer signed in").atMost(Duration.ofSeconds(10))
                    .until(() -> viewer.signIn(OperatorApiIT.VIEWER, OperatorApiIT.VIEWER_PASSWORD).status() == 200);
            await("the refusals in the history").atMost(Duration.ofSeconds(10)).until(() -> viewer
                    .get("/operator/api/transfers?municipality=131016&outcome=rejected").json().size() == 3);
        }
    }

    private static long receipts(Path folder) throws Exception {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(file -> file.toString().endsWith(".receipt")).count();
        }
    }

    /** Returns versions of a POSTAL file of 1 to {@code count} records of Chiyoda. */
    private static List<byte[]> versions(int count) throws Exception {
        byte[] records = TestFiles.postalRecords("13101");
        List<byte[]> versions = new ArrayList<>();
        for (int lines = 1; lines <= count; lines++) {
            versions.add(firstLines(records, lines));
        }
        return versions;
    }

    /**
     * Starts both sides, occupies the name in the union's folder, sends the versions one after another and waits
     * until all of them wait for the name. Returns the occupied path.
     */
    private static Path waitForTakenName(WindowSystem system, MunicipalityCode code, String name,
            List<byte[]> versions) throws Exception {
        system.startCentral();
        system.startAgent();
        Path delivered = Files.createDirectories(system.inbound(code)).resolve(name);
        Files.writeString(delivered, "taken by an earlier file");
        for (byte[] version : versions) {
            Path dropped = system.drop(code, name, version);
            await("pickup of " + dropped).atMost(Duration.ofSeconds(30)).until(() -> Files.notExists(dropped));
        }
        Path pending = system.centralData().resolve("ledger/pending").resolve(code.value());
        await(versions.size() + " files waiting for the name").atMost(Duration.ofSeconds(60))
                .until(() -> TestFiles.countFiles(pending) == versions.size());
        return delivered;
    }

    /** Returns the staged copy in {@code .part/} whose bytes are the version's. */
    private static Path stagedCopy(Path staging, byte[] version) throws Exception {
        List<Path> files;
        try (Stream<Path> listed = Files.list(staging)) {
            files = listed.toList();
        }
        for (Path file : files) {
            if (Arrays.equals(Files.readAllBytes(file), version)) {
                return file;
            }
        }
        throw new AssertionError("no staged copy of a version of " + version.length + " bytes among " + files);
    }

    private static byte[] firstLines(byte[] records, int lines) {
        int end = 0;
        for (int line = 0; line < lines; line++) {
            while (records[end] != '\n') {
                end++;
            }
            end++;
        }
        return Arrays.copyOf(records, end);
    }
}
