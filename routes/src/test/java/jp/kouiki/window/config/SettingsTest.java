package jp.kouiki.window.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

    private static final String DEFAULTS = "/settings-test-defaults.properties";

    @TempDir
    Path directory;

    @AfterEach
    void clearSystemProperties() {
        System.clearProperty("settings.test.workers");
        System.clearProperty("settings.test.name");
        System.clearProperty("settings.test.not-in-defaults");
    }

    @Test
    void defaultsAreRead() throws Exception {
        Settings settings = Settings.load(DEFAULTS, null);

        assertThat(settings.integer("settings.test.workers", 1, 64)).isEqualTo(4);
        assertThat(settings.number("settings.test.poll-ms", 10, 60_000)).isEqualTo(500L);
        assertThat(settings.text("settings.test.name")).isEqualTo("forwarder");
        assertThat(settings.path("settings.test.directory")).isEqualTo(Path.of("/var/lib/window"));
        assertThat(settings.flag("settings.test.enabled")).isTrue();
        assertThat(settings.text("settings.test.ward")).isEqualTo("千代田区");
        assertThat(settings.source()).isEqualTo("defaults");
    }

    @Test
    void missingDefaultsResourceIsReported() {
        assertThatThrownBy(() -> Settings.load("/absent-defaults.properties", null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("/absent-defaults.properties");
    }

    @Test
    void fileOverridesDefaults() throws Exception {
        Path file = writeFile("settings.test.workers=8\nsettings.test.name=展開\n");

        Settings settings = Settings.load(DEFAULTS, file);

        assertThat(settings.integer("settings.test.workers", 1, 64)).isEqualTo(8);
        assertThat(settings.text("settings.test.name")).isEqualTo("展開");
        assertThat(settings.number("settings.test.poll-ms", 10, 60_000)).as("value left to the defaults")
                .isEqualTo(500L);
        assertThat(settings.source()).isEqualTo(file.toString());
    }

    @Test
    void missingFileIsReported() {
        Path absent = directory.resolve("absent.properties");

        assertThatThrownBy(() -> Settings.load(DEFAULTS, absent))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(absent.toString());
    }

    @Test
    void systemPropertyOverridesFile() throws Exception {
        Path file = writeFile("settings.test.workers=8\n");
        System.setProperty("settings.test.workers", "16");
        System.setProperty("settings.test.name", "from-system");

        Settings settings = Settings.load(DEFAULTS, file);

        assertThat(settings.integer("settings.test.workers", 1, 64)).isEqualTo(16);
        assertThat(settings.text("settings.test.name")).isEqualTo("from-system");
    }

    @Test
    void systemPropertyOfUnknownKeyIsIgnored() throws Exception {
        System.setProperty("settings.test.not-in-defaults", "x");

        Settings settings = Settings.load(DEFAULTS, null);

        assertThat(settings.text("settings.test.not-in-defaults", "fallback")).isEqualTo("fallback");
    }

    @Test
    void explicitValuesOverrideSystemProperty() throws Exception {
        System.setProperty("settings.test.workers", "16");
        Properties overrides = new Properties();
        overrides.setProperty("settings.test.workers", "2");

        Settings settings = Settings.of(DEFAULTS, overrides);

        assertThat(settings.integer("settings.test.workers", 1, 64)).isEqualTo(2);
    }

    @Test
    void numberOutOfRangeNamesKeyAndRange() throws Exception {
        Settings settings = settingsWith("settings.test.workers", "65");

        assertThatThrownBy(() -> settings.integer("settings.test.workers", 1, 64))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("setting settings.test.workers=65 in defaults is invalid; expected a whole number from 1"
                        + " to 64");
    }

    @Test
    void numberBelowRangeIsRejected() throws Exception {
        Settings settings = settingsWith("settings.test.workers", "0");

        assertThatThrownBy(() -> settings.integer("settings.test.workers", 1, 64))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("settings.test.workers=0")
                .hasMessageContaining("from 1 to 64");
    }

    @Test
    void nonNumberNamesKeyAndRange() throws Exception {
        for (String value : List.of("four", "4.5", "0x10", "1e3", "99999999999999999999")) {
            Settings settings = settingsWith("settings.test.poll-ms", value);

            assertThatThrownBy(() -> settings.number("settings.test.poll-ms", 10, 60_000)).as(value)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("setting settings.test.poll-ms=" + value)
                    .hasMessageContaining("expected a whole number from 10 to 60000");
        }
    }

    @Test
    void numberIsTrimmed() throws Exception {
        Settings settings = settingsWith("settings.test.workers", " 12 ");

        assertThat(settings.integer("settings.test.workers", 1, 64)).isEqualTo(12);
    }

    @Test
    void numberRangeEndsAreAccepted() throws Exception {
        assertThat(settingsWith("settings.test.workers", "1").integer("settings.test.workers", 1, 64)).isEqualTo(1);
        assertThat(settingsWith("settings.test.workers", "64").integer("settings.test.workers", 1, 64)).isEqualTo(64);
    }

    @Test
    void invalidValueNamesFile() throws Exception {
        Path file = writeFile("settings.test.workers=many\n");

        Settings settings = Settings.load(DEFAULTS, file);

        assertThatThrownBy(() -> settings.integer("settings.test.workers", 1, 64))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("settings.test.workers=many in " + file + " is invalid");
    }

    @Test
    void missingRequiredValueIsReported() throws Exception {
        Settings settings = Settings.load(DEFAULTS, null);

        assertThatThrownBy(() -> settings.text("settings.test.absent"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("setting settings.test.absent=(missing) in defaults is invalid; expected a value");
    }

    @Test
    void blankRequiredValueIsReported() throws Exception {
        Settings settings = Settings.load(DEFAULTS, null);

        assertThatThrownBy(() -> settings.text("settings.test.blank"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("setting settings.test.blank=")
                .hasMessageContaining("expected a value");
        assertThatThrownBy(() -> settings.number("settings.test.blank", 0, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("setting settings.test.blank=");
        assertThatThrownBy(() -> settings.path("settings.test.absent"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("settings.test.absent=(missing)");
    }

    @Test
    void fallbackReplacesMissingOrBlankText() throws Exception {
        Settings settings = Settings.load(DEFAULTS, null);

        assertThat(settings.text("settings.test.absent", "fallback")).isEqualTo("fallback");
        assertThat(settings.text("settings.test.blank", "fallback")).isEqualTo("fallback");
        assertThat(settings.text("settings.test.name", "fallback")).isEqualTo("forwarder");
    }

    @Test
    void invalidFlagIsReported() throws Exception {
        for (String value : List.of("yes", "TRUE", "1")) {
            Settings settings = settingsWith("settings.test.enabled", value);

            assertThatThrownBy(() -> settings.flag("settings.test.enabled")).as(value)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("settings.test.enabled=" + value)
                    .hasMessageContaining("expected true or false");
        }
        assertThat(settingsWith("settings.test.enabled", "false").flag("settings.test.enabled")).isFalse();
    }

    @Test
    void listDropsBlanksAndTrims() throws Exception {
        Settings settings = Settings.load(DEFAULTS, null);

        assertThat(settings.list("settings.test.codes")).containsExactly("131016", "131024", "131032");
    }

    @Test
    void listOfMissingOrBlankValueIsEmpty() throws Exception {
        Settings settings = Settings.load(DEFAULTS, null);

        assertThat(settings.list("settings.test.absent")).isEmpty();
        assertThat(settings.list("settings.test.blank")).isEmpty();
        assertThat(settingsWith("settings.test.codes", " , ,").list("settings.test.codes")).isEmpty();
    }

    @Test
    void listOfOneValue() throws Exception {
        assertThat(settingsWith("settings.test.codes", "131016").list("settings.test.codes")).containsExactly("131016");
    }

    private static Settings settingsWith(String key, String value) throws Exception {
        Properties overrides = new Properties();
        overrides.setProperty(key, value);
        return Settings.of(DEFAULTS, overrides);
    }

    private Path writeFile(String content) throws Exception {
        return Files.writeString(directory.resolve("application.properties"), content, StandardCharsets.UTF_8);
    }

    @Test
    void misspelledKeyIsRejectedWithTheClosestKnownKey() throws Exception {
        Path file = directory.resolve("application.properties");
        Files.writeString(file, "settings.test.worker=8\n", StandardCharsets.UTF_8);
        Settings settings = Settings.load(DEFAULTS, file);

        assertThatThrownBy(() -> settings.requireKnownKeys("settings.test.", List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("setting settings.test.worker in " + file + " is unknown")
                .hasMessageContaining("did you mean settings.test.workers?");
    }

    @Test
    void knownAndPatternKeysAreAccepted() throws Exception {
        Path file = directory.resolve("application.properties");
        Files.writeString(file, "settings.test.workers=8\nsettings.test.route.131016=x\nother.key=y\n",
                StandardCharsets.UTF_8);
        Settings settings = Settings.load(DEFAULTS, file);

        settings.requireKnownKeys("settings.test.", List.of("settings.test.route."));
        assertThat(settings.integer("settings.test.workers", 1, 64)).isEqualTo(8);
    }

    @Test
    void unknownKeysAreCountedInOneMessage() throws Exception {
        Properties overrides = new Properties();
        overrides.setProperty("settings.test.nmae", "x");
        overrides.setProperty("settings.test.zzz", "y");
        Settings settings = Settings.of(DEFAULTS, overrides);

        assertThatThrownBy(() -> settings.requireKnownKeys("settings.test.", List.of()))
                .hasMessageContaining("setting settings.test.nmae in defaults is unknown (and 1 more: settings.test.zzz)")
                .hasMessageContaining("did you mean settings.test.name?");
    }
}
