package jp.kouiki.window.security;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Provider;
import java.security.PublicKey;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * The signing public keys that a receiver accepts for each municipality, found by key id: the current
 * {@code signing-public.pem} and any {@code signing-public-<keyId>.pem} kept beside it while keys rotate. A key id that
 * is not known yet makes the ring read the municipality's folder again, at most once a second, so that a newly
 * installed key works without a restart.
 */
public final class SigningKeyRing {

    private static final Logger LOG = LoggerFactory.getLogger(SigningKeyRing.class);
    private static final long RESCAN_INTERVAL_NANOS = 1_000_000_000L;

    /** The keys of one municipality by key id, the id of its current key and when its folder was last read. */
    private record Keys(Map<String, PublicKey> byId, String currentId, long readAtNanos) {
    }

    private final KeyMaterialLayout layout;
    private final Provider provider;
    private final Map<MunicipalityCode, Keys> keys = new ConcurrentHashMap<>();

    public SigningKeyRing(KeyMaterialLayout layout) {
        this(layout, null);
    }

    /**
     * Creates a ring whose keys are converted once, when read, into keys of the provider that checks the signatures.
     * Bouncy Castle otherwise converts a JDK key at every check, and computes again the multiples of the key's point
     * that it keeps with a key of its own.
     *
     * @param provider the provider that verifies with these keys, or null to keep the keys the JDK reads
     */
    public SigningKeyRing(KeyMaterialLayout layout, Provider provider) {
        this.layout = layout;
        this.provider = provider;
    }

    /** Reads a municipality's keys now; fails when its current public key is missing or unreadable. */
    public void require(MunicipalityCode code) throws IOException {
        keys.put(code, read(code));
    }

    /**
     * Returns the public key with the given id, or the current key when the id is null. Returns null when the
     * municipality has no such key installed.
     */
    public PublicKey find(MunicipalityCode code, String keyId) throws IOException {
        Keys known = keys.get(code);
        if (known == null) {
            known = read(code);
            keys.put(code, known);
        }
        PublicKey key = keyId == null ? known.byId().get(known.currentId()) : known.byId().get(keyId);
        if (key != null || System.nanoTime() - known.readAtNanos() < RESCAN_INTERVAL_NANOS) {
            return key;
        }
        Keys reread = read(code);
        keys.put(code, reread);
        if (reread.byId().size() != known.byId().size() || !reread.currentId().equals(known.currentId())) {
            LOG.info("Signing keys reloaded: municipality={} keyIds={} current={}", code, reread.byId().keySet(),
                    reread.currentId());
        }
        return keyId == null ? reread.byId().get(reread.currentId()) : reread.byId().get(keyId);
    }

    private Keys read(MunicipalityCode code) throws IOException {
        Path current = layout.signingPublicKey(code);
        PublicKey currentKey = SigningKeys.readPublicKey(current);
        Map<String, PublicKey> byId = new ConcurrentHashMap<>();
        String currentId = SigningKeys.keyId(currentKey);
        byId.put(currentId, forProvider(currentKey));
        try (DirectoryStream<Path> files = Files.newDirectoryStream(current.getParent(), "signing-public-*.pem")) {
            for (Path file : files) {
                try {
                    PublicKey key = SigningKeys.readPublicKey(file);
                    byId.put(SigningKeys.keyId(key), forProvider(key));
                } catch (IOException e) {
                    LOG.warn("Signing public key file skipped: municipality={} file={} error={}", code, file,
                            e.getMessage());
                }
            }
        }
        return new Keys(Map.copyOf(byId), currentId, System.nanoTime());
    }

    private PublicKey forProvider(PublicKey key) throws IOException {
        if (provider == null) {
            return key;
        }
        try {
            return (PublicKey) KeyFactory.getInstance(key.getAlgorithm(), provider).translateKey(key);
        } catch (GeneralSecurityException e) {
            throw new IOException("public key of algorithm " + key.getAlgorithm() + " cannot be used with provider "
                    + provider.getName() + ": " + e.getMessage(), e);
        }
    }
}
