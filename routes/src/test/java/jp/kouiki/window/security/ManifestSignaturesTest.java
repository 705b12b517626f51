package jp.kouiki.window.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.List;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.crypto.DigitalSignatureConstants;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;

class ManifestSignaturesTest {

    private static final byte[] MANIFEST = "{\"type\":\"window-download/v1\"}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path keys;

    private static PrivateKey unionPrivate;
    private static PublicKey unionPublic;
    private static PublicKey chiyodaPublic;

    @BeforeAll
    static void createKeys() throws Exception {
        MunicipalityCode chiyoda = MunicipalityCode.of("131016");
        new DevCredentialGenerator(keys).generate(List.of(chiyoda), List.of());
        KeyMaterialLayout layout = new KeyMaterialLayout(keys);
        unionPrivate = SigningKeys.readPrivateKey(layout.unionSigningPrivateKey());
        unionPublic = SigningKeys.readPublicKey(layout.unionSigningPublicKey());
        chiyodaPublic = SigningKeys.readPublicKey(layout.signingPublicKey(chiyoda));
    }

    @Test
    void signatureVerifiesWithTheSignersKey() throws Exception {
        assertThat(ManifestSignatures.verify(MANIFEST, ManifestSignatures.sign(MANIFEST, unionPrivate), unionPublic))
                .isTrue();
    }

    @Test
    void signatureDoesNotVerifyWithAnotherKey() throws Exception {
        assertThat(ManifestSignatures.verify(MANIFEST, ManifestSignatures.sign(MANIFEST, unionPrivate),
                chiyodaPublic)).isFalse();
    }

    @Test
    void changedManifestDoesNotVerify() throws Exception {
        String signature = ManifestSignatures.sign(MANIFEST, unionPrivate);
        byte[] changed = MANIFEST.clone();
        changed[changed.length - 2] ^= 1;

        assertThat(ManifestSignatures.verify(changed, signature, unionPublic)).isFalse();
    }

    @Test
    void malformedSignatureDoesNotVerify() {
        assertThat(ManifestSignatures.verify(MANIFEST, "not base64!", unionPublic)).isFalse();
        assertThat(ManifestSignatures.verify(MANIFEST, "AAAA", unionPublic)).isFalse();
    }

    @Test
    void camelCryptoVerifiesTheSameSignature() throws Exception {
        try (CamelContext camel = new DefaultCamelContext()) {
            camel.start();
            Exchange exchange = camel.createProducerTemplate().request("crypto:verify:manifest?algorithm="
                    + ManifestSignatures.ALGORITHM, request -> {
                        request.getMessage().setBody(MANIFEST);
                        request.getMessage().setHeader(DigitalSignatureConstants.SIGNATURE,
                                ManifestSignatures.sign(MANIFEST, unionPrivate));
                        request.getMessage().setHeader(DigitalSignatureConstants.SIGNATURE_PUBLIC_KEY_OR_CERT,
                                unionPublic);
                    });

            assertThat(exchange.getException()).isNull();
        }
    }
}
