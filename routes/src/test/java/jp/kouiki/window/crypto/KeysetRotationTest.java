package jp.kouiki.window.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;
import jp.kouiki.window.security.KeyMaterialLayout;

class KeysetRotationTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final byte[] PLAINTEXT = "13101,\"100  \",\"1000000\"\r\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path keys;

    private Path keyset;
    private PayloadCipher cipher;

    @BeforeEach
    void generateKeyset() throws Exception {
        new DevCredentialGenerator(keys).generate(List.of(CHIYODA), List.of());
        keyset = new KeyMaterialLayout(keys).encryptionKeyset(CHIYODA);
        cipher = new PayloadCipher(code -> keyset);
    }

    @Test
    void fileEncryptedUnderOldKeyStaysReadableAfterRotation() throws Exception {
        byte[] old = encrypt("0123456789abcdef0123456789abcdef");

        int newKey = KeysetRotation.addKey(keyset, true);
        byte[] rotated = encrypt("fedcba9876543210fedcba9876543210");

        assertThat(decrypt(old, "0123456789abcdef0123456789abcdef")).isEqualTo(PLAINTEXT);
        assertThat(decrypt(rotated, "fedcba9876543210fedcba9876543210")).isEqualTo(PLAINTEXT);
        assertThat(KeysetRotation.list(keyset)).hasSize(2)
                .filteredOn(KeysetRotation.KeyInfo::primary).singleElement()
                .extracting(KeysetRotation.KeyInfo::keyId).isEqualTo(newKey);
    }

    @Test
    void retiredKeyNoLongerDecrypts() throws Exception {
        byte[] old = encrypt("0123456789abcdef0123456789abcdef");
        KeysetRotation.addKey(keyset, true);
        byte[] rotated = encrypt("fedcba9876543210fedcba9876543210");

        int removed = KeysetRotation.retireNonPrimary(keyset);

        assertThat(removed).isEqualTo(1);
        assertThatThrownBy(() -> decrypt(old, "0123456789abcdef0123456789abcdef")).isInstanceOf(IOException.class);
        assertThat(decrypt(rotated, "fedcba9876543210fedcba9876543210")).isEqualTo(PLAINTEXT);
    }

    @Test
    void nonPrimaryKeyCanBePromotedLater() throws Exception {
        int added = KeysetRotation.addKey(keyset, false);

        KeysetRotation.promote(keyset, added);

        assertThat(KeysetRotation.list(keyset)).filteredOn(KeysetRotation.KeyInfo::primary).singleElement()
                .extracting(KeysetRotation.KeyInfo::keyId).isEqualTo(added);
    }

    @Test
    void rotatedKeysetStaysOwnerOnly() throws Exception {
        KeysetRotation.addKey(keyset, true);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyset))).isEqualTo("rw-------");
    }

    @Test
    void destroyedKeysetLeavesQueuedDataUnreadable() throws Exception {
        byte[] queued = encrypt("0123456789abcdef0123456789abcdef");

        KeysetRotation.destroy(keyset);

        assertThat(keyset).doesNotExist();
        assertThatThrownBy(() -> decrypt(queued, "0123456789abcdef0123456789abcdef"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("encryption keyset of municipality 131016 is missing");
    }

    @Test
    void promotingAnUnknownKeyIsRejected() {
        assertThatThrownBy(() -> KeysetRotation.promote(keyset, 42))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key id 42 is not an enabled key");
    }

    private byte[] encrypt(String fileId) throws IOException {
        try (InputStream in = cipher.encryptedView(new ByteArrayInputStream(PLAINTEXT), CHIYODA, fileId)) {
            return in.readAllBytes();
        }
    }

    private byte[] decrypt(byte[] ciphertext, String fileId) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = cipher.decryptingStream(new ByteArrayInputStream(ciphertext), CHIYODA, fileId)) {
            in.transferTo(out);
        }
        return out.toByteArray();
    }
}
