package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * An agent's cap holds on a real shaped line: the central server and the agent run as separate JVMs in two network
 * namespaces joined by a veth pair that tbf shapes to 10 Mbit/s, and the rate is read from the kernel's counters of
 * the agent's interface while one file crosses the link. The rate without packet headers still contains each paced
 * step's TLS record overhead, about 22 bytes per step of 786 bytes. Needs root and iproute2.
 */
class ShapedLinkIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final long MIB = 1024 * 1024;
    private static final long CAP_BYTES_PER_SECOND = 768 * 1024;
    private static final String CENTRAL_NAME = "window-central";

    @TempDir
    Path root;

    @BeforeAll
    static void requireNamespaces() {
        LinkedNamespaces.requireAvailable();
    }

    @Test
    void agentCapHoldsOnShapedLink() throws Exception {
        try (LinkedNamespaces link = LinkedNamespaces.create("10mbit");
                ProcessSystem system = new ProcessSystem(root, List.of(CHIYODA), List.of(CENTRAL_NAME))) {
            system.properties(ProcessSystem.Role.CENTRAL).setProperty("central.window.host", link.centralAddress);
            system.properties(ProcessSystem.Role.CENTRAL).setProperty("central.operator.enabled", "false");
            system.properties(ProcessSystem.Role.AGENT).setProperty("agent.central-url",
                    "https://" + CENTRAL_NAME + ":" + system.port);
            system.properties(ProcessSystem.Role.AGENT).setProperty("agent.pacing.windows", "default 768KiB/s");
            system.addJvmOptions(ProcessSystem.Role.AGENT, "-Djdk.net.hosts.file="
                    + link.writeHostsFile(root.resolve("hosts"), CENTRAL_NAME));
            system.runUnder(ProcessSystem.Role.CENTRAL, link.inCentral());
            system.runUnder(ProcessSystem.Role.AGENT, link.inAgent());
            system.startAndAwait(ProcessSystem.Role.CENTRAL);
            system.startAndAwait(ProcessSystem.Role.AGENT);

            GeneratedPostalFiles.drop(system.outbox(CHIYODA), CHIYODA, "131016_POSTAL_20261204.csv",
                    GeneratedPostalFiles.records(CHIYODA), 6 * MIB, 0, expected -> { });
            awaitReceived(system, MIB);
            long firstAt = System.nanoTime();
            LinkedNamespaces.Counters first = link.agentSent();
            awaitReceived(system, 5 * MIB);
            long lastAt = System.nanoTime();
            LinkedNamespaces.Counters last = link.agentSent();
            await("file delivered to the union").atMost(Duration.ofSeconds(60))
                    .failFast("a product JVM exited", system::assertAlive)
                    .until(() -> countFiles(system.inbound(CHIYODA)) == 1);

            double seconds = (lastAt - firstAt) / 1e9;
            double payloadRate = (last.payloadBytes() - first.payloadBytes()) / seconds;
            double wireRate = (last.bytes() - first.bytes()) / seconds;
            System.out.printf(Locale.ROOT, "shaped link: %.2f s, %d packets, %.1f KiB/s without packet headers,"
                    + " %.1f KiB/s on the wire, cap 768 KiB/s, link 10 Mbit/s%n", seconds,
                    last.packets() - first.packets(), payloadRate / 1024, wireRate / 1024);
            assertThat(payloadRate).as("bytes per second on the link without packet headers")
                    .isBetween(0.9 * CAP_BYTES_PER_SECOND, 1.1 * CAP_BYTES_PER_SECOND);
        }
    }

    /** Waits until the central server's partial upload contains at least {@code bytes}. */
    private static void awaitReceived(ProcessSystem system, long bytes) {
        await("central server received " + bytes + " bytes").atMost(Duration.ofSeconds(60))
                .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                .failFast("a product JVM exited", system::assertAlive)
                .until(() -> partialUploadBytes(system) >= bytes);
    }

    private static long partialUploadBytes(ProcessSystem system) throws IOException {
        Path uploads = system.centralData().resolve("uploads").resolve(CHIYODA.value());
        if (!Files.isDirectory(uploads)) {
            return 0;
        }
        long largest = 0;
        try (Stream<Path> files = Files.list(uploads)) {
            for (Path upload : files.toList()) {
                Path ciphertext = upload.resolve("ciphertext");
                if (Files.exists(ciphertext)) {
                    largest = Math.max(largest, Files.size(ciphertext));
                }
            }
        }
        return largest;
    }

    private static long countFiles(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(Files::isRegularFile).count();
        }
    }
}
