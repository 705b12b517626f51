package jp.kouiki.window.crypto;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs many small AES-GCM operations once per JVM, in the background, so that the JIT compiles the JDK's AES-GCM code
 * with its CPU intrinsics before the first file. A file's segments (64 KiB, or 1 MiB with older keys) make too few calls
 * to reach the compile thresholds soon. Measured with JDK 17.0.15 and 1 MiB segments on the benchmark machine: without
 * the warm-up the first GiB took 8.3 s to encrypt and the second 0.25 s. After the warm-up (0.4 s of one core alone,
 * 1.2–1.7 s beside a starting agent or central server) the first took 0.27 s. Its end is logged at INFO.
 */
final class CipherWarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(CipherWarmUp.class);
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    /** Rounds of one encryption and one decryption each, enough for the JIT's top tier to compile the calls. */
    static final int ROUNDS = 20_000;
    private static final int BLOCK_BYTES = 4096;
    private static final int TAG_BITS = 128;

    private CipherWarmUp() {
    }

    /** Starts the warm-up on a daemon thread, the first time only. */
    static void startOnce() {
        if (!STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread thread = new Thread(() -> {
            try {
                long started = System.nanoTime();
                run(ROUNDS);
                LOG.info("AES-GCM warm-up finished: rounds={} ms={}", ROUNDS,
                        (System.nanoTime() - started) / 1_000_000);
            } catch (GeneralSecurityException | RuntimeException e) {
                // The warm-up only affects speed: the first files then encrypt before the code is compiled.
                LOG.warn("AES-GCM warm-up failed, the first files may encrypt slowly: error={}", e.toString());
            }
        }, "cipher-warm-up");
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
        thread.start();
    }

    /**
     * Encrypts and decrypts a block of zeros {@code rounds} times with a throwaway key, through the same ByteBuffer
     * calls that Tink's streaming AEAD makes, and returns the number of rounds whose decryption matched.
     */
    static int run(int rounds) throws GeneralSecurityException {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        SecretKeySpec secret = new SecretKeySpec(key, "AES");
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        ByteBuffer plaintext = ByteBuffer.allocate(BLOCK_BYTES);
        ByteBuffer ciphertext = ByteBuffer.allocate(BLOCK_BYTES + TAG_BITS / 8);
        ByteBuffer decrypted = ByteBuffer.allocate(BLOCK_BYTES);
        byte[] nonce = new byte[12];
        int matched = 0;
        for (int round = 0; round < rounds; round++) {
            // A fresh nonce per encryption: the JDK rejects a reused key and nonce pair.
            nonce[0] = (byte) round;
            nonce[1] = (byte) (round >>> 8);
            nonce[2] = (byte) (round >>> 16);
            nonce[3] = (byte) (round >>> 24);
            plaintext.clear();
            ciphertext.clear();
            cipher.init(Cipher.ENCRYPT_MODE, secret, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.doFinal(plaintext, ciphertext);
            ciphertext.flip();
            decrypted.clear();
            cipher.init(Cipher.DECRYPT_MODE, secret, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.doFinal(ciphertext, decrypted);
            if (decrypted.position() == BLOCK_BYTES) {
                matched++;
            }
        }
        return matched;
    }
}
