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
}
