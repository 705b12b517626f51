package jp.kouiki.window.crypto;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeyStatus;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig;

import jp.kouiki.window.files.AtomicFiles;

/**
 * Rotates, retires and destroys a municipality's encryption keyset file. A Tink streaming keyset encrypts with its
 * primary key and decrypts with any enabled key, so a file queued under an old key stays readable as long as that key
 * remains in the keyset.
 *
 * <p>Procedure, with the central server's copy first so that it can always read what agents send: add a new key to
 * the central server's keyset ({@link #addKey} with {@code makePrimary=false}); then add the same key to the agent's
 * copy and make it primary, or copy the central keyset after {@link #promote}; once every queue holding files of the
 * municipality is empty, remove the old keys on both sides ({@link #retireNonPrimary}). The agent and the central
 * server read a changed keyset file without a restart.
 */
public final class KeysetRotation {

    /** A key of a keyset, as operators see it. */
    public record KeyInfo(int keyId, boolean primary, String status) {
    }

    static {
        try {
            StreamingAeadConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private KeysetRotation() {
    }

    /** Lists the keys of a keyset file. */
    public static List<KeyInfo> list(Path keyset) throws IOException, GeneralSecurityException {
        KeysetHandle handle = read(keyset);
        List<KeyInfo> keys = new ArrayList<>();
        for (int i = 0; i < handle.size(); i++) {
            KeysetHandle.Entry entry = handle.getAt(i);
            keys.add(new KeyInfo(entry.getId(), entry.isPrimary(), entry.getStatus().toString()));
        }
        return keys;
    }

    /**
     * Adds a new AES-256-GCM-HKDF streaming key; returns its key id.
     *
     * @param makePrimary whether new files are encrypted with it from now on
     */
    public static int addKey(Path keyset, boolean makePrimary) throws IOException, GeneralSecurityException {
        KeysetHandle.Builder builder = KeysetHandle.newBuilder(read(keyset));
        KeysetHandle.Builder.Entry entry = KeysetHandle.generateEntryFromParameters(PayloadCipher.newKeyParameters())
                .withRandomId();
        if (makePrimary) {
            entry.makePrimary();
        }
        builder.addEntry(entry);
        KeysetHandle updated = builder.build();
        write(keyset, updated);
        return updated.getAt(updated.size() - 1).getId();
    }

    /** Makes an existing key the primary one. */
    public static void promote(Path keyset, int keyId) throws IOException, GeneralSecurityException {
        KeysetHandle handle = read(keyset);
        KeysetHandle.Builder builder = KeysetHandle.newBuilder(handle);
        builder.getAt(indexOf(handle, keyId)).makePrimary();
        write(keyset, builder.build());
    }

    /** Removes every key but the primary; returns how many were removed. */
    public static int retireNonPrimary(Path keyset) throws IOException, GeneralSecurityException {
        KeysetHandle.Builder builder = KeysetHandle.newBuilder(read(keyset));
        int removed = 0;
        for (int i = builder.size() - 1; i >= 0; i--) {
            if (!builder.getAt(i).isPrimary()) {
                builder.deleteAt(i);
                removed++;
            }
        }
        write(keyset, builder.build());
        return removed;
    }

    /**
     * Destroys a keyset file for a municipality that leaves: overwrites its bytes with zeros, forces them to disk and
     * deletes it. Whatever of its data remains in queues or backups can no longer be decrypted. Copies of the file
     * elsewhere (the other side, backups) must be destroyed the same way.
     */
    public static void destroy(Path keyset) throws IOException {
        long size = Files.size(keyset);
        try (FileChannel channel = FileChannel.open(keyset, StandardOpenOption.WRITE);
                OutputStream out = java.nio.channels.Channels.newOutputStream(channel)) {
            byte[] zeros = new byte[8192];
            for (long written = 0; written < size; written += zeros.length) {
                out.write(zeros, 0, (int) Math.min(zeros.length, size - written));
            }
            out.flush();
            channel.force(true);
        }
        Files.delete(keyset);
        AtomicFiles.fsyncDirectory(keyset.toAbsolutePath().getParent());
    }

    private static int indexOf(KeysetHandle handle, int keyId) {
        for (int i = 0; i < handle.size(); i++) {
            if (handle.getAt(i).getId() == keyId && handle.getAt(i).getStatus() == KeyStatus.ENABLED) {
                return i;
            }
        }
        throw new IllegalArgumentException("key id " + keyId + " is not an enabled key of this keyset; list the keys"
                + " to see their ids");
    }

    static KeysetHandle read(Path keyset) throws IOException, GeneralSecurityException {
        return TinkJsonProtoKeysetFormat.parseKeyset(Files.readString(keyset, StandardCharsets.UTF_8),
                InsecureSecretKeyAccess.get());
    }

    private static void write(Path keyset, KeysetHandle handle) throws IOException, GeneralSecurityException {
        String json = TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get());
        AtomicFiles.writeOwnerOnlyAtomically(keyset, json.getBytes(StandardCharsets.UTF_8));
    }
}
