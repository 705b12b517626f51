package jp.kouiki.window.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

import jp.kouiki.window.security.TlsMaterial;

/**
 * Checks of the files and folders that settings name, for {@code --check-config}. Each failure is an
 * IllegalArgumentException that names the setting, the path and what to do.
 */
public final class ConfigurationCheck {

    private ConfigurationCheck() {
    }

    /** Requires a readable regular file below the folder that the setting {@code key} names. */
    public static void requireFile(String key, Path configured, Path file, String description) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("setting " + key + "=" + configured + ": " + description + " " + file
                    + " is missing or unreadable; put it there (with read access for this service's user) or correct "
                    + key);
        }
    }

    /** Requires a PKCS#12 store and its password file below the folder that {@code key} names, and opens the store. */
    public static void requireKeystore(String key, Path configured, Path store, String description) {
        requireFile(key, configured, store, description);
        try {
            TlsMaterial.loadPkcs12(store);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("setting " + key + "=" + configured + ": " + description + " " + store
                    + " cannot be opened with the password in its .password file beside it (" + e.getMessage()
                    + "); copy the store and its password file again from where they were issued", e);
        }
    }

    /**
     * Requires that the folder the setting names exists and is writable, or can be created because its nearest existing
     * parent is writable.
     */
    public static void requireWritableFolder(String key, Path folder) {
        Path existing = folder.toAbsolutePath();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
            throw new IllegalArgumentException("setting " + key + "=" + folder + ": "
                    + (existing == null ? "no parent folder exists" : existing + " is not a writable folder")
                    + "; create the folder and give this service's user write access, or correct " + key);
        }
    }
}
