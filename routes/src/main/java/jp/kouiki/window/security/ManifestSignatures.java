package jp.kouiki.window.security;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;

/**
 * Signs and verifies manifest bytes with SHA256withECDSA, base64 encoded: the same algorithm and form as the
 * camel-crypto {@code crypto:sign} and {@code crypto:verify} endpoints that sign uploads, for code that signs several
 * manifests in one step, such as a file the union sends to every municipality.
 */
public final class ManifestSignatures {

    public static final String ALGORITHM = "SHA256withECDSA";

    private ManifestSignatures() {
    }

    /** Returns the base64 signature of {@code manifest}. */
    public static String sign(byte[] manifest, PrivateKey key) throws GeneralSecurityException {
        Signature signature = Signature.getInstance(ALGORITHM);
        signature.initSign(key);
        signature.update(manifest);
        return Base64.getEncoder().encodeToString(signature.sign());
    }

    /** Returns whether {@code base64Signature} is a valid signature of {@code manifest} by the key's owner. */
    public static boolean verify(byte[] manifest, String base64Signature, PublicKey key) {
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initVerify(key);
            signature.update(manifest);
            return signature.verify(Base64.getDecoder().decode(base64Signature));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }
}
