package jp.kouiki.window.central.operator;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.spec.InvalidKeySpecException;
import java.util.Base64;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * PBKDF2-HMAC-SHA256 password hashes from the JDK, written as {@code pbkdf2-sha256$iterations$salt$hash} with base64
 * salt (16 bytes) and hash (32 bytes). New hashes use {@value #ITERATIONS} iterations, the count OWASP's password
 * storage cheat sheet gave for PBKDF2-HMAC-SHA256 in 2021 (its 2023 edition recommends 600,000, which took about a
 * second per sign-in on a loaded two-core test machine); a stored hash with fewer than {@value #MIN_ITERATIONS} is
 * rejected as too weak.
 */
public final class PasswordHash {

    public static final int ITERATIONS = 310_000;
    /** Minimum number of iterations of a stored hash. */
    public static final int MIN_ITERATIONS = 210_000;
    /** Minimum length of a new password, in characters. */
    public static final int MIN_PASSWORD_LENGTH = 12;

    private static final String SCHEME = "pbkdf2-sha256";
    private static final int SALT_BYTES = 16;
    private static final int HASH_BITS = 256;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** A hash of no real password, verified when the account is unknown so that the response takes as long. */
    private static final String DECOY = create("decoy password that nobody uses".toCharArray(), ITERATIONS);

    private PasswordHash() {
    }

    /** Hashes a new password with a fresh salt. */
    public static String create(char[] password) {
        if (password.length < MIN_PASSWORD_LENGTH) {
            throw new IllegalArgumentException("password has " + password.length + " characters; use at least "
                    + MIN_PASSWORD_LENGTH);
        }
        return create(password, ITERATIONS);
    }

    private static String create(char[] password, int iterations) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        return SCHEME + "$" + iterations + "$" + Base64.getEncoder().encodeToString(salt) + "$"
                + Base64.getEncoder().encodeToString(derive(password, salt, iterations));
    }

    /** Checks the form of a stored hash; throws with the reason when it is unusable. */
    public static void requireValid(String stored) {
        String[] parts = stored.split("\\$");
        if (parts.length != 4 || !parts[0].equals(SCHEME)) {
            throw new IllegalArgumentException("password hash is not of the form " + SCHEME
                    + "$iterations$salt$hash");
        }
        int iterations;
        try {
            iterations = Integer.parseInt(parts[1]);
            Base64.getDecoder().decode(parts[2]);
            Base64.getDecoder().decode(parts[3]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("password hash has an invalid iteration count or base64 field", e);
        }
        if (iterations < MIN_ITERATIONS) {
            throw new IllegalArgumentException("password hash has " + iterations + " iterations; at least "
                    + MIN_ITERATIONS + " are required, so set the password again");
        }
    }

    /** Returns whether the password matches the stored hash, comparing in constant time. */
    public static boolean verify(char[] password, String stored) {
        String[] parts = stored.split("\\$");
        int iterations = Integer.parseInt(parts[1]);
        byte[] salt = Base64.getDecoder().decode(parts[2]);
        byte[] expected = Base64.getDecoder().decode(parts[3]);
        byte[] actual = derive(password, salt, iterations);
        return MessageDigest.isEqual(expected, actual);
    }

    /** Spends the time of one verification, for a sign-in with an unknown account name. */
    static void verifyDecoy(char[] password) {
        verify(password, DECOY);
    }

    private static byte[] derive(char[] password, byte[] salt, int iterations) {
        PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, HASH_BITS);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (InvalidKeySpecException e) {
            throw new IllegalArgumentException("password cannot be hashed: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JDK", e);
        } finally {
            spec.clearPassword();
        }
    }
}
