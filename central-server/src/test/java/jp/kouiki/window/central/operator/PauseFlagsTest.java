package jp.kouiki.window.central.operator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;

class PauseFlagsTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");

    @TempDir
    Path dataDirectory;

    @Test
    void pauseVisibleToOtherNode() throws Exception {
        PauseFlags primary = new PauseFlags(dataDirectory);
        PauseFlags backup = new PauseFlags(dataDirectory);

        assertThat(primary.pause(CHIYODA, "yamada.taro", "folder maintenance")).isTrue();

        PauseFlags.Pause pause = backup.pause(CHIYODA);
        assertThat(pause.operator()).isEqualTo("yamada.taro");
        assertThat(pause.reason()).isEqualTo("folder maintenance");
        assertThat(dataDirectory.resolve("operator/paused/131016")).exists();
    }

    @Test
    void secondPauseKeepsTheFirstAndResumeClears() throws Exception {
        PauseFlags flags = new PauseFlags(dataDirectory);
        flags.pause(CHIYODA, "yamada.taro", "first");

        assertThat(flags.pause(CHIYODA, "suzuki.hanako", "second")).isFalse();
        assertThat(flags.pause(CHIYODA).operator()).isEqualTo("yamada.taro");
        assertThat(flags.resume(CHIYODA)).isTrue();
        assertThat(flags.isPaused(CHIYODA)).isFalse();
        assertThat(flags.resume(CHIYODA)).isFalse();
    }
}
