package jp.kouiki.window.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.SigningKeys;

/**
 * Each municipality's signing private key and its key id, read again when the key file changes, so that a rotated
 * key signs from the next file on without a restart. Files already queued keep the signature of the key they were
 * picked up with, and their manifests name that key.
 */
final class ManifestSigner {

    /** A private key and the id of its public half. */
    record SigningKey(PrivateKey privateKey, String keyId, FileTime modified) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(ManifestSigner.class);

    private final KeyMaterialLayout layout;
    private final Map<MunicipalityCode, SigningKey> keys = new ConcurrentHashMap<>();

    ManifestSigner(KeyMaterialLayout layout) {
        this.layout = layout;
    }

    /** Returns the municipality's current signing key, reading its file again when it has changed. */
    SigningKey current(MunicipalityCode code) throws IOException {
        Path file = layout.signingPrivateKey(code);
        FileTime modified = Files.getLastModifiedTime(file);
        SigningKey known = keys.get(code);
        if (known != null && known.modified().equals(modified)) {
            return known;
        }
        PrivateKey privateKey = SigningKeys.readPrivateKey(file);
        String keyId;
        try {
            keyId = SigningKeys.keyId(SigningKeys.publicKeyOf(privateKey));
        } catch (GeneralSecurityException e) {
            throw new IOException("signing key " + file + " of municipality " + code + " is not an EC P-256 key: "
                    + e.getMessage(), e);
        }
        SigningKey loaded = new SigningKey(privateKey, keyId, modified);
        keys.put(code, loaded);
        if (known != null && !known.keyId().equals(keyId)) {
            LOG.info("Signing key changed: municipality={} from={} to={}", code, known.keyId(), keyId);
        }
        return loaded;
    }
}
