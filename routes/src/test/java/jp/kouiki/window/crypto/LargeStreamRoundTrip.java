package jp.kouiki.window.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;

/**
 * Encrypts a generated plaintext with {@link PayloadCipher#encryptedView} and decrypts it straight away with
 * {@link PayloadCipher#decryptingStream}, comparing SHA-256 digests of both ends. {@link PayloadCipherTest} runs it in
 * a child JVM with a heap far smaller than the plaintext.
 *
 * <p>Arguments: keys directory, municipality code, plaintext size in bytes. Prints one line starting with
 * {@link #RESULT_PREFIX} and exits with 0 when the digests match, 1 when they do not.
 */
public final class LargeStreamRoundTrip {

    static final String RESULT_PREFIX = "large-stream-round-trip: ";

    private static final String FILE_ID = "00112233445566778899aabbccddeeff";

    private LargeStreamRoundTrip() {
    }

    public static void main(String[] args) throws Exception {
        Path keys = Path.of(args[0]);
        MunicipalityCode code = MunicipalityCode.of(args[1]);
        long size = Long.parseLong(args[2]);
        PayloadCipher cipher = new PayloadCipher(new KeyMaterialLayout(keys)::encryptionKeyset);

        MessageDigest plaintextDigest = MessageDigest.getInstance("SHA-256");
        MessageDigest decryptedDigest = MessageDigest.getInstance("SHA-256");
        GeneratedStream generated = new GeneratedStream(size, 42);
        long decryptedBytes = 0;
        try (InputStream plaintext = new DigestInputStream(generated, plaintextDigest);
                InputStream ciphertext = cipher.encryptedView(plaintext, code, FILE_ID);
                InputStream decrypted = cipher.decryptingStream(ciphertext, code, FILE_ID)) {
            byte[] buffer = new byte[32 * 1024];
            int read;
            while ((read = decrypted.read(buffer)) >= 0) {
                decryptedDigest.update(buffer, 0, read);
                decryptedBytes += read;
            }
        }

        boolean digestsMatch = Arrays.equals(plaintextDigest.digest(), decryptedDigest.digest());
        Runtime runtime = Runtime.getRuntime();
        System.out.println(RESULT_PREFIX + "plaintextBytes=" + generated.produced + " decryptedBytes=" + decryptedBytes
                + " digestsMatch=" + digestsMatch + " maxHeapBytes=" + runtime.maxMemory());
        System.exit(digestsMatch && generated.produced == size && decryptedBytes == size ? 0 : 1);
    }

    /**
     * Pseudo-random bytes made on the fly: a 1 MiB random block whose bytes are mixed with the block number, so that
     * no two blocks repeat while only one block is ever in memory.
     */
    private static final class GeneratedStream extends InputStream {

        private final long size;
        private final byte[] block = new byte[1024 * 1024];
        private long produced;

        GeneratedStream(long size, long seed) {
            this.size = size;
            new Random(seed).nextBytes(block);
        }

        @Override
        public int read() throws IOException {
            byte[] single = new byte[1];
            return read(single, 0, 1) < 0 ? -1 : single[0] & 0xff;
        }

        @Override
        public int read(byte[] target, int offset, int length) {
            if (length == 0) {
                return 0;
            }
            if (produced >= size) {
                return -1;
            }
            int count = (int) Math.min(length, size - produced);
            for (int i = 0; i < count; i++) {
                long position = produced + i;
                byte mix = (byte) (position >>> 20);
                target[offset + i] = (byte) (block[(int) (position & (block.length - 1))] ^ mix);
            }
            produced += count;
            return count;
        }
    }
}
