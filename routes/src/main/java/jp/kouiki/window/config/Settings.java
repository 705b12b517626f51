package jp.kouiki.window.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Typed access to an {@code application.properties} file layered over the defaults bundled with a module. Every
 * getter names the key and the expected form when a value is missing or invalid, so that a wrong setting stops
 * start-up with a message that names the fix.
 */
public final class Settings {

    private final Properties values;
    private final String source;
    private final java.util.Set<String> fromSystemProperties;
    private final java.util.Set<String> defaultKeys;

    private Settings(Properties values, String source, java.util.Set<String> fromSystemProperties,
            java.util.Set<String> defaultKeys) {
        this.values = values;
        this.source = source;
        this.fromSystemProperties = fromSystemProperties;
        this.defaultKeys = defaultKeys;
    }

    /**
     * Loads the bundled defaults, then the file (when not null), then JVM system properties with the same keys.
     *
     * @param defaultsResource classpath resource with every key and its default, such as "/agent-defaults.properties"
     */
    public static Settings load(String defaultsResource, Path file) throws IOException {
        Properties merged = new Properties();
        try (InputStream in = Settings.class.getResourceAsStream(defaultsResource)) {
            if (in == null) {
                throw new IllegalStateException("default settings " + defaultsResource + " are missing from the classpath");
            }
            merged.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        }
        java.util.Set<String> defaultKeys = java.util.Set.copyOf(merged.stringPropertyNames());
        String source = "defaults";
        if (file != null) {
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                merged.load(reader);
            }
            source = file.toString();
        }
        java.util.Set<String> overridden = new java.util.HashSet<>();
        for (String key : merged.stringPropertyNames()) {
            String override = System.getProperty(key);
            if (override != null) {
                merged.setProperty(key, override);
                overridden.add(key);
            }
        }
        return new Settings(merged, source, overridden, defaultKeys);
    }

    /** Creates settings from explicit values over the bundled defaults, as tests and embedding code do. */
    public static Settings of(String defaultsResource, Properties overrides) throws IOException {
        Settings settings = load(defaultsResource, null);
        settings.values.putAll(overrides);
        return settings;
    }

    public String text(String key) {
        String value = values.getProperty(key);
        if (value == null || value.isBlank()) {
            throw invalid(key, value, "a value");
        }
        return value.trim();
    }

    public String text(String key, String fallback) {
        String value = values.getProperty(key);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    public Path path(String key) {
        return Path.of(text(key));
    }

    public long number(String key, long min, long max) {
        String value = text(key);
        try {
            long number = Long.parseLong(value);
            if (number < min || number > max) {
                throw invalid(key, value, "a whole number from " + min + " to " + max);
            }
            return number;
        } catch (NumberFormatException e) {
            throw invalid(key, value, "a whole number from " + min + " to " + max);
        }
    }

    public int integer(String key, int min, int max) {
        return (int) number(key, min, max);
    }

    public boolean flag(String key) {
        String value = text(key);
        if (!value.equals("true") && !value.equals("false")) {
            throw invalid(key, value, "true or false");
        }
        return Boolean.parseBoolean(value);
    }

    /** Comma-separated values with blanks removed. */
    public List<String> list(String key) {
        List<String> items = new ArrayList<>();
        for (String item : text(key, "").split(",")) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return items;
    }

    /**
     * Returns the keys that start with {@code prefix}, sorted, for settings that name a municipality in their key, such
     * as {@code agent.central-url.131016}. Only keys in the defaults or the file count; a JVM system property overrides
     * such a key but does not add one.
     */
    public List<String> keysStartingWith(String prefix) {
        return values.stringPropertyNames().stream().filter(key -> key.startsWith(prefix)).sorted().toList();
    }

    public String source() {
        return source;
    }

    /**
     * Rejects a key under {@code prefix} that the defaults do not contain and that starts with none of
     * {@code patternPrefixes}, such as {@code agent.central-url.} for keys that end in a municipality code. A misspelled
     * key would otherwise be ignored, and the program would run on the default its writer meant to change.
     */
    public void requireKnownKeys(String prefix, List<String> patternPrefixes) {
        List<String> unknown = values.stringPropertyNames().stream()
                .filter(key -> key.startsWith(prefix) && !defaultKeys.contains(key))
                .filter(key -> patternPrefixes.stream().noneMatch(key::startsWith))
                .sorted().toList();
        if (unknown.isEmpty()) {
            return;
        }
        String key = unknown.get(0);
        String closest = defaultKeys.stream().filter(known -> known.startsWith(prefix))
                .min(java.util.Comparator.comparingInt(known -> editDistance(known, key))).orElse(null);
        String origin = fromSystemProperties.contains(key) ? "the JVM system property -D" + key : source;
        throw new IllegalArgumentException("setting " + key + " in " + origin + " is unknown"
                + (unknown.size() > 1 ? " (and " + (unknown.size() - 1) + " more: " + String.join(", ",
                        unknown.subList(1, unknown.size())) + ")" : "")
                + (closest == null ? "" : "; did you mean " + closest + "?") + " Correct or remove it.");
    }

    /** Returns the Levenshtein distance between two keys. */
    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /**
     * Returns every setting in effect, defaults included, by key in sorted order: the values as configured, untrimmed.
     */
    public java.util.SortedMap<String, String> effectiveValues() {
        java.util.SortedMap<String, String> effective = new java.util.TreeMap<>();
        for (String key : values.stringPropertyNames()) {
            effective.put(key, values.getProperty(key));
        }
        return effective;
    }

    /** Creates the exception for a setting that has the wrong form. */
    public IllegalArgumentException invalid(String key, String value, String expected) {
        String origin = fromSystemProperties.contains(key) ? "the JVM system property -D" + key : source;
        return new IllegalArgumentException("setting " + key + "=" + (value == null ? "(missing)" : value)
                + " in " + origin + " is invalid; expected " + expected);
    }
}
