package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.TlsMaterial;
import jp.kouiki.window.transfer.FileManifest;

/** Revoked certificates are refused at once, renewed ones work without a restart, stalled uploads time out. */
class CertificateLifecycleIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");

    @TempDir
    Path root;

    @Test
    void revokedCertificateWaitsUntilARenewedOneIsInstalled() throws Exception {
        Path denyList = root.resolve("revoked.txt");
        Properties revocation = new Properties();
        revocation.setProperty("central.revoked-certificates", denyList.toString());
        byte[] records = TestFiles.postalRecords("13101");
        try (WindowSystem system = new WindowSystem(root.resolve("system"), List.of(CHIYODA))) {
            KeyMaterialLayout keys = new KeyMaterialLayout(system.keys());
            system.startCentral(revocation);
            system.startAgent();
            system.drop(CHIYODA, "131016_POSTAL_20261203.csv", records);
            Path first = system.inbound(CHIYODA).resolve("131016_POSTAL_20261203.csv");
            await("delivery with the original certificate").atMost(Duration.ofSeconds(30))
                    .until(() -> Files.exists(first));

            Files.writeString(denyList, "# lost laptop\n" + fingerprint(keys) + "\n", StandardCharsets.UTF_8);
            system.drop(CHIYODA, "131016_POSTAL_20261204.csv", records);
            Path second = system.inbound(CHIYODA).resolve("131016_POSTAL_20261204.csv");
            await("file held while the certificate is revoked").during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(5)).until(() -> !Files.exists(second));
            assertThat(TestFiles.countFiles(system.error(CHIYODA))).isZero();

            Files.delete(keys.clientKeystore(CHIYODA));
            Files.delete(KeyMaterialLayout.passwordFile(keys.clientKeystore(CHIYODA)));
            new DevCredentialGenerator(system.keys()).generate(List.of(CHIYODA), List.of());

            await("delivery with the renewed certificate, no restart").atMost(Duration.ofSeconds(60))
                    .until(() -> Files.exists(second));
            assertThat(second).hasBinaryContent(records);
        }
    }

    @Test
    void stalledUploadIsCutOffWithoutBlockingOthers() throws Exception {
        Properties shortIdle = new Properties();
        shortIdle.setProperty("central.window.idle-timeout-ms", "2000");
        try (WindowSystem system = new WindowSystem(root.resolve("system"), List.of(CHIYODA))) {
            system.startCentral(shortIdle);
            KeyMaterialLayout keys = new KeyMaterialLayout(system.keys());
            DirectUploader uploader = new DirectUploader(keys, system.port);
            FileManifest manifest = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261204.csv",
                    new byte[DirectUploader.STALLED_PLAINTEXT_BYTES]);
            assertThat(uploader.announce(uploader.client(CHIYODA), CHIYODA, manifest).statusCode()).isEqualTo(200);

            try (SSLSocket stalled = uploader.stallChunk(CHIYODA, manifest.fileId())) {
                long started = System.nanoTime();

                var meanwhile = uploader.client(CHIYODA).send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("https://localhost:" + system.port
                                + "/window/v1/municipalities/131016/uploads/fedcba9876543210fedcba9876543210"))
                        .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(meanwhile.statusCode()).as("another request while one stalls").isEqualTo(404);

                InputStream in = stalled.getInputStream();
                byte[] answer = readUntilClosed(in);
                long waitedMillis = (System.nanoTime() - started) / 1_000_000;
                assertThat(waitedMillis).as("time until the stalled request was cut off").isBetween(1_500L, 15_000L);
                assertThat(new String(answer, StandardCharsets.US_ASCII)).doesNotContain("200 OK");
                assertThat(Files.size(system.centralData().resolve("uploads/131016").resolve(manifest.fileId())
                        .resolve("ciphertext"))).as("bytes kept of the stalled chunk").isZero();
            }
        }
    }

    private static byte[] readUntilClosed(InputStream in) throws IOException {
        try {
            return in.readAllBytes();
        } catch (javax.net.ssl.SSLException closed) {
            return new byte[0];
        }
    }

    private static String fingerprint(KeyMaterialLayout keys) throws Exception {
        X509Certificate certificate = (X509Certificate) TlsMaterial.loadPkcs12(keys.clientKeystore(CHIYODA))
                .getCertificate(KeyMaterialLayout.CLIENT_ALIAS);
        return HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(certificate.getEncoded()));
    }
}
