package jp.kouiki.window.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigurationDigestTest {

    private static final String DEFAULTS = "/settings-test-defaults.properties";

    @TempDir
    Path directory;

    @AfterEach
    void clearSystemProperties() {
        System.clearProperty("settings.test.workers");
    }

    @Test
    void digestIsSha256OfSortedLines() throws Exception {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("b.key", "2");
        settings.put("a.key", " 1 ");

        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest("a.key=1\nb.key=2\n".getBytes(StandardCharsets.UTF_8)));

        assertEquals(expected, ConfigurationDigest.of(settings));
    }

    @Test
    void orderOfSettingsDoesNotMatter() {
        Map<String, String> forward = new LinkedHashMap<>();
        forward.put("agent.upload.workers", "4");
        forward.put("agent.data-dir", "agent-data");
        forward.put("agent.municipalities", "131016,131024");
        Map<String, String> backward = new LinkedHashMap<>();
        backward.put("agent.municipalities", "131016,131024");
        backward.put("agent.data-dir", "agent-data");
        backward.put("agent.upload.workers", "4");

        assertEquals(ConfigurationDigest.of(forward), ConfigurationDigest.of(backward));
        assertThat(ConfigurationDigest.lines(backward)).containsExactly("agent.data-dir=agent-data",
                "agent.municipalities=131016,131024", "agent.upload.workers=4");
    }

    @Test
    void changedSettingChangesDigest() throws Exception {
        Settings defaults = Settings.load(DEFAULTS, null);
        Properties override = new Properties();
        override.setProperty("settings.test.workers", "5");

        Settings changed = Settings.of(DEFAULTS, override);

        assertNotEquals(ConfigurationDigest.of(defaults), ConfigurationDigest.of(changed));
    }

    @Test
    void addedSettingChangesDigest() throws Exception {
        Properties added = new Properties();
        added.setProperty("settings.test.extra", "1");

        assertNotEquals(ConfigurationDigest.of(Settings.load(DEFAULTS, null)),
                ConfigurationDigest.of(Settings.of(DEFAULTS, added)));
    }

    @Test
    void systemPropertyOverrideChangesDigest() throws Exception {
        String before = ConfigurationDigest.of(Settings.load(DEFAULTS, null));
        System.setProperty("settings.test.workers", "8");

        String after = ConfigurationDigest.of(Settings.load(DEFAULTS, null));

        assertNotEquals(before, after);
    }

    @Test
    void fileAndEqualPropertiesGiveSameDigest() throws Exception {
        Path file = directory.resolve("application.properties");
        Files.writeString(file, "settings.test.name=uploader\n", StandardCharsets.UTF_8);
        Properties same = new Properties();
        same.setProperty("settings.test.name", "uploader");

        assertEquals(ConfigurationDigest.of(Settings.of(DEFAULTS, same)),
                ConfigurationDigest.of(Settings.load(DEFAULTS, file)));
    }

    @Test
    void secretValuesAreReplacedByMarker() {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("agent.proxy.password-file", "/etc/window/proxy.password");
        settings.put("central.alert.smtp.secret", "hunter2");
        settings.put("agent.api-Token", "abc");
        settings.put("agent.proxy.user", "window");

        assertThat(ConfigurationDigest.lines(settings)).containsExactly("agent.api-Token=<secret>",
                "agent.proxy.password-file=<secret>", "agent.proxy.user=window", "central.alert.smtp.secret=<secret>");
    }

    @Test
    void changedSecretKeepsDigest() {
        Map<String, String> first = Map.of("agent.proxy.password-file", "/etc/window/a.password", "x", "1");
        Map<String, String> second = Map.of("agent.proxy.password-file", "/srv/other.password", "x", "1");

        assertEquals(ConfigurationDigest.of(first), ConfigurationDigest.of(second));
    }

    @Test
    void blankSecretDiffersFromSetSecret() {
        Map<String, String> unset = Map.of("agent.proxy.password-file", "");
        Map<String, String> set = Map.of("agent.proxy.password-file", "/etc/window/proxy.password");

        assertThat(ConfigurationDigest.lines(unset)).containsExactly("agent.proxy.password-file=");
        assertNotEquals(ConfigurationDigest.of(unset), ConfigurationDigest.of(set));
    }

    @Test
    void lineBreakInValueCannotForgeAnotherLine() {
        Map<String, String> forged = Map.of("a", "1\nb=2");
        Map<String, String> genuine = Map.of("a", "1", "b", "2");

        assertThat(ConfigurationDigest.lines(forged)).containsExactly("a=1\\nb\\=2");
        assertNotEquals(ConfigurationDigest.of(forged), ConfigurationDigest.of(genuine));
    }

    @Test
    void digestIsSixtyFourHexDigits() throws Exception {
        assertThat(ConfigurationDigest.of(Settings.load(DEFAULTS, null))).matches("[0-9a-f]{64}");
    }
}
