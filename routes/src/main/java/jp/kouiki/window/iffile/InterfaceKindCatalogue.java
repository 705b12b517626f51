package jp.kouiki.window.iffile;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jp.kouiki.window.config.Settings;

/**
 * The IF kinds that the agent and the central server check, read from a properties file of {@code kind.<ID>.<key>}
 * entries (UTF-8). A file replaces the built-in catalogue as a whole. Kinds missing from the catalogue pass unchecked
 * and unchanged. The format is described in docs/interface-files.md.
 */
public final class InterfaceKindCatalogue {

    /** Classpath location of the built-in catalogue: POSTAL (Japan Post CSV) and SHOTOKU (fixed-length 500 bytes). */
    public static final String BUILT_IN = "/jp/kouiki/window/iffile/interface-kinds.properties";

    private static final Pattern KIND_KEY = Pattern.compile("kind\\.([^.]+)\\.(.+)");
    private static final Pattern KIND_ID = Pattern.compile("[A-Z0-9]+");

    private final Map<String, InterfaceKind> kinds;
    private final String source;
    private final String digest;

    private InterfaceKindCatalogue(Map<String, InterfaceKind> kinds, String source, String digest) {
        this.kinds = Collections.unmodifiableMap(kinds);
        this.source = source;
        this.digest = digest;
    }

    /** Loads the built-in catalogue. */
    public static InterfaceKindCatalogue builtIn() {
        try (InputStream in = InterfaceKindCatalogue.class.getResourceAsStream(BUILT_IN)) {
            if (in == null) {
                throw new IllegalStateException("built-in interface kind catalogue " + BUILT_IN
                        + " is missing from the classpath");
            }
            return read(new InputStreamReader(in, StandardCharsets.UTF_8), "built-in " + BUILT_IN);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read built-in interface kind catalogue " + BUILT_IN, e);
        }
    }

    /** Loads a catalogue file, failing with a message that names the wrong key and the fix. */
    public static InterfaceKindCatalogue load(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(reader, file.toString());
        }
    }

    /**
     * Loads the catalogue a setting names, or the built-in one when the setting is empty. A missing or invalid file
     * stops start-up with the setting's key and the catalogue key at fault.
     */
    public static InterfaceKindCatalogue fromSetting(Settings settings, String key) {
        String file = settings.text(key, "");
        if (file.isEmpty()) {
            return builtIn();
        }
        try {
            return load(Path.of(file));
        } catch (IOException e) {
            throw settings.invalid(key, file, "a readable interface kind catalogue file, or no value for the"
                    + " built-in catalogue (" + e + ")");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("setting " + key + "=" + file + ": " + e.getMessage(), e);
        }
    }

    static InterfaceKindCatalogue read(Reader reader, String source) throws IOException {
        Properties properties = new Properties();
        properties.load(reader);
        Map<String, InterfaceKind> kinds = new LinkedHashMap<>();
        for (String id : kindIds(properties, source)) {
            kinds.put(id, new InterfaceKindReader(properties, source, id).read());
        }
        return new InterfaceKindCatalogue(kinds, source, digest(properties));
    }

    private static TreeSet<String> kindIds(Properties properties, String source) {
        TreeSet<String> ids = new TreeSet<>();
        for (String key : properties.stringPropertyNames()) {
            Matcher matcher = KIND_KEY.matcher(key);
            if (!matcher.matches()) {
                throw new IllegalArgumentException("interface kind catalogue " + source + ": key " + key
                        + " is not of the form kind.<ID>.<setting>, such as kind.SHOTOKU.format; remove or rename it");
            }
            String id = matcher.group(1);
            if (!KIND_ID.matcher(id).matches()) {
                throw new IllegalArgumentException("interface kind catalogue " + source + ": key " + key
                        + " has the kind id '" + id + "'; write kind ids in capital letters and digits only, as they"
                        + " appear in file names, such as SHOTOKU");
            }
            ids.add(id);
        }
        return ids;
    }

    /** Computes a SHA-256 of the catalogue's entries in key order, so that nodes can show they use one catalogue. */
    private static String digest(Properties properties) {
        StringBuilder canonical = new StringBuilder();
        for (String key : new TreeSet<>(properties.stringPropertyNames())) {
            canonical.append(key).append('=').append(properties.getProperty(key).strip()).append('\n');
        }
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha256.digest(canonical.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Returns the kind with this id (as {@link InterfaceFileName} gives it, in capitals). */
    public Optional<InterfaceKind> find(String id) {
        return Optional.ofNullable(kinds.get(id));
    }

    public Map<String, InterfaceKind> kinds() {
        return kinds;
    }

    /** Returns where the catalogue came from: a file path or the built-in resource. */
    public String source() {
        return source;
    }

    /** SHA-256 of the catalogue's entries, 64 hexadecimal digits. */
    public String digest() {
        return digest;
    }

    @Override
    public String toString() {
        return "source=" + source + " kinds=" + String.join(",", kinds.keySet()) + " sha256=" + digest;
    }
}
