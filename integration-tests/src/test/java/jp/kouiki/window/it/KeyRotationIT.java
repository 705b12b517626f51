package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.crypto.KeysetRotation;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;
import jp.kouiki.window.security.KeyMaterialLayout;

/** A keyset rotated while files wait in the agent's queue loses none of them, and needs no restart. */
class KeyRotationIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");

    @TempDir
    Path root;

    @Test
    void filesQueuedUnderTheOldKeyArriveAfterRotation() throws Exception {
        byte[] records = TestFiles.postalRecords("13101");
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            Path keyset = new KeyMaterialLayout(system.keys()).encryptionKeyset(CHIYODA);
            system.startAgent();
            system.drop(CHIYODA, "131016_POSTAL_20261201.csv", records);
            system.drop(CHIYODA, "131016_POSTAL_20261202.csv", records);
            await("two files queued under the first key").atMost(Duration.ofSeconds(30))
                    .until(() -> system.agentMessages(QueueNames.upload(CHIYODA)) == 2);

            KeysetRotation.addKey(keyset, true);
            system.drop(CHIYODA, "131016_POSTAL_20261203.csv", records);
            await("third file queued under the new key").atMost(Duration.ofSeconds(30))
                    .until(() -> system.agentMessages(QueueNames.upload(CHIYODA)) == 3);
            system.startCentral();

            for (String day : List.of("01", "02", "03")) {
                Path delivered = system.inbound(CHIYODA).resolve("131016_POSTAL_202612" + day + ".csv");
                await("delivery of " + delivered.getFileName()).atMost(Duration.ofSeconds(60))
                        .until(() -> Files.exists(delivered));
                assertThat(delivered).hasBinaryContent(records);
            }
            await("agent queue drained").atMost(Duration.ofSeconds(10))
                    .until(() -> system.agentMessages(QueueNames.upload(CHIYODA)) == 0);

            assertThat(KeysetRotation.retireNonPrimary(keyset)).isEqualTo(1);
            system.drop(CHIYODA, "131016_POSTAL_20261204.csv", records);
            Path afterRetirement = system.inbound(CHIYODA).resolve("131016_POSTAL_20261204.csv");
            await("delivery after the old key was retired").atMost(Duration.ofSeconds(60))
                    .until(() -> Files.exists(afterRetirement));
            assertThat(TestFiles.countFiles(root.resolve("union/rejected"))).isZero();
        }
    }

    /**
     * A rotated signing key does not lose files: those queued under the old key still verify, and those signed with
     * the new key wait at the agent, not in error/, until the union installs the new public key at the window server.
     */
    @Test
    void signingKeyRotationWaitsForTheNewPublicKey() throws Exception {
        byte[] records = TestFiles.postalRecords("13101");
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            // The window server gets its own copy of the key folder, as on a separate machine.
            Path centralKeys = root.resolve("central-keys");
            copyTree(system.keys(), centralKeys);
            java.util.Properties central = new java.util.Properties();
            central.setProperty("central.keys-dir", centralKeys.toString());
            system.startAgent();
            system.drop(CHIYODA, "131016_POSTAL_20261201.csv", records);
            await("file queued under the first signing key").atMost(Duration.ofSeconds(30))
                    .until(() -> system.agentMessages(QueueNames.upload(CHIYODA)) == 1);

            DevCredentialGenerator.SigningKeyRotation rotation = new DevCredentialGenerator(system.keys())
                    .rotateSigningKey(CHIYODA);
            assertThat(rotation.newKeyId()).isNotEqualTo(rotation.previousKeyId());
            system.drop(CHIYODA, "131016_POSTAL_20261202.csv", records);
            await("file queued under the new signing key").atMost(Duration.ofSeconds(30))
                    .until(() -> system.agentMessages(QueueNames.upload(CHIYODA)) == 2);
            system.startCentral(central);

            Path first = system.inbound(CHIYODA).resolve("131016_POSTAL_20261201.csv");
            Path second = system.inbound(CHIYODA).resolve("131016_POSTAL_20261202.csv");
            await("file signed with the previous key delivered").atMost(Duration.ofSeconds(60))
                    .until(() -> Files.exists(first));
            await("file signed with the new key waits at the agent").during(Duration.ofSeconds(3))
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> !Files.exists(second) && system.agentMessages(QueueNames.upload(CHIYODA)) == 1);
            assertThat(TestFiles.countFiles(system.error(CHIYODA))).as("files in the agent's error folder").isZero();

            KeyMaterialLayout agentKeys = new KeyMaterialLayout(system.keys());
            Files.copy(agentKeys.signingPublicKey(CHIYODA), new KeyMaterialLayout(centralKeys)
                    .municipalityDirectory(CHIYODA).resolve("signing-public-" + rotation.newKeyId() + ".pem"));
            await("file signed with the new key delivered once its public key is installed")
                    .atMost(Duration.ofSeconds(60)).until(() -> Files.exists(second));
            assertThat(second).hasBinaryContent(records);
        }
    }

    private static void copyTree(Path source, Path target) throws java.io.IOException {
        try (java.util.stream.Stream<Path> paths = Files.walk(source)) {
            for (Path path : paths.toList()) {
                Path copy = target.resolve(source.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(path, copy, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
