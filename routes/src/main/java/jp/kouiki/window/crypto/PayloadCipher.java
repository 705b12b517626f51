package jp.kouiki.window.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.StreamingAead;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.streamingaead.AesGcmHkdfStreamingParameters;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Encrypts and decrypts interface files with each municipality's own Tink keyset, using segmented streaming AEAD
 * (AES-256-GCM-HKDF) so that no side ever keeps a whole file in memory. The direction, the municipality code and the
 * file id are the associated data: a ciphertext moved to another municipality, presented under another file id or
 * replayed in the other direction fails to decrypt.
 */
public final class PayloadCipher {

    static {
        try {
            StreamingAeadConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Ciphertext segment size of new keys. Tink's streams hold one plaintext and one ciphertext segment each, so 1 MiB
     * segments cost 2 MiB of heap per file in flight, allocated outside the young generation, even for a 4 KiB file.
     * Keys made before with 1 MiB segments still decrypt and encrypt.
     */
    public static final int SEGMENT_BYTES = 64 * 1024;

    /** The smallest segment {@link #maxCiphertextBytes} allows for: that of Tink's AES256_GCM_HKDF_4KB template. */
    static final int MIN_SEGMENT_BYTES = 4096;
    /** An upper bound of Tink's stream header: a length byte, a salt of at most 32 bytes and a 7-byte nonce prefix. */
    private static final int HEADER_BYTES = 64;
    private static final int TAG_BYTES = 16;

    private final Function<MunicipalityCode, Path> keysetLocation;
    private final Map<MunicipalityCode, Loaded> primitives = new ConcurrentHashMap<>();

    /** A keyset's primitive and the file state it was read from, to notice a rotated keyset. */
    private record Loaded(StreamingAead primitive, FileTime modified, long size) {
    }

    /**
     * @param keysetLocation where each municipality's keyset file is, such as
     *                       {@code KeyMaterialLayout::encryptionKeyset}
     */
    public PayloadCipher(Function<MunicipalityCode, Path> keysetLocation) {
        this.keysetLocation = keysetLocation;
        CipherWarmUp.startOnce();
    }

    /** Returns the parameters of a new key: AES-256-GCM with HKDF-SHA256 key derivation and 64 KiB segments. */
    public static AesGcmHkdfStreamingParameters newKeyParameters() throws GeneralSecurityException {
        return AesGcmHkdfStreamingParameters.builder()
                .setKeySizeBytes(32)
                .setDerivedAesGcmKeySizeBytes(32)
                .setHkdfHashType(AesGcmHkdfStreamingParameters.HashType.SHA256)
                .setCiphertextSegmentSizeBytes(SEGMENT_BYTES)
                .build();
    }

    /**
     * Returns an upper bound of the ciphertext size of a plaintext of the size given, under a key of any segment size
     * from 4 KiB up. It adds the header and one tag per segment, with a spare segment because the header shortens the
     * first one and the last one may be empty.
     */
    public static long maxCiphertextBytes(long plaintextBytes) {
        long segments = plaintextBytes / (MIN_SEGMENT_BYTES - HEADER_BYTES - TAG_BYTES) + 2;
        return plaintextBytes + HEADER_BYTES + TAG_BYTES * segments;
    }

    /** Returns a lower bound of the ciphertext size of a plaintext of the size given: the plaintext and one tag. */
    public static long minCiphertextBytes(long plaintextBytes) {
        return plaintextBytes + TAG_BYTES;
    }

    /** The way a file travels; part of the associated data, so that a ciphertext only decrypts in its own direction. */
    public enum Direction {
        /** From a municipality to the union. */
        UPLOAD,
        /** From the union to a municipality. */
        DOWNLOAD
    }

    /** Wraps a stream so that plaintext written to it reaches {@code ciphertext} encrypted for an upload. */
    public OutputStream encryptingStream(OutputStream ciphertext, MunicipalityCode code, String fileId)
            throws IOException {
        return encryptingStream(ciphertext, code, fileId, Direction.UPLOAD);
    }

    /** Wraps a stream so that plaintext written to it reaches {@code ciphertext} encrypted for the direction given. */
    public OutputStream encryptingStream(OutputStream ciphertext, MunicipalityCode code, String fileId,
            Direction direction) throws IOException {
        try {
            return primitive(code).newEncryptingStream(ciphertext, associatedData(direction, code, fileId));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot start encryption for municipality " + code + ": " + e.getMessage(), e);
        }
    }

    /** Returns a stream of the upload ciphertext of {@code plaintext}, produced as it is read. */
    public InputStream encryptedView(InputStream plaintext, MunicipalityCode code, String fileId) throws IOException {
        return encryptedView(plaintext, code, fileId, Direction.UPLOAD);
    }

    /** Returns a stream of the ciphertext of {@code plaintext} for the direction given, produced as it is read. */
    public InputStream encryptedView(InputStream plaintext, MunicipalityCode code, String fileId, Direction direction)
            throws IOException {
        return new EncryptingInputStream(plaintext, sink -> encryptingStream(sink, code, fileId, direction));
    }

    /**
     * Wraps a ciphertext stream so that reading yields plaintext. A tampered, truncated or misplaced ciphertext
     * makes a read fail with an IOException; nothing unauthenticated is returned.
     */
    public InputStream decryptingStream(InputStream ciphertext, MunicipalityCode code, String fileId)
            throws IOException {
        return decryptingStream(ciphertext, code, fileId, Direction.UPLOAD);
    }

    /** Wraps a ciphertext stream of the direction given so that reading yields plaintext, as above. */
    public InputStream decryptingStream(InputStream ciphertext, MunicipalityCode code, String fileId,
            Direction direction) throws IOException {
        try {
            return primitive(code).newDecryptingStream(ciphertext, associatedData(direction, code, fileId));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot start decryption for municipality " + code + ": " + e.getMessage(), e);
        }
    }

    /**
     * Loads a municipality's keyset now, so that a missing or damaged keyset stops start-up instead of failing each
     * file later.
     */
    public void requireKeyset(MunicipalityCode code) throws IOException {
        try {
            primitive(code);
        } catch (GeneralSecurityException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    /**
     * Returns the associated data. Uploads keep the form they had before downloads existed, so that files queued by an
     * older version still decrypt. A download adds its direction. Because the code is six digits and the file id hex,
     * the two forms can never be equal.
     */
    static byte[] associatedData(Direction direction, MunicipalityCode code, String fileId) {
        String prefix = direction == Direction.UPLOAD ? "window-transfer/v1|" : "window-transfer/v1|download|";
        return (prefix + code + "|" + fileId).getBytes(StandardCharsets.US_ASCII);
    }

    /** Returns the municipality's primitive, reading the keyset file again when it has changed since last read. */
    private StreamingAead primitive(MunicipalityCode code) throws GeneralSecurityException {
        Path file = keysetLocation.apply(code);
        FileTime modified;
        long size;
        try {
            modified = Files.getLastModifiedTime(file);
            size = Files.size(file);
        } catch (IOException e) {
            primitives.remove(code);
            throw new GeneralSecurityException("encryption keyset of municipality " + code + " is missing at " + file
                    + "; create it with the dev-credentials command or install the union's keyset", e);
        }
        Loaded cached = primitives.get(code);
        if (cached != null && cached.modified().equals(modified) && cached.size() == size) {
            return cached.primitive();
        }
        StreamingAead loaded = load(code);
        primitives.put(code, new Loaded(loaded, modified, size));
        return loaded;
    }

    private StreamingAead load(MunicipalityCode code) throws GeneralSecurityException {
        Path file = keysetLocation.apply(code);
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GeneralSecurityException("encryption keyset of municipality " + code + " cannot be read from "
                    + file + " (" + e + "); create it with the dev-credentials command or install the union's keyset", e);
        }
        KeysetHandle handle = TinkJsonProtoKeysetFormat.parseKeyset(json, InsecureSecretKeyAccess.get());
        return handle.getPrimitive(StreamingAead.class);
    }
}
