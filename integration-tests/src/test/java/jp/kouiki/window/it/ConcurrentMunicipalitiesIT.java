package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.Municipality;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.transfer.FileManifest;

/**
 * Twenty municipalities upload at once. Every response names the caller's own file, and every delivered file lands in
 * its own municipality's folder with its own bytes.
 */
class ConcurrentMunicipalitiesIT {

    private static final int FILES_EACH = 5;

    @TempDir
    Path root;

    @Test
    void everyResponseAndEveryFileBelongsToItsCaller() throws Exception {
        List<MunicipalityCode> codes = MunicipalityDirectory.bundled().membersOfPrefecture("13").stream()
                .limit(20).map(Municipality::code).toList();
        try (WindowSystem system = new WindowSystem(root, codes)) {
            system.startCentral();
            DirectUploader uploader = new DirectUploader(new KeyMaterialLayout(system.keys()), system.port);
            ExecutorService callers = Executors.newFixedThreadPool(codes.size());
            List<Future<List<String>>> results = new ArrayList<>();
            try {
                for (MunicipalityCode code : codes) {
                    results.add(callers.submit(() -> uploadAll(uploader, code)));
                }
                List<String> mismatches = new ArrayList<>();
                for (Future<List<String>> result : results) {
                    mismatches.addAll(result.get());
                }
                assertThat(mismatches).isEmpty();
            } finally {
                callers.shutdownNow();
            }

            for (MunicipalityCode code : codes) {
                byte[] records = TestFiles.postalRecords(code.fiveDigits());
                await("five files delivered for " + code).atMost(Duration.ofSeconds(60))
                        .until(() -> regularFiles(system.inbound(code)).size() == FILES_EACH);
                for (Path file : regularFiles(system.inbound(code))) {
                    assertThat(file.getFileName().toString()).startsWith(code + "_POSTAL_");
                    assertThat(file).hasBinaryContent(records);
                }
            }
        }
    }

    /** Uploads this municipality's files and returns every response that named another file or failed. */
    private static List<String> uploadAll(DirectUploader uploader, MunicipalityCode code) throws Exception {
        HttpClient client = uploader.client(code);
        byte[] records = TestFiles.postalRecords(code.fiveDigits());
        List<String> mismatches = new ArrayList<>();
        for (int day = 1; day <= FILES_EACH; day++) {
            FileManifest manifest = DirectUploader.manifest(code, code + "_POSTAL_2026120" + day + ".csv", records);
            DirectUploader.Result result = uploader.upload(client, code, manifest,
                    uploader.encrypt(code, manifest.fileId(), records));
            for (var response : List.of(result.announce(), result.chunk())) {
                if (response.statusCode() != 200 || !response.body().contains("\"fileId\":\"" + manifest.fileId())) {
                    mismatches.add(code + " " + manifest.fileName() + ": " + response.statusCode() + " "
                            + response.body());
                }
            }
        }
        return mismatches;
    }

    private static List<Path> regularFiles(Path folder) throws Exception {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }
}
