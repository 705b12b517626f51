package jp.kouiki.window.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The SHA-256 digest of a node's effective configuration, so that operators can tell at a glance which nodes run the
 * same settings. The digest covers every setting after the bundled defaults, the configuration file and JVM system
 * properties are applied: one {@code key=value} line per setting, sorted by key, each ending in a line feed, in UTF-8.
 * Values are stripped of surrounding white space, which the settings ignore as well. A backslash, line feed, carriage
 * return or equals sign in a key or value is escaped with a backslash, so no value can forge another line. Paths stay
 * as configured, not resolved.
 *
 * <p>A setting whose key contains {@code password}, {@code secret}, {@code passphrase} or {@code token} (in any case)
 * is a secret: a non-blank value is replaced by {@link #SECRET_MARKER}, so the digest shows that a secret is set but
 * changes neither with the secret itself nor with its file's contents, which are never read here.
 */
public final class ConfigurationDigest {

    /** The value that stands for a non-blank secret in the digested lines. */
    public static final String SECRET_MARKER = "<secret>";

    private static final List<String> SECRET_WORDS = List.of("password", "secret", "passphrase", "token");

    private ConfigurationDigest() {
    }

    /** Returns the digest of the settings in effect: 64 lowercase hexadecimal digits. */
    public static String of(Settings settings) {
        return of(settings.effectiveValues());
    }

    /** Returns the digest of the given settings, in any order. */
    public static String of(Map<String, String> settings) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        for (String line : lines(settings)) {
            sha256.update((line + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(sha256.digest());
    }

    /** Returns the digested lines, sorted by key, with secret values replaced by {@link #SECRET_MARKER}. */
    public static List<String> lines(Map<String, String> settings) {
        List<String> lines = new ArrayList<>();
        settings.entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(setting -> lines.add(escape(setting.getKey()) + "="
                        + escape(digestedValue(setting.getKey(), setting.getValue()))));
        return lines;
    }

    /** Returns whether the setting's value is a secret, judged by its key. */
    public static boolean isSecret(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        return SECRET_WORDS.stream().anyMatch(lower::contains);
    }

    private static String digestedValue(String key, String value) {
        String stripped = value == null ? "" : value.strip();
        return isSecret(key) && !stripped.isEmpty() ? SECRET_MARKER : stripped;
    }

    private static String escape(String text) {
        return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("=", "\\=");
    }
}
