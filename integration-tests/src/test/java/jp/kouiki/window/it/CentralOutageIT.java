package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;

/** Files wait in the agent's queue while the central server is not there, then flow once, none lost or doubled. */
class CentralOutageIT {

    private static final List<MunicipalityCode> CODES = List.of(
            MunicipalityCode.of("131016"), MunicipalityCode.of("131024"), MunicipalityCode.of("131032"));

    @TempDir
    Path root;

    @Test
    void filesQueuedBeforeCentralStartsArriveOnceEach() throws Exception {
        try (WindowSystem system = new WindowSystem(root, CODES)) {
            system.startAgent();
            for (MunicipalityCode code : CODES) {
                byte[] records = TestFiles.postalRecords(code.fiveDigits());
                for (int day = 1; day <= 4; day++) {
                    system.drop(code, code + "_POSTAL_2026120" + day + ".csv", records);
                }
            }

            await("all twelve files taken into the agent's queue").atMost(Duration.ofSeconds(30))
                    .until(() -> CODES.stream().mapToLong(code -> count(system.sent(code))).sum() == 12);
            await("files waiting at the agent while the central server is down")
                    .during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(15))
                    .until(() -> CODES.stream().mapToLong(code -> system.agentMessages(QueueNames.upload(code)))
                            .sum() == 12);

            system.startCentral();
            for (MunicipalityCode code : CODES) {
                await("four files delivered for " + code).atMost(Duration.ofSeconds(60))
                        .until(() -> count(system.inbound(code)) == 4);
            }
            await("agent queues drained").atMost(Duration.ofSeconds(10))
                    .until(() -> CODES.stream().mapToLong(code -> system.agentMessages(QueueNames.upload(code)))
                            .sum() == 0);
            await("no second copy appears").during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                    .until(() -> CODES.stream().mapToLong(code -> count(system.inbound(code))).sum() == 12);
            for (MunicipalityCode code : CODES) {
                byte[] records = TestFiles.postalRecords(code.fiveDigits());
                for (int day = 1; day <= 4; day++) {
                    assertThat(system.inbound(code).resolve(code + "_POSTAL_2026120" + day + ".csv"))
                            .hasBinaryContent(records);
                }
            }
        }
    }

    private static long count(Path folder) {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(Files::isRegularFile).count();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
