package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.agent.AgentSettings;
import jp.kouiki.window.central.CentralSettings;
import jp.kouiki.window.it.GeneratedPostalFiles.Expected;
import jp.kouiki.window.it.ProcessSystem.Role;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * The life cycle that a service manager such as systemd drives: {@code --check-config} before a start, and SIGTERM to
 * stop. An agent stopped with SIGTERM in the middle of an upload loses nothing, and after a restart the file arrives
 * once.
 */
class ServiceLifecycleIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final long FILE_BYTES = 16L * 1024 * 1024;

    @TempDir
    Path root;

    private ProcessSystem system;

    @AfterEach
    void stopProcesses() throws Exception {
        if (system != null) {
            system.close();
        }
    }

    @Test
    void checkConfigAcceptsValidSettings() throws Exception {
        system = new ProcessSystem(root, List.of(CHIYODA));

        Result agent = checkConfig(Role.AGENT);
        Result central = checkConfig(Role.CENTRAL);

        assertEquals(0, agent.exitCode(), agent.output());
        assertThat(agent.output()).contains("municipal-agent: 設定に誤りはありません / configuration is valid: ");
        assertThat(agent.output()).contains("municipal-agent: バージョン / version=0.1.0-SNAPSHOT 設定ダイジェスト /"
                + " configDigest=" + AgentSettings.load(agent.config()).configDigest());
        assertEquals(0, central.exitCode(), central.output());
        assertThat(central.output()).contains("central-server: 設定に誤りはありません / configuration is valid: ");
        assertThat(central.output()).contains("central-server: バージョン / version=0.1.0-SNAPSHOT 設定ダイジェスト /"
                + " configDigest=" + CentralSettings.load(central.config()).configDigest());
    }

    @Test
    void checkConfigNamesMissingKeyFile() throws Exception {
        system = new ProcessSystem(root, List.of(CHIYODA));
        system.properties(Role.AGENT).setProperty("agent.municipalities", "131016,131024");
        system.properties(Role.CENTRAL).setProperty("central.municipalities", "131016,131024");

        Result agent = checkConfig(Role.AGENT);
        Result central = checkConfig(Role.CENTRAL);

        assertEquals(2, agent.exitCode(), agent.output());
        assertThat(agent.output()).contains("municipal-agent: 設定に誤りがあります / invalid configuration: setting"
                + " agent.keys-dir=" + system.keys() + ": client keystore of municipality " + CHUO + " "
                + system.keys().resolve("municipalities/131024/client.p12") + " is missing or unreadable; put it"
                + " there (with read access for this service's user) or correct agent.keys-dir");
        assertEquals(2, central.exitCode(), central.output());
        assertThat(central.output()).contains("setting central.keys-dir=" + system.keys() + ": signing public key"
                + " of municipality 131024");
    }

    @Test
    void checkConfigNamesInvalidSetting() throws Exception {
        system = new ProcessSystem(root, List.of(CHIYODA));
        system.properties(Role.AGENT).setProperty("agent.proxy.url", "https://proxy.lgwan.example:8080");
        system.properties(Role.CENTRAL).setProperty("central.window.port", "70000");

        Result agent = checkConfig(Role.AGENT);
        Result central = checkConfig(Role.CENTRAL);

        assertEquals(2, agent.exitCode(), agent.output());
        assertThat(agent.output()).contains("setting agent.proxy.url=https://proxy.lgwan.example:8080 in ")
                .contains("expected http://host:port of a forward proxy");
        assertEquals(2, central.exitCode(), central.output());
        assertThat(central.output()).contains("setting central.window.port=70000 in ")
                .contains("expected a whole number from 1 to 65535");
    }

    @Test
    void sigtermMidUploadLosesNothing() throws Exception {
        system = new ProcessSystem(root, List.of(CHIYODA));
        system.properties(Role.AGENT).setProperty("agent.upload.chunk-size-bytes", Integer.toString(64 * 1024));
        system.startAndAwait(Role.CENTRAL);
        system.startAndAwait(Role.AGENT);
        Expected file = GeneratedPostalFiles.drop(system.outbox(CHIYODA), CHIYODA, "131016_POSTAL_20261204.csv",
                GeneratedPostalFiles.records(CHIYODA), FILE_BYTES, 0, expected -> { });
        await("part of the file received by the central server").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(20))
                .until(() -> receivedBytes() > 0);

        Process agent = system.process(Role.AGENT);
        agent.destroy();
        boolean exited = agent.waitFor(30, TimeUnit.SECONDS);

        assertThat(exited).as("agent exited within 30 s of SIGTERM").isTrue();
        assertEquals(143, agent.exitValue(), "exit code after SIGTERM: 128 + 15");
        assertThat(system.countInLog(Role.AGENT, "Municipal agent stopped")).as("clean stop logged").isEqualTo(1);
        assertThat(delivered()).as("files delivered before the restart").isEmpty();

        system.startAndAwait(Role.AGENT);
        Path target = system.inbound(CHIYODA).resolve(file.name());
        await("delivery after the restart").atMost(Duration.ofSeconds(90)).until(() -> Files.exists(target));
        assertThat(GeneratedPostalFiles.sha256(target)).isEqualTo(file.sha256());
        await("no second copy").during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .until(() -> delivered().size() == 1);
        assertThat(ProcessSystem.regularFiles(system.error(CHIYODA))).as("files refused by the agent").isEmpty();
    }

    /** The exit code and the standard output and error of a finished process. */
    private record Result(int exitCode, String output, Path config) {
    }

    /** Runs the role's main class with {@code --check-config} on the configuration the test set up. */
    private Result checkConfig(Role role) throws IOException, InterruptedException {
        Path config = system.writeConfig(role);
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-Dlog4j2.configurationFile=log4j2-child-jvm.xml", "-cp", System.getProperty("java.class.path"),
                role.mainClass, "--config", config.toString(), "--check-config"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("LC_ALL", "C.UTF-8");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(role.label + " --check-config ended").isTrue();
        return new Result(process.exitValue(), output, config);
    }

    private long receivedBytes() throws IOException {
        long bytes = 0;
        for (Path file : ProcessSystem.regularFiles(system.centralData().resolve("uploads"))) {
            if (file.getFileName().toString().equals("ciphertext")) {
                bytes += Files.size(file);
            }
        }
        return bytes;
    }

    private List<Path> delivered() throws IOException {
        return ProcessSystem.regularFiles(system.inbound(CHIYODA)).stream()
                .filter(path -> !path.getParent().getFileName().toString().equals(".part"))
                .toList();
    }
}
