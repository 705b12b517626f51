package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.agent.MunicipalAgent;
import jp.kouiki.window.municipality.Municipality;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;

/**
 * An agent for 40 municipalities sends one file for each. Afterwards it keeps no connection open, because it closes
 * pooled connections idle for longer than {@code agent.http.idle-close-ms}.
 */
class AgentConnectionsIT {

    @TempDir
    Path root;

    @Test
    void idleConnectionsCloseAfterSending() throws Exception {
        List<MunicipalityCode> codes = MunicipalityDirectory.bundled().membersOfPrefecture("01").stream()
                .limit(40).map(Municipality::code).toList();
        try (WindowSystem system = new WindowSystem(root, codes)) {
            system.startCentral();
            Properties settings = new Properties();
            settings.setProperty("agent.http.idle-close-ms", "1000");
            settings.setProperty("agent.download.enabled", "false");
            MunicipalAgent agent = system.startAgent(settings);
            for (MunicipalityCode code : codes) {
                system.drop(code, code + "_POSTAL_20261204.csv", TestFiles.postalRecords(code.fiveDigits()));
            }

            AtomicInteger maxOpen = new AtomicInteger();
            await("every file delivered").atMost(Duration.ofSeconds(90)).until(() -> {
                maxOpen.accumulateAndGet(agent.openConnections(), Math::max);
                for (MunicipalityCode code : codes) {
                    if (count(system.inbound(code)) != 1) {
                        return false;
                    }
                }
                return true;
            });
            await("every file's receipt collected").atMost(Duration.ofSeconds(30)).until(() -> {
                maxOpen.accumulateAndGet(agent.openConnections(), Math::max);
                for (MunicipalityCode code : codes) {
                    if (count(system.sent(code), ".receipt") != 1) {
                        return false;
                    }
                }
                return true;
            });
            // An upload, a receipt query and a cancellation query of one municipality may overlap, within the four
            // connections of the municipality's pool.
            assertThat(maxOpen.get()).as("connections open at once while sending").isPositive()
                    .isLessThanOrEqualTo(4 * codes.size());
            await("idle connections closed").atMost(Duration.ofSeconds(10))
                    .until(() -> agent.openConnections() == 0);
        }
    }

    @Test
    void pollsReuseTheirConnections() throws Exception {
        List<MunicipalityCode> codes = MunicipalityDirectory.bundled().membersOfPrefecture("01").stream()
                .limit(3).map(Municipality::code).toList();
        try (WindowSystem system = new WindowSystem(root, codes);
                LineRelay relay = new LineRelay(system.port, 60_000)) {
            system.startCentral();
            Properties settings = new Properties();
            settings.setProperty("agent.central-url", "https://localhost:" + relay.port());
            settings.setProperty("agent.download.poll-interval-ms", "100");
            MunicipalAgent agent = system.startAgent(settings);
            for (MunicipalityCode code : codes) {
                system.drop(code, code + "_POSTAL_20261204.csv", TestFiles.postalRecords(code.fiveDigits()));
            }
            await("every file delivered").atMost(Duration.ofSeconds(60))
                    .until(() -> {
                        for (MunicipalityCode code : codes) {
                            if (count(system.inbound(code)) != 1) {
                                return false;
                            }
                        }
                        return true;
                    });
            int afterUploads = relay.accepted();
            // About 30 download polls of 3 municipalities, each a request of its own.
            Thread.sleep(3000);

            assertThat(afterUploads).as("connections opened for 3 uploads with their polls").isPositive()
                    .isLessThanOrEqualTo(4 * codes.size());
            // Polls, receipt and cancellation queries may overlap and open a municipality's pool up to 4 connections,
            // but not beyond: without reuse, each of the polls opened one.
            assertThat(relay.accepted()).as("connections opened after 3 s more of download polls")
                    .isLessThanOrEqualTo(4 * codes.size());
            assertThat(agent.openConnections()).as("connections the agent keeps").isPositive();
        }
    }

    private static long count(Path folder) throws IOException {
        return count(folder, "");
    }

    private static long count(Path folder, String suffix) throws IOException {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(Files::isRegularFile)
                    .filter(file -> suffix.isEmpty() ? !file.getFileName().toString().startsWith(".")
                            : file.getFileName().toString().endsWith(suffix))
                    .count();
        }
    }
}
