package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * A slow paced upload keeps bytes flowing, so a relay that cuts connections silent for 1.5 s, as a proxy with a short
 * idle timeout does, never cuts a chunk in the middle. At 8 KiB/s a chunk of 64 KiB takes 8 s on the line, and a file
 * of 128 KiB two such chunks.
 */
class SlowLineKeepAliveIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final long IDLE_TIMEOUT_MILLIS = 1500;

    @TempDir
    java.nio.file.Path root;

    @Test
    void slowChunkOutlivesProxyIdleTimeout() throws Exception {
        String name = "131016_POSTAL_20261204.csv";
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA));
                LineRelay relay = new LineRelay(system.port, IDLE_TIMEOUT_MILLIS)) {
            system.startCentral();
            Properties agent = new Properties();
            agent.setProperty("agent.central-url", "https://localhost:" + relay.port());
            agent.setProperty("agent.pacing.windows", "default 8KiB/s");
            agent.setProperty("agent.upload.max-write-gap-ms", "500");
            system.startAgent(agent);

            GeneratedPostalFiles.drop(system.outbox(CHIYODA), CHIYODA, name, GeneratedPostalFiles.records(CHIYODA),
                    128 * 1024, 0, expected -> { });
            await("file delivered through the relay").atMost(Duration.ofSeconds(90))
                    .until(() -> Files.exists(system.inbound(CHIYODA).resolve(name)));

            System.out.println("relay: longest client silence inside a request body "
                    + relay.longestUploadSilenceMillis() + " ms; cut while uploading " + relay.cutWhileUploading()
                    + ", cut idle " + relay.cutIdle());
            assertThat(relay.cutWhileUploading()).as("connections cut in the middle of a chunk").isZero();
            assertThat(relay.longestUploadSilenceMillis()).as("longest silence inside a chunk, ms")
                    .isLessThan(IDLE_TIMEOUT_MILLIS / 3);
        }
    }
}
