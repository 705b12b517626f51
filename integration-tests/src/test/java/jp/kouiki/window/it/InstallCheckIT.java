package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Runs {@code scripts/install-check.sh}, which follows the installation steps of {@code docs/operations.md} from the
 * distribution archives that this build packaged: unpack, keys, configuration, {@code --check-config}, the systemd
 * units with {@code systemd-analyze verify} where installed, both programs started by their start scripts, one file
 * moved, and both stopped with SIGTERM.
 */
class InstallCheckIT {

    private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();

    @Test
    void installationStepsRunFromTheArchives() throws Exception {
        assertThat(archive("central-server")).as("central-server archive; run mvn verify from the repository root")
                .isTrue();
        assertThat(archive("municipal-agent")).as("municipal-agent archive; run mvn verify from the repository root")
                .isTrue();
        Path output = Files.createTempFile("install-check", ".log");
        Process process = new ProcessBuilder("bash", "scripts/install-check.sh")
                .directory(REPOSITORY.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        try {
            boolean finished = process.waitFor(6, TimeUnit.MINUTES);
            String log = Files.readString(output, StandardCharsets.UTF_8);
            assertThat(finished).as("install check finished within 6 minutes; output so far:%n%s", log).isTrue();
            assertThat(process.exitValue()).as("exit code of install-check.sh; output:%n%s", log).isZero();
            assertThat(log).contains("configuration is valid", "delivered ", "agent stopped (exit code 143)",
                    "central stopped (exit code 143)", "install check passed");
        } finally {
            if (process.isAlive()) {
                process.destroy();
                process.waitFor(90, TimeUnit.SECONDS);
            }
            Files.deleteIfExists(output);
        }
    }

    private static boolean archive(String program) throws IOException {
        Path target = REPOSITORY.resolve(program).resolve("target");
        if (!Files.isDirectory(target)) {
            return false;
        }
        try (Stream<Path> files = Files.list(target)) {
            return files.anyMatch(file -> file.getFileName().toString().endsWith("-dist.tar.gz"));
        }
    }
}
