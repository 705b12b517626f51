package jp.kouiki.window.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import javax.security.auth.x500.X500Principal;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.StreamingAead;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;

class DevCredentialGeneratorTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode MINATO = MunicipalityCode.of("131032");
    private static final List<MunicipalityCode> CODES = List.of(CHIYODA, MINATO);
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    @TempDir
    Path keys;

    private KeyMaterialLayout layout() {
        return new KeyMaterialLayout(keys);
    }

    @Test
    void generateCreatesAllFilesForTwoCodes() throws Exception {
        DevCredentialGenerator.Summary summary = new DevCredentialGenerator(keys).generate(CODES, List.of());

        KeyMaterialLayout layout = layout();
        List<Path> expected = Stream.concat(
                Stream.of(layout.caCertificate(), layout.caPrivateKey(), layout.truststore(),
                        KeyMaterialLayout.passwordFile(layout.truststore()), layout.serverKeystore(),
                        KeyMaterialLayout.passwordFile(layout.serverKeystore()), layout.serverCertificate(),
                        layout.serverPrivateKey(), layout.acceleratorKeystore(),
                        KeyMaterialLayout.passwordFile(layout.acceleratorKeystore()), layout.acceleratorCertificate(),
                        layout.acceleratorPrivateKey(), layout.unionSigningPrivateKey(),
                        layout.unionSigningPublicKey(), layout.unionClientKeystore(),
                        KeyMaterialLayout.passwordFile(layout.unionClientKeystore())),
                CODES.stream().flatMap(code -> Stream.of(layout.clientKeystore(code),
                        KeyMaterialLayout.passwordFile(layout.clientKeystore(code)), layout.signingPrivateKey(code),
                        layout.signingPublicKey(code), layout.encryptionKeyset(code)))).toList();
        for (Path file : expected) {
            assertThat(file).isRegularFile();
        }
        assertThat(allFiles()).hasSize(expected.size());
        // Certificates: the CA and the PEM chains of server and accelerator. Private keys: the CA, the two PEM
        // copies, the union's signing key and two municipalities' signing keys.
        assertThat(summary.certificates()).isEqualTo(3);
        assertThat(summary.privateKeys()).isEqualTo(6);
        assertThat(summary.publicKeys()).isEqualTo(3);
        assertThat(summary.keystores()).isEqualTo(6);
        assertThat(summary.passwordFiles()).isEqualTo(6);
        assertThat(summary.keysets()).isEqualTo(2);
        assertThat(summary.createdFiles()).isEqualTo(26);
        assertThat(summary.existingFiles()).isZero();
        X509Certificate union = (X509Certificate) TlsMaterial.loadPkcs12(layout.unionClientKeystore())
                .getCertificate(KeyMaterialLayout.CLIENT_ALIAS);
        assertThat(union.getSubjectX500Principal().getName()).isEqualTo("CN=" + DevCredentialGenerator.UNION_COMMON_NAME);
        assertThat(union.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    }

    @Test
    void secondRunCreatesNothingAndKeepsBytes() throws Exception {
        new DevCredentialGenerator(keys).generate(CODES, List.of("window.example.test"));
        Map<Path, byte[]> before = contents();

        DevCredentialGenerator.Summary second = new DevCredentialGenerator(keys).generate(CODES, List.of());

        assertThat(second.createdFiles()).isZero();
        assertThat(second.existingFiles()).isEqualTo(26);
        Map<Path, byte[]> after = contents();
        assertThat(after.keySet()).isEqualTo(before.keySet());
        for (Path file : before.keySet()) {
            assertThat(after.get(file)).as(file.toString()).isEqualTo(before.get(file));
        }
    }

    @Test
    void laterRunAddsOnlyNewMunicipality() throws Exception {
        new DevCredentialGenerator(keys).generate(List.of(CHIYODA), List.of());
        byte[] caBefore = Files.readAllBytes(layout().caCertificate());

        DevCredentialGenerator.Summary summary = new DevCredentialGenerator(keys).generate(CODES, List.of());

        // One client keystore with its password file, one signing key pair and one keyset.
        assertThat(summary.createdFiles()).isEqualTo(5);
        assertThat(Files.readAllBytes(layout().caCertificate())).isEqualTo(caBefore);
        X509Certificate client = (X509Certificate) TlsMaterial.loadPkcs12(layout().clientKeystore(MINATO))
                .getCertificate(KeyMaterialLayout.CLIENT_ALIAS);
        client.verify(readCaCertificate().getPublicKey());
    }

    @Test
    void clientCertificateNamesCodeAndChainsToCa() throws Exception {
        new DevCredentialGenerator(keys).generate(CODES, List.of());
        X509Certificate ca = readCaCertificate();

        for (MunicipalityCode code : CODES) {
            KeyStore store = TlsMaterial.loadPkcs12(layout().clientKeystore(code));
            assertThat(store.isKeyEntry(KeyMaterialLayout.CLIENT_ALIAS)).isTrue();
            Certificate[] chain = store.getCertificateChain(KeyMaterialLayout.CLIENT_ALIAS);
            assertThat(chain).hasSize(2);
            X509Certificate client = (X509Certificate) chain[0];

            assertThat(client.getSubjectX500Principal()).isEqualTo(new X500Principal("CN=" + code.value()));
            assertThat(client.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
            client.verify(ca.getPublicKey());
            assertThat(chain[1]).isEqualTo(ca);
            assertThat(client.getSigAlgName()).isEqualTo("SHA256withECDSA");
            assertThat(client.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
            assertThat(client.getBasicConstraints()).isEqualTo(-1);
            assertThat(((ECPublicKey) client.getPublicKey()).getParams().getCurve().getField().getFieldSize())
                    .isEqualTo(256);
        }
    }

    @Test
    void caCertificateIsSelfSignedAuthority() throws Exception {
        new DevCredentialGenerator(keys).generate(CODES, List.of());
        X509Certificate ca = readCaCertificate();

        ca.verify(ca.getPublicKey());
        assertThat(ca.getSubjectX500Principal()).isEqualTo(new X500Principal(DevCredentialGenerator.CA_SUBJECT));
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        boolean[] keyUsage = ca.getKeyUsage();
        assertThat(keyUsage[5]).as("keyCertSign").isTrue();
        assertThat(keyUsage[6]).as("cRLSign").isTrue();
        assertThat(keyUsage[0]).as("digitalSignature").isFalse();
        long validityDays = (ca.getNotAfter().getTime() - ca.getNotBefore().getTime()) / 86_400_000L;
        assertThat(validityDays).isBetween(3650L, 3654L);

        KeyStore truststore = TlsMaterial.loadPkcs12(layout().truststore());
        assertThat(truststore.isCertificateEntry(KeyMaterialLayout.CA_ALIAS)).isTrue();
        assertThat(truststore.getCertificate(KeyMaterialLayout.CA_ALIAS)).isEqualTo(ca);
        assertThat(truststore.size()).isEqualTo(1);
    }

    @Test
    void serverCertificateHasNamesAndChain() throws Exception {
        new DevCredentialGenerator(keys).generate(CODES, List.of("window.example.test"));
        X509Certificate ca = readCaCertificate();

        KeyStore store = TlsMaterial.loadPkcs12(layout().serverKeystore());
        Certificate[] chain = store.getCertificateChain(KeyMaterialLayout.SERVER_ALIAS);
        assertThat(chain).hasSize(2);
        X509Certificate server = (X509Certificate) chain[0];
        server.verify(ca.getPublicKey());
        assertThat(server.getSubjectX500Principal()).isEqualTo(new X500Principal("CN=window-server"));
        assertThat(server.getExtendedKeyUsage()).containsExactly(SERVER_AUTH);
        List<List<?>> names = List.copyOf(server.getSubjectAlternativeNames());
        assertThat(names).contains(List.of(SAN_DNS, "localhost"), List.of(SAN_DNS, "window.example.test"),
                List.of(SAN_IP, "127.0.0.1"));
        assertThat(names).anyMatch(name -> name.get(0).equals(SAN_IP) && ((String) name.get(1)).startsWith("0:0:0:0"));
        long validityDays = (server.getNotAfter().getTime() - server.getNotBefore().getTime()) / 86_400_000L;
        assertThat(validityDays).isBetween(730L, 732L);
    }

    @Test
    void privateFilesAreOwnerOnly() throws Exception {
        assumeTrue(keys.getFileSystem().supportedFileAttributeViews().contains("posix"),
                "file system without POSIX permissions");
        new DevCredentialGenerator(keys).generate(CODES, List.of());
        KeyMaterialLayout layout = layout();

        List<Path> privateFiles = Stream.concat(
                Stream.of(layout.caPrivateKey(), layout.serverKeystore(),
                        KeyMaterialLayout.passwordFile(layout.serverKeystore()),
                        KeyMaterialLayout.passwordFile(layout.truststore()), layout.serverPrivateKey(),
                        layout.acceleratorKeystore(), KeyMaterialLayout.passwordFile(layout.acceleratorKeystore()),
                        layout.acceleratorPrivateKey()),
                CODES.stream().flatMap(code -> Stream.of(layout.signingPrivateKey(code), layout.encryptionKeyset(code),
                        layout.clientKeystore(code), KeyMaterialLayout.passwordFile(layout.clientKeystore(code)))))
                .toList();
        for (Path file : privateFiles) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).as(file.toString())
                    .isEqualTo("rw-------");
        }
        assertThat(Files.getPosixFilePermissions(layout.caCertificate()))
                .as("CA certificate is readable by its owner")
                .contains(PosixFilePermission.OWNER_READ);
        assertThat(Files.getPosixFilePermissions(layout.acceleratorCertificate()))
                .as("accelerator certificate is readable by others")
                .contains(PosixFilePermission.OTHERS_READ);
    }

    @Test
    void acceleratorCertificateIsClientCertificateOfCa() throws Exception {
        new DevCredentialGenerator(keys).generate(CODES, List.of());
        X509Certificate ca = readCaCertificate();

        KeyStore store = TlsMaterial.loadPkcs12(layout().acceleratorKeystore());
        assertThat(store.isKeyEntry(KeyMaterialLayout.ACCELERATOR_ALIAS)).isTrue();
        Certificate[] chain = store.getCertificateChain(KeyMaterialLayout.ACCELERATOR_ALIAS);
        assertThat(chain).hasSize(2);
        X509Certificate accelerator = (X509Certificate) chain[0];
        accelerator.verify(ca.getPublicKey());
        assertThat(chain[1]).isEqualTo(ca);
        assertThat(accelerator.getSubjectX500Principal()).isEqualTo(new X500Principal("CN=window-accelerator"));
        assertThat(accelerator.getExtendedKeyUsage()).containsExactly(CLIENT_AUTH);
        assertThat(accelerator.getBasicConstraints()).isEqualTo(-1);
    }

    @Test
    void pemCopiesMatchTheirKeystores() throws Exception {
        new DevCredentialGenerator(keys).generate(CODES, List.of());
        KeyMaterialLayout layout = layout();
        X509Certificate ca = readCaCertificate();
        record Copy(Path store, String alias, Path certificate, Path key) {
        }

        for (Copy copy : List.of(
                new Copy(layout.serverKeystore(), KeyMaterialLayout.SERVER_ALIAS, layout.serverCertificate(),
                        layout.serverPrivateKey()),
                new Copy(layout.acceleratorKeystore(), KeyMaterialLayout.ACCELERATOR_ALIAS,
                        layout.acceleratorCertificate(), layout.acceleratorPrivateKey()))) {
            KeyStore store = TlsMaterial.loadPkcs12(copy.store());
            List<Certificate> pemChain = readCertificates(copy.certificate());
            assertThat(pemChain).as(copy.certificate().toString())
                    .containsExactly(store.getCertificate(copy.alias()), ca);
            assertThat(Files.readString(copy.key(), StandardCharsets.US_ASCII)).as(copy.key().toString())
                    .startsWith("-----BEGIN PRIVATE KEY-----");
            PrivateKey pemKey = SigningKeys.readPrivateKey(copy.key());
            assertThat(pemKey.getEncoded()).as(copy.key().toString())
                    .isEqualTo(store.getKey(copy.alias(), TlsMaterial.password(copy.store())).getEncoded());
        }
    }

    @Test
    void missingPemCopiesAreExportedAgain() throws Exception {
        new DevCredentialGenerator(keys).generate(CODES, List.of());
        Path serverKey = layout().serverPrivateKey();
        Path acceleratorCertificate = layout().acceleratorCertificate();
        byte[] serverKeyBefore = Files.readAllBytes(serverKey);
        byte[] acceleratorCertificateBefore = Files.readAllBytes(acceleratorCertificate);
        Files.delete(serverKey);
        Files.delete(acceleratorCertificate);

        DevCredentialGenerator.Summary summary = new DevCredentialGenerator(keys).generate(CODES, List.of());

        assertThat(summary.createdFiles()).isEqualTo(2);
        assertThat(summary.privateKeys()).isEqualTo(1);
        assertThat(summary.certificates()).isEqualTo(1);
        assertThat(Files.readAllBytes(serverKey)).isEqualTo(serverKeyBefore);
        assertThat(Files.readAllBytes(acceleratorCertificate)).isEqualTo(acceleratorCertificateBefore);
    }

    @Test
    void pemCopyOfAnotherKeystoreIsRejected() throws Exception {
        new DevCredentialGenerator(keys).generate(CODES, List.of());
        Files.copy(layout().serverPrivateKey(), layout().acceleratorPrivateKey(),
                StandardCopyOption.REPLACE_EXISTING);

        assertThatThrownBy(() -> new DevCredentialGenerator(keys).generate(CODES, List.of()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("private key " + layout().acceleratorPrivateKey() + " does not belong to")
                .hasMessageContaining("delete " + layout().acceleratorCertificate() + " and "
                        + layout().acceleratorPrivateKey());
    }

    @Test
    void acceleratorIsAddedToOlderKeysDirectory() throws Exception {
        new DevCredentialGenerator(keys).generate(CODES, List.of());
        KeyMaterialLayout layout = layout();
        for (Path file : List.of(layout.acceleratorKeystore(),
                KeyMaterialLayout.passwordFile(layout.acceleratorKeystore()), layout.acceleratorCertificate(),
                layout.acceleratorPrivateKey(), layout.serverCertificate(), layout.serverPrivateKey())) {
            Files.delete(file);
        }
        byte[] serverKeystoreBefore = Files.readAllBytes(layout.serverKeystore());

        DevCredentialGenerator.Summary summary = new DevCredentialGenerator(keys).generate(CODES, List.of());

        assertThat(summary.createdFiles()).isEqualTo(6);
        assertThat(summary.existingFiles()).isEqualTo(20);
        assertThat(Files.readAllBytes(layout.serverKeystore())).isEqualTo(serverKeystoreBefore);
        Certificate server = TlsMaterial.loadPkcs12(layout.serverKeystore())
                .getCertificate(KeyMaterialLayout.SERVER_ALIAS);
        assertThat(readCertificates(layout.serverCertificate()).get(0)).isEqualTo(server);
    }

    @Test
    void passwordsAreRandomBase64Url() throws Exception {
        new DevCredentialGenerator(keys).generate(CODES, List.of());
        KeyMaterialLayout layout = layout();

        List<String> passwords = Stream.of(layout.truststore(), layout.serverKeystore(), layout.clientKeystore(CHIYODA),
                layout.clientKeystore(MINATO)).map(store -> {
                    try {
                        return Files.readString(KeyMaterialLayout.passwordFile(store), StandardCharsets.US_ASCII);
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                }).toList();
        for (String password : passwords) {
            // 24 bytes give 32 base64 characters without padding.
            assertThat(password).matches("[A-Za-z0-9_-]{32}");
        }
        assertThat(passwords).doesNotHaveDuplicates();
    }

    @Test
    void signingKeysSignAndVerify() throws Exception {
        new DevCredentialGenerator(keys).generate(CODES, List.of());
        byte[] message = "131016_POSTAL_20261204.csv".getBytes(StandardCharsets.US_ASCII);

        PrivateKey privateKey = SigningKeys.readPrivateKey(layout().signingPrivateKey(CHIYODA));
        PublicKey publicKey = SigningKeys.readPublicKey(layout().signingPublicKey(CHIYODA));
        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(privateKey);
        signer.update(message);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(publicKey);
        verifier.update(message);

        assertThat(verifier.verify(signature)).isTrue();
        assertThat(Files.readString(layout().signingPrivateKey(CHIYODA), StandardCharsets.US_ASCII))
                .startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(Files.readString(layout().signingPublicKey(CHIYODA), StandardCharsets.US_ASCII))
                .startsWith("-----BEGIN PUBLIC KEY-----");
        String keyId = SigningKeys.keyId(publicKey);
        assertThat(keyId).matches("[0-9a-f]{16}");
        assertThat(SigningKeys.keyId(SigningKeys.readPublicKey(layout().signingPublicKey(MINATO)))).isNotEqualTo(keyId);
    }

    @Test
    void keysetEncryptsAndDecrypts() throws Exception {
        new DevCredentialGenerator(keys).generate(CODES, List.of());
        StreamingAeadConfig.register();
        String json = Files.readString(layout().encryptionKeyset(CHIYODA), StandardCharsets.UTF_8);
        KeysetHandle handle = TinkJsonProtoKeysetFormat.parseKeyset(json, InsecureSecretKeyAccess.get());
        StreamingAead aead = handle.getPrimitive(RegistryConfiguration.get(), StreamingAead.class);
        byte[] plaintext = "interface file".getBytes(StandardCharsets.US_ASCII);
        byte[] associatedData = CHIYODA.value().getBytes(StandardCharsets.US_ASCII);

        ByteArrayOutputStream ciphertext = new ByteArrayOutputStream();
        try (OutputStream out = aead.newEncryptingStream(ciphertext, associatedData)) {
            out.write(plaintext);
        }
        byte[] decrypted;
        try (InputStream in = aead.newDecryptingStream(new ByteArrayInputStream(ciphertext.toByteArray()),
                associatedData)) {
            decrypted = in.readAllBytes();
        }

        assertThat(decrypted).isEqualTo(plaintext);
        assertThat(json).contains("AesGcmHkdfStreamingKey");
    }

    @Test
    void missingPublicKeyIsDerivedFromPrivateKey() throws Exception {
        new DevCredentialGenerator(keys).generate(CODES, List.of());
        Path publicFile = layout().signingPublicKey(CHIYODA);
        byte[] original = Files.readAllBytes(publicFile);
        Files.delete(publicFile);

        DevCredentialGenerator.Summary summary = new DevCredentialGenerator(keys).generate(CODES, List.of());

        assertThat(summary.createdFiles()).isEqualTo(1);
        assertThat(summary.publicKeys()).isEqualTo(1);
        assertThat(Files.readAllBytes(publicFile)).isEqualTo(original);
    }

    @Test
    void missingCaCertificateIsReissuedFromKey() throws Exception {
        new DevCredentialGenerator(keys).generate(List.of(CHIYODA), List.of());
        X509Certificate client = (X509Certificate) TlsMaterial.loadPkcs12(layout().clientKeystore(CHIYODA))
                .getCertificate(KeyMaterialLayout.CLIENT_ALIAS);
        Files.delete(layout().caCertificate());

        DevCredentialGenerator.Summary summary = new DevCredentialGenerator(keys).generate(List.of(CHIYODA), List.of());

        assertThat(summary.certificates()).isEqualTo(1);
        assertThat(summary.createdFiles()).isEqualTo(1);
        client.verify(readCaCertificate().getPublicKey());
    }

    @Test
    void storeWithoutPasswordFileIsRejected() throws Exception {
        new DevCredentialGenerator(keys).generate(List.of(CHIYODA), List.of());
        Path passwordFile = KeyMaterialLayout.passwordFile(layout().clientKeystore(CHIYODA));
        Files.delete(passwordFile);

        assertThatThrownBy(() -> new DevCredentialGenerator(keys).generate(List.of(CHIYODA), List.of()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(passwordFile.toString())
                .hasMessageContaining("delete " + layout().clientKeystore(CHIYODA));
    }

    @Test
    void caKeyMissingIsRejected() throws Exception {
        new DevCredentialGenerator(keys).generate(List.of(CHIYODA), List.of());
        Files.delete(layout().caPrivateKey());

        assertThatThrownBy(() -> new DevCredentialGenerator(keys).generate(List.of(MINATO), List.of()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(layout().caPrivateKey().toString())
                .hasMessageContaining("is missing");
    }

    @Test
    void invalidServerNameIsRejected() {
        assertThatThrownBy(() -> new DevCredentialGenerator(keys).generate(CODES, List.of("bad name")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'bad name'");
        assertThat(keys).isEmptyDirectory();
    }

    @Test
    void noTemporaryFilesRemain() throws Exception {
        new DevCredentialGenerator(keys).generate(CODES, List.of());

        assertThat(allFiles()).noneMatch(file -> file.getFileName().toString().endsWith(".tmp"));
    }

    private X509Certificate readCaCertificate() throws Exception {
        try (InputStream in = Files.newInputStream(layout().caCertificate())) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static List<Certificate> readCertificates(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
        }
    }

    private List<Path> allFiles() throws IOException {
        try (Stream<Path> files = Files.walk(keys)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private Map<Path, byte[]> contents() throws IOException {
        Map<Path, byte[]> contents = new TreeMap<>();
        for (Path file : allFiles()) {
            contents.put(keys.relativize(file), Files.readAllBytes(file));
        }
        return contents;
    }
}
