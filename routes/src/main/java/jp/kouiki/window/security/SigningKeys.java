package jp.kouiki.window.security;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.HexFormat;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * Reads the PEM key files of {@link KeyMaterialLayout} and derives key ids. Keys come back as JDK key objects, so
 * they work with the JDK's default {@code Signature} providers.
 */
public final class SigningKeys {

    /** Number of hex digits of the SHA-256 digest that {@link #keyId(PublicKey)} keeps. */
    public static final int KEY_ID_LENGTH = 16;

    private SigningKeys() {
    }

    /**
     * Reads an unencrypted private key from a PEM file: PKCS#8 ("PRIVATE KEY"), or the traditional OpenSSL form
     * ("EC PRIVATE KEY") as written by {@code openssl ecparam -genkey}.
     */
    public static PrivateKey readPrivateKey(Path pem) throws IOException {
        Object object = readPemObject(pem);
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        if (object instanceof PrivateKeyInfo info) {
            return converter.getPrivateKey(info);
        }
        if (object instanceof PEMKeyPair pair) {
            return converter.getPrivateKey(pair.getPrivateKeyInfo());
        }
        throw new IOException("PEM file " + pem + " contains " + describe(object)
                + " where an unencrypted private key (BEGIN PRIVATE KEY) is expected");
    }

    /** Reads a public key from a PEM file in SubjectPublicKeyInfo form ("PUBLIC KEY"). */
    public static PublicKey readPublicKey(Path pem) throws IOException {
        Object object = readPemObject(pem);
        if (object instanceof SubjectPublicKeyInfo info) {
            return new JcaPEMKeyConverter().getPublicKey(info);
        }
        throw new IOException("PEM file " + pem + " contains " + describe(object)
                + " where a public key (BEGIN PUBLIC KEY) is expected");
    }

    /** Computes the public half of an EC P-256 private key, so that a signer knows its key id from its private key. */
    public static PublicKey publicKeyOf(PrivateKey privateKey) throws GeneralSecurityException {
        return DevCredentialGenerator.derivePublicKey(privateKey);
    }

    /**
     * Returns a short id for a public key: the first {@value #KEY_ID_LENGTH} lowercase hex digits of the SHA-256
     * digest of its encoded (SubjectPublicKeyInfo) form.
     */
    public static String keyId(PublicKey publicKey) {
        byte[] encoded = publicKey.getEncoded();
        if (encoded == null) {
            throw new IllegalArgumentException("public key of algorithm " + publicKey.getAlgorithm()
                    + " has no encoded form, so no key id can be computed");
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(encoded);
            return HexFormat.of().formatHex(digest).substring(0, KEY_ID_LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
    }

    private static Object readPemObject(Path pem) throws IOException {
        Object object;
        // PEM is ASCII. ISO-8859-1 maps every byte, so a stray non-ASCII byte reaches the PEM parser's own check.
        try (Reader reader = Files.newBufferedReader(pem, StandardCharsets.ISO_8859_1);
             PEMParser parser = new PEMParser(reader)) {
            object = parser.readObject();
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(pem.toString(), null,
                    "key file is missing; create the development keys with the dev-credentials command");
        }
        if (object == null) {
            throw new IOException("PEM file " + pem + " contains no PEM block; expected a line such as "
                    + "-----BEGIN PRIVATE KEY-----");
        }
        return object;
    }

    private static String describe(Object object) {
        return object.getClass().getSimpleName();
    }
}
