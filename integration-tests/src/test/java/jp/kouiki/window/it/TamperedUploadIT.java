package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.transfer.FileManifest;

/**
 * The central server checks at delivery what an agent already checked. A file that bypasses the agent's checks, or
 * ciphertext altered or replayed on the way, therefore never reaches the union's folder. Each is logged, counted and
 * explained in a reason file.
 */
class TamperedUploadIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");

    @TempDir
    Path root;

    private WindowSystem system;
    private DirectUploader uploader;
    private HttpClient chiyoda;

    @BeforeEach
    void startCentral() throws Exception {
        system = new WindowSystem(root, List.of(CHIYODA, CHUO));
        system.startCentral();
        uploader = new DirectUploader(new KeyMaterialLayout(system.keys()), system.port);
        chiyoda = uploader.client(CHIYODA);
    }

    @AfterEach
    void stopCentral() throws Exception {
        system.close();
    }

    @Test
    void flippedByteIsRejectedAndCounted() throws Exception {
        byte[] records = TestFiles.postalRecords("13101");
        FileManifest manifest = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261204.csv", records);
        byte[] ciphertext = uploader.encrypt(CHIYODA, manifest.fileId(), records);
        ciphertext[ciphertext.length / 2] ^= 0x01;

        DirectUploader.Result result = uploader.upload(chiyoda, CHIYODA, manifest, ciphertext);

        assertEquals(200, result.chunk().statusCode(), result.chunk().body());
        assertThat(awaitReason(CHIYODA)).contains(manifest.fileId()).contains("does not decrypt");
        assertNothingDelivered();
        // The reason file is written before the rejection is counted.
        await("rejection counted").atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(rejectedCount(CHIYODA, "ciphertext")).isEqualTo(1.0));
    }

    @Test
    void ciphertextReplayedUnderAnotherFileIdIsRejected() throws Exception {
        byte[] records = TestFiles.postalRecords("13101");
        FileManifest original = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261203.csv", records);
        byte[] ciphertext = uploader.encrypt(CHIYODA, original.fileId(), records);
        FileManifest replay = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261204.csv", records);

        uploader.upload(chiyoda, CHIYODA, replay, ciphertext);

        assertThat(awaitReason(CHIYODA)).contains(replay.fileId()).contains("does not decrypt");
        assertNothingDelivered();
    }

    @Test
    void ciphertextOfAnotherMunicipalityIsRejected() throws Exception {
        byte[] records = TestFiles.postalRecords("13101");
        FileManifest manifest = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261204.csv", records);
        byte[] encryptedForChuo = uploader.encrypt(CHUO, manifest.fileId(), records);

        uploader.upload(chiyoda, CHIYODA, manifest, encryptedForChuo);

        assertThat(awaitReason(CHIYODA)).contains("does not decrypt with the keyset of 131016");
        assertNothingDelivered();
    }

    @Test
    void recordsOfAnotherMunicipalityAreRejectedAtDelivery() throws Exception {
        byte[] chuoRecords = TestFiles.postalRecords("13102");
        FileManifest manifest = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261204.csv", chuoRecords);

        uploader.upload(chiyoda, CHIYODA, manifest, uploader.encrypt(CHIYODA, manifest.fileId(), chuoRecords));

        assertThat(awaitReason(CHIYODA)).contains("record 1 carries local government code '13102'");
        assertNothingDelivered();
        // The reason file is written before the rejection is counted and dead-lettered, so wait for both.
        await("rejection counted").atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(rejectedCount(CHIYODA, "content")).isEqualTo(1.0));
        await("file dead-lettered").atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(system.centralMessages(QueueNames.deadLetter(CHIYODA))).isEqualTo(1));
    }

    @Test
    void sameBytesAfterRejectionAreNotHeld() throws Exception {
        byte[] records = TestFiles.postalRecords("13101");
        FileManifest damaged = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261204.csv", records);
        byte[] ciphertext = uploader.encrypt(CHIYODA, damaged.fileId(), records);
        ciphertext[ciphertext.length / 2] ^= 0x01;
        uploader.upload(chiyoda, CHIYODA, damaged, ciphertext);
        assertThat(awaitReason(CHIYODA)).contains(damaged.fileId());

        // The municipality sends the same file again, as the reason file requests; the refused copy is no duplicate.
        FileManifest again = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261204.csv", records);
        DirectUploader.Result resent = uploader.upload(chiyoda, CHIYODA, again,
                uploader.encrypt(CHIYODA, again.fileId(), records));

        assertThat(resent.announce().statusCode()).as("status of the second announce").isEqualTo(200);
        Path delivered = system.inbound(CHIYODA).resolve("131016_POSTAL_20261204.csv");
        await("second copy delivered").atMost(Duration.ofSeconds(30)).until(() -> Files.exists(delivered));
        assertThat(delivered).hasBinaryContent(records);
    }

    @Test
    void completionMarkerNameIsRejectedAtAnnounce() throws Exception {
        byte[] marker = ("0".repeat(64) + "  131016_POSTAL_20261204.csv\n").getBytes(StandardCharsets.UTF_8);
        FileManifest manifest = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261204.csv.done", marker);

        HttpResponse<String> announce = uploader.announce(chiyoda, CHIYODA, manifest);

        assertThat(announce.statusCode()).as("status of the announce").isEqualTo(422);
        assertThat(announce.body()).contains("reserved for completion markers");
        assertThat(system.centralMessages(QueueNames.upload(CHIYODA))).as("files queued").isZero();
    }

    private String awaitReason(MunicipalityCode code) throws Exception {
        Path folder = root.resolve("union/rejected").resolve(code.value());
        await("reason file in " + folder).atMost(Duration.ofSeconds(30))
                .until(() -> TestFiles.countFiles(folder) == 1);
        try (Stream<Path> files = Files.list(folder)) {
            return Files.readString(files.findFirst().orElseThrow(), StandardCharsets.UTF_8);
        }
    }

    private void assertNothingDelivered() throws Exception {
        try (Stream<Path> files = Files.list(system.inbound(CHIYODA))) {
            assertThat(files.filter(Files::isRegularFile)).isEmpty();
        }
        assertThat(TestFiles.countFiles(system.inbound(CHIYODA).resolve(".part"))).isZero();
    }

    private double rejectedCount(MunicipalityCode code, String reason) {
        var counter = system.centralMetrics().find("window.delivery.rejected")
                .tags("municipality", code.value(), "reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }
}
