package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.transfer.FileManifest;

/** A central server short of disk responds "busy, retry later", and agents keep their files queued. */
class DiskReserveIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");

    @TempDir
    Path root;

    @Test
    void chunksAreRefusedWith503WhileAgentsKeepTheirFiles() throws Exception {
        Properties reserve = new Properties();
        reserve.setProperty("central.window.min-free-disk-mib", Long.toString(Long.MAX_VALUE / (1024 * 1024)));
        byte[] records = TestFiles.postalRecords("13101");
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startCentral(reserve);
            system.startAgent();
            DirectUploader uploader = new DirectUploader(new KeyMaterialLayout(system.keys()), system.port);
            FileManifest manifest = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261203.csv", records);

            DirectUploader.Result direct = uploader.upload(uploader.client(CHIYODA), CHIYODA, manifest,
                    uploader.encrypt(CHIYODA, manifest.fileId(), records));
            system.drop(CHIYODA, "131016_POSTAL_20261204.csv", records);

            assertEquals(503, direct.chunk().statusCode());
            assertThat(direct.chunk().headers().firstValue("Retry-After")).hasValue("60");
            assertThat(direct.chunk().body()).contains("short of disk space");
            await("agent keeps the file queued while the server is short of disk")
                    .during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                    .until(() -> system.agentMessages(QueueNames.upload(CHIYODA)) == 1);
            assertThat(TestFiles.countFiles(system.error(CHIYODA))).isZero();
            assertThat(TestFiles.countFiles(system.inbound(CHIYODA))).isZero();
        }
    }

    /**
     * A broker whose disk limit is below the disk's actual use takes no more messages: chunks get 503 instead of a
     * send that would block, an ERROR line tells operators, and the agent keeps the file until the limit is raised.
     */
    @Test
    void fullBrokerStorageRefusesChunksUntilRaised() throws Exception {
        Properties full = new Properties();
        full.setProperty("central.broker.max-disk-usage-percent", "1");
        byte[] records = TestFiles.postalRecords("13101");
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA));
                LogCapture errors = LogCapture.warnings()) {
            system.startCentral(full);
            await("broker notices its disk limit").atMost(Duration.ofSeconds(30))
                    .until(() -> system.centralBroker().isStorageFull());
            system.startAgent();
            DirectUploader uploader = new DirectUploader(new KeyMaterialLayout(system.keys()), system.port);
            FileManifest manifest = DirectUploader.manifest(CHIYODA, "131016_POSTAL_20261203.csv", records);

            DirectUploader.Result direct = uploader.upload(uploader.client(CHIYODA), CHIYODA, manifest,
                    uploader.encrypt(CHIYODA, manifest.fileId(), records));
            system.drop(CHIYODA, "131016_POSTAL_20261204.csv", records);

            assertEquals(503, direct.chunk().statusCode());
            assertThat(direct.chunk().headers().firstValue("Retry-After")).hasValue("60");
            assertThat(direct.chunk().body()).contains("queue storage is full");
            assertThat(errors.linesContaining("Broker storage full")).isNotEmpty();
            await("agent keeps the file queued while the broker is full")
                    .during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                    .until(() -> system.agentMessages(QueueNames.upload(CHIYODA)) == 1);
            assertThat(TestFiles.countFiles(system.inbound(CHIYODA))).isZero();

            system.stopCentral();
            system.startCentral();
            await("file delivered once the limit is raised").atMost(Duration.ofSeconds(60))
                    .until(() -> TestFiles.countFiles(system.inbound(CHIYODA)) == 1);
            assertThat(TestFiles.countFiles(system.error(CHIYODA))).isZero();
        }
    }
}
