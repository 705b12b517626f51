package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.Counter;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * The central server's ingress cap answers 429 with Retry-After; agents wait the time given, and every file still arrives
 * exactly once. The agent's own retry delay is set to 10 ms, so an agent that ignored Retry-After would be refused
 * dozens of times a second.
 */
class AdmissionIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final int FILES_PER_MUNICIPALITY = 3;

    @TempDir
    Path root;

    @Test
    void agentsBackOffAndEveryFileArrivesOnce() throws Exception {
        Properties central = new Properties();
        central.setProperty("central.admission.global-rate", "512KiB/s");
        central.setProperty("central.admission.burst-ms", "200");
        Properties agent = new Properties();
        agent.setProperty("agent.upload.retry-initial-delay-ms", "10");
        agent.setProperty("agent.upload.retry-max-delay-ms", "20");
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA, CHUO))) {
            system.startCentral(central);
            system.startAgent(agent);
            List<GeneratedPostalFiles.Expected> dropped = new ArrayList<>();

            long started = System.nanoTime();
            for (int i = 0; i < FILES_PER_MUNICIPALITY; i++) {
                for (MunicipalityCode code : List.of(CHIYODA, CHUO)) {
                    dropped.add(GeneratedPostalFiles.drop(system.outbox(code), code,
                            code + "_POSTAL_2026120" + (i + 1) + ".csv", GeneratedPostalFiles.records(code),
                            300_000, i * 7, expected -> { }));
                }
            }
            // Each expected name, not a count: countFiles also counts files still staged in .part/.
            await("every file delivered").atMost(Duration.ofSeconds(90))
                    .until(() -> dropped.stream().allMatch(file -> Files.isRegularFile(
                            system.inbound(file.code()).resolve(file.name()))));
            double seconds = (System.nanoTime() - started) / 1e9;

            double rejected = system.centralMetrics().find("window.admission.rejected").counters().stream()
                    .mapToDouble(Counter::count).sum();
            System.out.printf(Locale.ROOT, "admission: %d files in %.1f s, %.0f chunks refused with 429%n",
                    dropped.size(), seconds, rejected);
            assertThat(rejected).as("chunks refused with 429").isGreaterThan(0);
            assertThat(rejected).as("429s, at most one per municipality per Retry-After second")
                    .isLessThanOrEqualTo(2 * 2 * seconds + 4);
            for (GeneratedPostalFiles.Expected file : dropped) {
                Path delivered = system.inbound(file.code()).resolve(file.name());
                assertThat(delivered).as("delivered " + file.name()).exists();
                assertThat(GeneratedPostalFiles.sha256(delivered)).as("SHA-256 of " + file.name())
                        .isEqualTo(file.sha256());
            }
            for (MunicipalityCode code : List.of(CHIYODA, CHUO)) {
                assertThat(TestFiles.countFiles(system.inbound(code))).as("files in inbound/" + code)
                        .isEqualTo(FILES_PER_MUNICIPALITY);
                assertThat(TestFiles.countFiles(system.error(code))).as("files refused by the agent").isZero();
                await("agent queue of " + code + " empty").atMost(Duration.ofSeconds(10))
                        .until(() -> system.agentMessages(QueueNames.upload(code)) == 0);
            }
            assertThat(Files.exists(system.root.resolve("union/rejected"))
                    ? TestFiles.countFiles(system.root.resolve("union/rejected")) : 0L).as("rejected deliveries")
                    .isZero();
        }
    }
}
