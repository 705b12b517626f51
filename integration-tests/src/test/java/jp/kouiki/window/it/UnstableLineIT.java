package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * A line that drops every connection after about one and a half chunks still carries a file through. Each drop comes
 * after a confirmed chunk, so the agent retries after its first delay every time: a delay that doubled with every
 * drop would reach 30 s within six of them although the file keeps moving.
 */
class UnstableLineIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final int CHUNK_BYTES = 1024 * 1024;

    @TempDir
    Path root;

    @Test
    void retryDelayResetByConfirmedChunk() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA));
                LineRelay relay = new LineRelay(system.port, 60_000);
                LogCapture log = LogCapture.warnings()) {
            relay.cutEachConnectionAfter(CHUNK_BYTES * 3L / 2);
            system.startCentral();
            Properties agent = new Properties();
            agent.setProperty("agent.central-url", "https://localhost:" + relay.port());
            agent.setProperty("agent.upload.chunk-size-bytes", Integer.toString(CHUNK_BYTES));
            agent.setProperty("agent.upload.retry-initial-delay-ms", "200");
            system.startAgent(agent);

            GeneratedPostalFiles.Expected expected = GeneratedPostalFiles.drop(system.outbox(CHIYODA), CHIYODA,
                    "131016_POSTAL_20261204.csv", GeneratedPostalFiles.records(CHIYODA), 6L * CHUNK_BYTES, 0,
                    file -> { });
            Path delivered = system.inbound(CHIYODA).resolve(expected.name());
            await("file delivered over the unstable line").atMost(Duration.ofSeconds(60))
                    .until(() -> Files.exists(delivered));

            assertThat(GeneratedPostalFiles.sha256(delivered)).as("SHA-256 of the delivered file")
                    .isEqualTo(expected.sha256());
            try (Stream<Path> files = Files.list(system.inbound(CHIYODA))) {
                assertThat(files.filter(Files::isRegularFile).count()).as("files in the union's folder").isEqualTo(1);
            }
            List<String> retries = log.linesContaining("Upload failed, retrying");
            System.out.println("unstable line: " + relay.cutAtByteLimit() + " connections cut, " + retries.size()
                    + " upload retries");
            // A retry can meet a pooled connection that the relay has already cut, which fails before any chunk is
            // confirmed and counts as a second attempt. Without the reset, attempts would count up to 4 and more.
            assertThat(retries).as("upload retries after a dropped connection").hasSizeGreaterThanOrEqualTo(3)
                    .allMatch(line -> line.contains("attempt=1 ") || line.contains("attempt=2 "),
                            "each a first or second attempt after a confirmed chunk");
            assertThat(retries.stream().filter(line -> line.contains("attempt=1 ")).count())
                    .as("first attempts after a confirmed chunk").isGreaterThanOrEqualTo(3);
        }
    }
}
