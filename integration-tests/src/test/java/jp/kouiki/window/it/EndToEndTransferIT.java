package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
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
}
