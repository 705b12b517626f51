package jp.kouiki.window.central.operator;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.files.AtomicFiles;

/**
 * The operator accounts file: one line per person, {@code name:role:hash}, with role {@code viewer} or {@code actor}
 * and a {@link PasswordHash}; {@code #} starts a comment. The file is read again whenever its modification time
 * changes, so an account added, changed or removed applies from the next sign-in.
 */
public final class OperatorAccounts {

    /** One operator: name, role and password hash. */
    public record Account(String name, OperatorRole role, String passwordHash) {
    }

    /** Account names: letters, digits, dot, underscore, at sign and hyphen, 1 to 64 characters. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,64}");

    private static final Logger LOG = LoggerFactory.getLogger(OperatorAccounts.class);

    private final Path file;
    private FileState loadedModified;
    private Map<String, Account> accounts = Map.of();

    public OperatorAccounts(Path file) {
        this.file = file;
    }

    /** Returns the account of that name, or null; the file is read again first when it has changed. */
    public synchronized Account find(String name) {
        reloadIfChanged();
        return accounts.get(name);
    }

    /** Returns how many accounts the file contains now. */
    public synchronized int size() {
        reloadIfChanged();
        return accounts.size();
    }

    /**
     * The state of the accounts file by which a change is detected. The time alone is not enough, because two writes
     * within one tick of the file system's clock leave the same time, while the atomic rewrite gives a new file key.
     */
    private record FileState(FileTime modified, long size, Object key) {
    }

    private void reloadIfChanged() {
        FileState modified;
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            modified = new FileState(attributes.lastModifiedTime(), attributes.size(), attributes.fileKey());
        } catch (NoSuchFileException e) {
            if (loadedModified != null || accounts.isEmpty()) {
                accounts = Map.of();
                loadedModified = null;
            }
            return;
        } catch (IOException e) {
            LOG.warn("Operator accounts file could not be read, the accounts read before stay in use: file={}"
                    + " error={}", file, e.toString());
            return;
        }
        if (modified.equals(loadedModified)) {
            return;
        }
        try {
            accounts = parse(Files.readAllLines(file, StandardCharsets.UTF_8));
            loadedModified = modified;
            LOG.info("Operator accounts loaded: file={} accounts={}", file, accounts.size());
        } catch (IOException | IllegalArgumentException e) {
            LOG.error("Operator accounts file is invalid, the accounts read before stay in use: file={} error={}",
                    file, e.getMessage());
            loadedModified = modified;
        }
    }

    /** Parses the lines of an accounts file; throws with the line number when one is invalid. */
    static Map<String, Account> parse(List<String> lines) {
        Map<String, Account> parsed = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split(":", 3);
            try {
                if (fields.length != 3 || !NAME.matcher(fields[0]).matches()) {
                    throw new IllegalArgumentException("expected name:role:hash with a name of letters, digits and"
                            + " ._@- only");
                }
                PasswordHash.requireValid(fields[2]);
                if (parsed.put(fields[0], new Account(fields[0], OperatorRole.parse(fields[1]), fields[2])) != null) {
                    throw new IllegalArgumentException("account " + fields[0] + " appears twice");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return Map.copyOf(parsed);
    }

    /**
     * Adds an account or replaces the role and password of an existing one, writing the file atomically and readable
     * by its owner only.
     */
    public static void put(Path file, String name, OperatorRole role, char[] password) throws IOException {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("account name '" + name + "' is invalid; use 1 to 64 letters, digits"
                    + " and ._@-");
        }
        List<String> lines = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : new ArrayList<>();
        parse(lines);
        List<String> kept = new ArrayList<>();
        if (lines.isEmpty()) {
            kept.add("# Operator accounts of the central window server: name:role:password hash, role viewer or actor.");
        }
        for (String line : lines) {
            if (!line.startsWith(name + ":")) {
                kept.add(line);
            }
        }
        kept.add(name + ":" + role.label() + ":" + PasswordHash.create(password));
        if (file.getParent() != null) {
            AtomicFiles.createDirectories(file.getParent());
        }
        AtomicFiles.writeOwnerOnlyAtomically(file, (String.join("\n", kept) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Returns what makes the accounts file invalid, with its line number, or null when the server can read it. */
    public static String problem(Path file) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        try {
            parse(Files.readAllLines(file, StandardCharsets.UTF_8));
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** Removes an account; returns false when there was none of that name. */
    public static boolean remove(Path file, String name) throws IOException {
        if (!Files.exists(file)) {
            return false;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> kept = lines.stream().filter(line -> !line.startsWith(name + ":")).toList();
        if (kept.size() == lines.size()) {
            return false;
        }
        AtomicFiles.writeOwnerOnlyAtomically(file, (String.join("\n", kept) + "\n").getBytes(StandardCharsets.UTF_8));
        return true;
    }
}
