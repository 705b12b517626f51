package jp.kouiki.window.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;

class SigningKeyRingTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");

    @TempDir
    Path keys;

    @Test
    void ringFindsCurrentAndPreviousKeys() throws Exception {
        DevCredentialGenerator generator = new DevCredentialGenerator(keys);
        generator.generate(List.of(CHIYODA), List.of());
        SigningKeyRing ring = new SigningKeyRing(new KeyMaterialLayout(keys));
        ring.require(CHIYODA);
        String firstId = SigningKeys.keyId(ring.find(CHIYODA, null));

        DevCredentialGenerator.SigningKeyRotation rotation = generator.rotateSigningKey(CHIYODA);
        Thread.sleep(1_100);

        assertThat(rotation.previousKeyId()).isEqualTo(firstId);
        assertThat(ring.find(CHIYODA, rotation.newKeyId())).as("new key after a rescan").isNotNull();
        assertThat(ring.find(CHIYODA, firstId)).as("previous key").isNotNull();
        assertThat(SigningKeys.keyId(ring.find(CHIYODA, null))).as("current key").isEqualTo(rotation.newKeyId());
        assertThat(ring.find(CHIYODA, "0123456789abcdef")).as("unknown key").isNull();
    }

    @Test
    void rotationWritesMatchingOwnerOnlyKey() throws Exception {
        DevCredentialGenerator generator = new DevCredentialGenerator(keys);
        generator.generate(List.of(CHIYODA), List.of());
        KeyMaterialLayout layout = new KeyMaterialLayout(keys);

        DevCredentialGenerator.SigningKeyRotation rotation = generator.rotateSigningKey(CHIYODA);

        String derived = SigningKeys.keyId(SigningKeys.publicKeyOf(
                SigningKeys.readPrivateKey(layout.signingPrivateKey(CHIYODA))));
        assertThat(derived).isEqualTo(rotation.newKeyId());
        assertThat(SigningKeys.keyId(SigningKeys.readPublicKey(layout.signingPublicKey(CHIYODA))))
                .isEqualTo(rotation.newKeyId());
        assertThat(rotation.previousPublicKey()).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(layout.signingPrivateKey(CHIYODA))))
                .isEqualTo("rw-------");
    }
}
