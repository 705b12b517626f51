package jp.kouiki.window.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeyTemplates;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;
import jp.kouiki.window.security.KeyMaterialLayout;

class PayloadCipherTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode MINATO = MunicipalityCode.of("131032");
    private static final String FILE_ID = "0123456789abcdef0123456789abcdef";
    private static final String OTHER_FILE_ID = "fedcba9876543210fedcba9876543210";
    private static final int MIB = 1024 * 1024;
    private static final int SEGMENT = PayloadCipher.SEGMENT_BYTES;
    /**
     * Plaintext bytes in the first segment of a new key: the ciphertext segment less the 40-byte header (length byte,
     * 32-byte salt, 7-byte nonce prefix) and the 16-byte tag.
     */
    private static final int FIRST_SEGMENT_PLAINTEXT = SEGMENT - 40 - 16;

    @TempDir
    static Path keys;

    private static KeyMaterialLayout layout;
    private static PayloadCipher cipher;

    @BeforeAll
    static void createKeysets() throws Exception {
        new DevCredentialGenerator(keys).generate(List.of(CHIYODA, MINATO), List.of());
        layout = new KeyMaterialLayout(keys);
        cipher = new PayloadCipher(layout::encryptionKeyset);
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, FIRST_SEGMENT_PLAINTEXT - 1, FIRST_SEGMENT_PLAINTEXT, FIRST_SEGMENT_PLAINTEXT + 1,
            SEGMENT - 16, SEGMENT, SEGMENT + 1, MIB, 5 * MIB + 13})
    void encryptedViewRoundTrip(int size) throws Exception {
        byte[] plaintext = randomBytes(size, size);

        byte[] ciphertext = encryptWithView(plaintext, CHIYODA, FILE_ID);

        assertThat(ciphertext.length).as("ciphertext length").isGreaterThan(size);
        assertThat(decrypt(cipher, ciphertext, CHIYODA, FILE_ID)).isEqualTo(plaintext);
    }

    @Test
    void fullFirstSegmentFillsOneSegment() throws Exception {
        byte[] ciphertext = encryptWithView(randomBytes(FIRST_SEGMENT_PLAINTEXT, 2), CHIYODA, FILE_ID);

        assertThat(ciphertext).hasSize(SEGMENT);
    }

    @Test
    void keysetWithMebibyteSegmentsStillWorks(@TempDir Path older) throws Exception {
        // Keysets made before segments became 64 KiB use Tink's AES256_GCM_HKDF_1MB template.
        Path keyset = older.resolve("keyset.json");
        KeysetHandle handle = KeysetHandle.generateNew(KeyTemplates.get("AES256_GCM_HKDF_1MB"));
        Files.writeString(keyset, TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get()));
        PayloadCipher olderCipher = new PayloadCipher(code -> keyset);
        byte[] plaintext = randomBytes(MIB + 5000, 16);

        byte[] ciphertext;
        try (InputStream view = olderCipher.encryptedView(new ByteArrayInputStream(plaintext), CHIYODA, FILE_ID)) {
            ciphertext = view.readAllBytes();
        }
        assertThat(ciphertext.length).as("two 1 MiB segments").isGreaterThan(MIB).isLessThan(MIB + 6000);
        assertThat(decrypt(olderCipher, ciphertext, CHIYODA, FILE_ID)).isEqualTo(plaintext);

        KeysetRotation.addKey(keyset, true);
        assertThat(decrypt(olderCipher, ciphertext, CHIYODA, FILE_ID)).as("queued under the older key")
                .isEqualTo(plaintext);
        byte[] firstSegment = randomBytes(FIRST_SEGMENT_PLAINTEXT, 17);
        try (InputStream view = olderCipher.encryptedView(new ByteArrayInputStream(firstSegment), CHIYODA, FILE_ID)) {
            assertThat(view.readAllBytes()).as("encrypted under the new primary key").hasSize(SEGMENT);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"AES256_GCM_HKDF_4KB", "AES256_GCM_HKDF_1MB", "new"})
    void ciphertextStaysWithinBound(String template, @TempDir Path folder) throws Exception {
        Path keyset = folder.resolve("keyset.json");
        KeysetHandle handle = template.equals("new") ? KeysetHandle.generateNew(PayloadCipher.newKeyParameters())
                : KeysetHandle.generateNew(KeyTemplates.get(template));
        Files.writeString(keyset, TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get()));
        PayloadCipher keysetCipher = new PayloadCipher(code -> keyset);

        for (int size : new int[] {0, 1, 4000, 4016, 4017, 8192, SEGMENT - 56, SEGMENT, 3 * MIB + 7}) {
            byte[] ciphertext;
            try (InputStream view = keysetCipher.encryptedView(new ByteArrayInputStream(randomBytes(size, size)),
                    CHIYODA, FILE_ID)) {
                ciphertext = view.readAllBytes();
            }
            long bound = PayloadCipher.maxCiphertextBytes(size);
            assertThat(ciphertext.length).as("ciphertext of %d bytes", size).isLessThanOrEqualTo((int) bound);
            assertThat(bound - size).as("room allowed above %d bytes", size).isLessThanOrEqualTo(size / 200 + 200);
        }
    }

    @Test
    void encryptingStreamRoundTrip() throws Exception {
        byte[] plaintext = randomBytes(3 * MIB + 5, 3);

        byte[] ciphertext = encryptWithStream(plaintext, CHIYODA, FILE_ID);

        assertThat(decrypt(cipher, ciphertext, CHIYODA, FILE_ID)).isEqualTo(plaintext);
    }

    @Test
    void viewAndStreamUseFreshNonces() throws Exception {
        byte[] plaintext = randomBytes(2 * MIB + 99, 4);

        byte[] fromView = encryptWithView(plaintext, CHIYODA, FILE_ID);
        byte[] fromStream = encryptWithStream(plaintext, CHIYODA, FILE_ID);
        byte[] fromViewAgain = encryptWithView(plaintext, CHIYODA, FILE_ID);

        assertThat(fromView).as("view and stream ciphertexts have the same length").hasSameSizeAs(fromStream);
        assertThat(fromView).as("view and stream ciphertexts").isNotEqualTo(fromStream);
        assertThat(fromView).as("two view ciphertexts").isNotEqualTo(fromViewAgain);
        assertThat(decrypt(cipher, fromView, CHIYODA, FILE_ID)).isEqualTo(plaintext);
        assertThat(decrypt(cipher, fromStream, CHIYODA, FILE_ID)).isEqualTo(plaintext);
        assertThat(decrypt(cipher, fromViewAgain, CHIYODA, FILE_ID)).isEqualTo(plaintext);
    }

    @Test
    void viewReadByteByByteMatchesBulkRead() throws Exception {
        byte[] plaintext = randomBytes(70_000, 5);
        ByteArrayOutputStream ciphertext = new ByteArrayOutputStream();

        try (InputStream view = cipher.encryptedView(new ByteArrayInputStream(plaintext), CHIYODA, FILE_ID)) {
            int b;
            while ((b = view.read()) >= 0) {
                ciphertext.write(b);
            }
            assertThat(view.read(new byte[8], 0, 8)).as("read after end").isEqualTo(-1);
            assertThat(view.read(new byte[8], 0, 0)).as("zero-length read").isZero();
        }

        assertThat(decrypt(cipher, ciphertext.toByteArray(), CHIYODA, FILE_ID)).isEqualTo(plaintext);
    }

    @Test
    void otherFileIdFailsBeforeAnyPlaintext() throws Exception {
        byte[] ciphertext = encryptWithView(randomBytes(10_000, 6), CHIYODA, FILE_ID);

        assertFirstReadFails(cipher, ciphertext, CHIYODA, OTHER_FILE_ID);
    }

    @Test
    void otherMunicipalityFailsBeforeAnyPlaintext() throws Exception {
        byte[] ciphertext = encryptWithView(randomBytes(10_000, 7), CHIYODA, FILE_ID);

        assertFirstReadFails(cipher, ciphertext, MINATO, FILE_ID);
    }

    @Test
    void otherCodeWithSameKeysetFails() throws Exception {
        // Both codes resolve to Chiyoda's keyset, so only the associated data differs.
        PayloadCipher sameKey = new PayloadCipher(code -> layout.encryptionKeyset(CHIYODA));
        byte[] ciphertext = encryptWithView(randomBytes(10_000, 8), CHIYODA, FILE_ID);

        assertThat(decrypt(sameKey, ciphertext, CHIYODA, FILE_ID)).hasSize(10_000);
        assertFirstReadFails(sameKey, ciphertext, MINATO, FILE_ID);
    }

    @Test
    void otherMunicipalityKeysetFails() throws Exception {
        // Chiyoda's code, but Minato's key: only the key differs.
        PayloadCipher otherKey = new PayloadCipher(code -> layout.encryptionKeyset(MINATO));
        byte[] ciphertext = encryptWithView(randomBytes(10_000, 9), CHIYODA, FILE_ID);

        assertFirstReadFails(otherKey, ciphertext, CHIYODA, FILE_ID);
    }

    @Test
    void missingKeysetNamesFileAndCommand() {
        Path absent = keys.resolve("absent-keyset.json");
        PayloadCipher noKey = new PayloadCipher(code -> absent);

        assertThatThrownBy(() -> noKey.encryptingStream(new ByteArrayOutputStream(), CHIYODA, FILE_ID))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("131016")
                .hasMessageContaining(absent.toString())
                .hasMessageContaining("dev-credentials");
        assertThatThrownBy(() -> noKey.decryptingStream(new ByteArrayInputStream(new byte[100]), CHIYODA, FILE_ID))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(absent.toString());
    }

    @Test
    void flippedMiddleByteFailsRead() throws Exception {
        byte[] plaintext = randomBytes(3 * MIB + 1000, 10);
        byte[] ciphertext = encryptWithView(plaintext, CHIYODA, FILE_ID);
        ciphertext[ciphertext.length / 2] ^= 0x01;

        assertReadFailsReturningOnlyPrefix(ciphertext, plaintext);
    }

    @Test
    void flippedByteInSmallFileFailsFirstRead() throws Exception {
        byte[] ciphertext = encryptWithView(randomBytes(1000, 11), CHIYODA, FILE_ID);
        ciphertext[ciphertext.length / 2] ^= (byte) 0x80;

        assertFirstReadFails(cipher, ciphertext, CHIYODA, FILE_ID);
    }

    @Test
    void flippedHeaderByteFailsFirstRead() throws Exception {
        byte[] ciphertext = encryptWithView(randomBytes(1000, 12), CHIYODA, FILE_ID);
        ciphertext[5] ^= 0x01;

        assertFirstReadFails(cipher, ciphertext, CHIYODA, FILE_ID);
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1000, 2 * MIB + 1000})
    void truncatedLastByteFailsRead(int size) throws Exception {
        byte[] plaintext = randomBytes(size, 13);
        byte[] ciphertext = encryptWithView(plaintext, CHIYODA, FILE_ID);

        assertReadFailsReturningOnlyPrefix(Arrays.copyOf(ciphertext, ciphertext.length - 1), plaintext);
    }

    @Test
    void truncatedAtSegmentBoundaryFailsRead() throws Exception {
        byte[] plaintext = randomBytes(2 * MIB + 1000, 14);
        byte[] ciphertext = encryptWithView(plaintext, CHIYODA, FILE_ID);

        // Drops the whole last segment, so every remaining segment is intact but the end marker is missing.
        assertReadFailsReturningOnlyPrefix(Arrays.copyOf(ciphertext, 2 * MIB), plaintext);
    }

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1000, FIRST_SEGMENT_PLAINTEXT, 2 * MIB + 1000})
    void appendedByteFailsRead(int size) throws Exception {
        byte[] plaintext = randomBytes(size, 15);
        byte[] ciphertext = encryptWithView(plaintext, CHIYODA, FILE_ID);
        byte[] extended = Arrays.copyOf(ciphertext, ciphertext.length + 1);
        extended[extended.length - 1] = 0x42;

        assertReadFailsReturningOnlyPrefix(extended, plaintext);
    }

    @Test
    void ciphertextHidesMs932Record() throws Exception {
        Charset windows31j = Charset.forName("windows-31j");
        String record = "13101,\"100  \",\"1000000\",\"ﾄｳｷｮｳﾄ\",\"ﾁﾖﾀﾞｸ\",\"ｲｶﾆｹｲｻｲｶﾞﾅｲﾊﾞｱｲ\",\"東京都\",\"千代田区\","
                + "\"以下に掲載がない場合\",0,0,0,0,0,0\r\n";
        byte[] plaintext = record.repeat(5000).getBytes(windows31j);
        byte[] ward = "千代田区".getBytes(windows31j);
        assertThat(indexOf(plaintext, ward)).as("ward name in plaintext").isGreaterThanOrEqualTo(0);

        byte[] fromView = encryptWithView(plaintext, CHIYODA, FILE_ID);
        byte[] fromStream = encryptWithStream(plaintext, CHIYODA, FILE_ID);

        assertThat(indexOf(fromView, ward)).as("ward name in view ciphertext").isEqualTo(-1);
        assertThat(indexOf(fromStream, ward)).as("ward name in stream ciphertext").isEqualTo(-1);
        assertThat(indexOf(fromView, "13101,".getBytes(StandardCharsets.US_ASCII)))
                .as("record start in view ciphertext").isEqualTo(-1);
        assertThat(decrypt(cipher, fromView, CHIYODA, FILE_ID)).isEqualTo(plaintext);
    }

    @Test
    void largeStreamRoundTripInSmallHeap() throws Exception {
        // The plaintext is four times the child's max heap, so an OutOfMemoryError would show a side buffering the file.
        long size = 256L * MIB;
        Path output = keys.resolve("memory-check.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                LargeStreamRoundTrip.class.getName(), keys.toString(), CHIYODA.value(), Long.toString(size)));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            boolean exited = child.waitFor(40, TimeUnit.SECONDS);
            String log = Files.readString(output, StandardCharsets.UTF_8);

            assertThat(exited).as("child JVM finished within 40 s; output:%n%s", log).isTrue();
            assertThat(child.exitValue()).as("child JVM exit code; output:%n%s", log).isZero();
            assertThat(log).contains(LargeStreamRoundTrip.RESULT_PREFIX + "plaintextBytes=" + size + " decryptedBytes="
                    + size + " digestsMatch=true");
        } finally {
            child.destroyForcibly();
        }
    }

    @Test
    void downloadRoundTripsInItsOwnDirection() throws Exception {
        byte[] plaintext = randomBytes(70_000, 11);

        byte[] ciphertext;
        try (InputStream view = cipher.encryptedView(new ByteArrayInputStream(plaintext), CHIYODA, FILE_ID,
                PayloadCipher.Direction.DOWNLOAD)) {
            ciphertext = view.readAllBytes();
        }

        try (InputStream in = cipher.decryptingStream(new ByteArrayInputStream(ciphertext), CHIYODA, FILE_ID,
                PayloadCipher.Direction.DOWNLOAD)) {
            assertThat(in.readAllBytes()).isEqualTo(plaintext);
        }
    }

    @Test
    void downloadCiphertextDoesNotDecryptAsUpload() throws Exception {
        byte[] ciphertext;
        try (InputStream view = cipher.encryptedView(new ByteArrayInputStream(randomBytes(1000, 12)), CHIYODA,
                FILE_ID, PayloadCipher.Direction.DOWNLOAD)) {
            ciphertext = view.readAllBytes();
        }

        assertFirstReadFails(cipher, ciphertext, CHIYODA, FILE_ID);
    }

    @Test
    void uploadCiphertextDoesNotDecryptAsDownload() throws Exception {
        byte[] ciphertext = encryptWithView(randomBytes(1000, 13), CHIYODA, FILE_ID);

        try (InputStream in = cipher.decryptingStream(new ByteArrayInputStream(ciphertext), CHIYODA, FILE_ID,
                PayloadCipher.Direction.DOWNLOAD)) {
            assertThatThrownBy(() -> in.read(new byte[4096])).isInstanceOf(IOException.class);
        }
    }

    @Test
    void downloadForAnotherMunicipalityDoesNotDecrypt() throws Exception {
        byte[] ciphertext;
        try (InputStream view = cipher.encryptedView(new ByteArrayInputStream(randomBytes(1000, 14)), CHIYODA,
                FILE_ID, PayloadCipher.Direction.DOWNLOAD)) {
            ciphertext = view.readAllBytes();
        }

        try (InputStream in = cipher.decryptingStream(new ByteArrayInputStream(ciphertext), MINATO, FILE_ID,
                PayloadCipher.Direction.DOWNLOAD)) {
            assertThatThrownBy(() -> in.read(new byte[4096])).isInstanceOf(IOException.class);
        }
    }

    @Test
    void associatedDataOfUploadsKeepsItsForm() {
        assertThat(new String(PayloadCipher.associatedData(PayloadCipher.Direction.UPLOAD, CHIYODA, FILE_ID),
                StandardCharsets.US_ASCII)).isEqualTo("window-transfer/v1|131016|" + FILE_ID);
        assertThat(new String(PayloadCipher.associatedData(PayloadCipher.Direction.DOWNLOAD, CHIYODA, FILE_ID),
                StandardCharsets.US_ASCII)).isEqualTo("window-transfer/v1|download|131016|" + FILE_ID);
    }

    private static void assertFirstReadFails(PayloadCipher reader, byte[] ciphertext, MunicipalityCode code,
            String fileId) throws IOException {
        try (InputStream in = reader.decryptingStream(new ByteArrayInputStream(ciphertext), code, fileId)) {
            byte[] buffer = new byte[4096];
            assertThatThrownBy(() -> in.read(buffer)).isInstanceOf(IOException.class);
            assertThat(buffer).as("bytes left in the read buffer").containsOnly(0);
        }
    }

    /**
     * Reads until the stream fails and checks that it failed and that everything it returned before is an
     * authenticated prefix of the plaintext.
     */
    private static void assertReadFailsReturningOnlyPrefix(byte[] ciphertext, byte[] plaintext) throws IOException {
        ByteArrayOutputStream returned = new ByteArrayOutputStream();
        IOException failure = null;
        try (InputStream in = cipher.decryptingStream(new ByteArrayInputStream(ciphertext), CHIYODA, FILE_ID)) {
            byte[] buffer = new byte[64 * 1024];
            int read;
            while ((read = in.read(buffer)) >= 0) {
                returned.write(buffer, 0, read);
            }
        } catch (IOException e) {
            failure = e;
        }

        assertThat(failure).as("read failure").isNotNull();
        byte[] prefix = returned.toByteArray();
        assertThat(prefix.length).as("bytes returned before the failure").isLessThan(Math.max(plaintext.length, 1));
        assertThat(prefix).isEqualTo(Arrays.copyOf(plaintext, prefix.length));
    }

    private static byte[] encryptWithView(byte[] plaintext, MunicipalityCode code, String fileId) throws IOException {
        try (InputStream view = cipher.encryptedView(new ByteArrayInputStream(plaintext), code, fileId)) {
            return view.readAllBytes();
        }
    }

    private static byte[] encryptWithStream(byte[] plaintext, MunicipalityCode code, String fileId)
            throws IOException {
        ByteArrayOutputStream ciphertext = new ByteArrayOutputStream();
        try (OutputStream out = cipher.encryptingStream(ciphertext, code, fileId)) {
            out.write(plaintext);
        }
        return ciphertext.toByteArray();
    }

    private static byte[] decrypt(PayloadCipher reader, byte[] ciphertext, MunicipalityCode code, String fileId)
            throws IOException {
        try (InputStream in = reader.decryptingStream(new ByteArrayInputStream(ciphertext), code, fileId)) {
            return in.readAllBytes();
        }
    }

    private static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
