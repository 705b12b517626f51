package jp.kouiki.window.security;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Creates development key material in the layout of {@link KeyMaterialLayout}: a CA, a truststore, a server
 * keystore, a client keystore for an accelerator (a TLS-terminating reverse proxy in front of the central server),
 * PEM copies of the server's and the accelerator's chain and key for the accelerator, the union's signing key pair
 * for download manifests, a client keystore for the union's agent in union mode, and for each municipality a client keystore, a signing key pair and a Tink streaming AEAD
 * keyset.
 *
 * <p>All key pairs are EC P-256 and certificates are signed with SHA256withECDSA. Existing files are never
 * overwritten, so calling {@link #generate} again creates only what is missing. Each file is written to a temporary
 * file in the same directory, flushed to disk and renamed, so a crash leaves either the whole file or none.
 * Private keys, keystores with private keys, keysets and password files are created with POSIX permissions 0600
 * where the file system supports them.
 *
 * <p>NOTE: two generators running at the same time on one keys directory may both create the same missing file,
 * and the later rename replaces the earlier file. Run one generator at a time.
 */
public final class DevCredentialGenerator {

    /** Subject of the development CA certificate. */
    public static final String CA_SUBJECT = "CN=Window transfer development CA";
    /** Subject common name of the server certificate. */
    public static final String SERVER_COMMON_NAME = "window-server";
    /** Subject common name of the accelerator's client certificate. */
    public static final String ACCELERATOR_COMMON_NAME = "window-accelerator";
    /**
     * Subject common name of the client certificate of the union's agent. It is not six digits, so it can never name a
     * municipality.
     */
    public static final String UNION_COMMON_NAME = "union";
    /** Number of random bytes in each store password, which is written in base64url without padding. */
    public static final int PASSWORD_BYTES = 24;

    private static final Logger LOG = LoggerFactory.getLogger(DevCredentialGenerator.class);

    private static final String CURVE = "secp256r1";
    private static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
    private static final int CA_VALIDITY_YEARS = 10;
    private static final int LEAF_VALIDITY_YEARS = 2;
    /** Backdating of notBefore, so that a peer whose clock is slightly behind accepts a new certificate. */
    private static final Duration CLOCK_SKEW = Duration.ofHours(1);
    private static final Pattern DNS_NAME = Pattern.compile(
            "(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> WORLD_READABLE = PosixFilePermissions.fromString("rw-r--r--");

    /** Bouncy Castle provider for certificate signing, passed as an object and never added to the global list. */
    private static final Provider BOUNCY_CASTLE = new BouncyCastleProvider();

    private final KeyMaterialLayout layout;
    private final SecureRandom random = new SecureRandom();

    public DevCredentialGenerator(Path keysDirectory) {
        this.layout = new KeyMaterialLayout(keysDirectory);
    }

    /**
     * Numbers of files that one {@link #generate} call created, by kind, and the number of expected files that
     * already existed and were left unchanged.
     */
    public record Summary(int certificates, int privateKeys, int publicKeys, int keystores, int passwordFiles,
                          int keysets, int existingFiles) {

        /** Total number of files created. */
        public int createdFiles() {
            return certificates + privateKeys + publicKeys + keystores + passwordFiles + keysets;
        }
    }

    private enum FileKind { CERTIFICATE, PRIVATE_KEY, PUBLIC_KEY, KEYSTORE, PASSWORD, KEYSET }

    private record Authority(X509Certificate certificate, PrivateKey privateKey) {
    }

    /**
     * Creates the missing key material for the given municipalities.
     *
     * @param codes            municipalities that get a client keystore, signing keys and a keyset
     * @param extraServerNames DNS names for the server certificate besides localhost. They apply only when the
     *                         server keystore is created. For an existing keystore, a warning lists the missing ones.
     * @return numbers of created and existing files
     * @throws IllegalArgumentException when a server name is not a valid DNS name
     * @throws IOException              when a file cannot be read or written, or existing files are inconsistent
     * @throws GeneralSecurityException when key generation, certificate signing or a keystore operation fails
     */
    public Summary generate(Collection<MunicipalityCode> codes, List<String> extraServerNames)
            throws IOException, GeneralSecurityException {
        List<String> serverNames = serverDnsNames(extraServerNames);
        Tally tally = new Tally();

        Authority authority = ensureAuthority(tally);
        ensureTruststore(authority, tally);
        ensureServerKeystore(authority, serverNames, tally);
        ensurePemCopies(layout.serverKeystore(), KeyMaterialLayout.SERVER_ALIAS, layout.serverCertificate(),
                layout.serverPrivateKey(), tally);
        ensureClientKeystore(authority, layout.acceleratorKeystore(), KeyMaterialLayout.ACCELERATOR_ALIAS,
                ACCELERATOR_COMMON_NAME, "accelerator client keystore", tally);
        ensurePemCopies(layout.acceleratorKeystore(), KeyMaterialLayout.ACCELERATOR_ALIAS,
                layout.acceleratorCertificate(), layout.acceleratorPrivateKey(), tally);
        ensureSigningKeys(layout.unionSigningPrivateKey(), layout.unionSigningPublicKey(), "the union", tally);
        ensureClientKeystore(authority, layout.unionClientKeystore(), KeyMaterialLayout.CLIENT_ALIAS,
                UNION_COMMON_NAME, "client keystore of the union's agent", tally);
        for (MunicipalityCode code : new TreeSet<>(codes)) {
            ensureClientKeystore(authority, layout.clientKeystore(code), KeyMaterialLayout.CLIENT_ALIAS, code.value(),
                    "client keystore for municipality " + code, tally);
            ensureSigningKeys(layout.signingPrivateKey(code), layout.signingPublicKey(code), "municipality " + code,
                    tally);
            ensureKeyset(code, tally);
        }
        Summary summary = tally.summary();
        LOG.info("Development credentials ready: keysDirectory={} municipalities={} created={} existing={}",
                layout.root(), codes.size(), summary.createdFiles(), summary.existingFiles());
        return summary;
    }

    /** Counts of created and existing files during one {@link #generate} call. */
    private static final class Tally {

        private final Map<FileKind, Integer> created = new EnumMap<>(FileKind.class);
        private int existing;

        void created(FileKind kind, String description, Path file) {
            created.merge(kind, 1, Integer::sum);
            LOG.debug("Created {} {}", description, file);
        }

        /** Returns true when the file exists, counting it as existing. */
        boolean exists(Path file) {
            if (Files.exists(file)) {
                existing++;
                return true;
            }
            return false;
        }

        Summary summary() {
            return new Summary(count(FileKind.CERTIFICATE), count(FileKind.PRIVATE_KEY), count(FileKind.PUBLIC_KEY),
                    count(FileKind.KEYSTORE), count(FileKind.PASSWORD), count(FileKind.KEYSET), existing);
        }

        private int count(FileKind kind) {
            return created.getOrDefault(kind, 0);
        }
    }

    private static List<String> serverDnsNames(List<String> extraServerNames) {
        Set<String> names = new LinkedHashSet<>();
        names.add("localhost");
        for (String name : extraServerNames) {
            if (name == null || name.length() > 253 || !DNS_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("server name '" + name + "' is not a valid DNS name; "
                        + "use letters, digits, hyphens and dots, such as window.example.lg.jp");
            }
            names.add(name);
        }
        return List.copyOf(names);
    }


    private Authority ensureAuthority(Tally tally) throws IOException, GeneralSecurityException {
        Path keyFile = layout.caPrivateKey();
        Path certificateFile = layout.caCertificate();
        boolean keyExists = tally.exists(keyFile);
        boolean certificateExists = tally.exists(certificateFile);

        if (certificateExists && !keyExists) {
            throw new IOException("CA certificate " + certificateFile + " exists but its private key " + keyFile
                    + " is missing, so no certificate can be issued; delete the keys directory " + layout.root()
                    + " and generate all key material again");
        }
        PrivateKey privateKey;
        if (keyExists) {
            privateKey = SigningKeys.readPrivateKey(keyFile);
        } else {
            // The key is written before the certificate, so a crash between the two leaves a key that is reused.
            KeyPair pair = newKeyPair();
            privateKey = pair.getPrivate();
            writePrivateKey(keyFile, privateKey);
            tally.created(FileKind.PRIVATE_KEY, "CA private key", keyFile);
        }

        X509Certificate certificate;
        if (certificateExists) {
            certificate = readCertificate(certificateFile);
            requireMatchingKey(certificate, privateKey, certificateFile, keyFile);
        } else {
            certificate = issueAuthorityCertificate(privateKey);
            writeAtomically(certificateFile, pem("CERTIFICATE", certificate.getEncoded()), false);
            tally.created(FileKind.CERTIFICATE, "CA certificate", certificateFile);
        }
        return new Authority(certificate, privateKey);
    }

    private X509Certificate issueAuthorityCertificate(PrivateKey privateKey) throws GeneralSecurityException {
        PublicKey publicKey = derivePublicKey(privateKey);
        X500Name subject = new X500Name(CA_SUBJECT);
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, newSerialNumber(),
                notBefore(now), Date.from(now.plusYears(CA_VALIDITY_YEARS).toInstant()), subject, publicKey);
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(publicKey));
        } catch (IOException e) {
            throw new IllegalStateException("failed to encode a CA certificate extension", e);
        }
        return sign(builder, privateKey);
    }


    private void ensureTruststore(Authority authority, Tally tally) throws IOException, GeneralSecurityException {
        Path store = layout.truststore();
        if (storeExists(store, tally)) {
            return;
        }
        char[] password = ensurePassword(store, tally);
        KeyStore keyStore = emptyPkcs12();
        keyStore.setCertificateEntry(KeyMaterialLayout.CA_ALIAS, authority.certificate());
        writeStore(store, keyStore, password, false);
        tally.created(FileKind.KEYSTORE, "truststore", store);
    }

    private void ensureServerKeystore(Authority authority, List<String> dnsNames, Tally tally)
            throws IOException, GeneralSecurityException {
        Path store = layout.serverKeystore();
        if (storeExists(store, tally)) {
            warnAboutMissingServerNames(store, dnsNames);
            return;
        }
        char[] password = ensurePassword(store, tally);
        KeyPair pair = newKeyPair();
        List<GeneralName> names = new ArrayList<>();
        for (String dnsName : dnsNames) {
            names.add(new GeneralName(GeneralName.dNSName, dnsName));
        }
        names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
        names.add(new GeneralName(GeneralName.iPAddress, "::1"));
        X509Certificate certificate = issueLeafCertificate(authority, "CN=" + SERVER_COMMON_NAME, pair.getPublic(),
                KeyPurposeId.id_kp_serverAuth, new GeneralNames(names.toArray(GeneralName[]::new)));
        KeyStore keyStore = emptyPkcs12();
        keyStore.setKeyEntry(KeyMaterialLayout.SERVER_ALIAS, pair.getPrivate(), password,
                new Certificate[] {certificate, authority.certificate()});
        writeStore(store, keyStore, password, true);
        tally.created(FileKind.KEYSTORE, "server keystore for " + dnsNames + ", 127.0.0.1 and ::1", store);
    }

    private void warnAboutMissingServerNames(Path store, List<String> dnsNames)
            throws IOException, GeneralSecurityException {
        Certificate certificate = TlsMaterial.loadPkcs12(store).getCertificate(KeyMaterialLayout.SERVER_ALIAS);
        if (!(certificate instanceof X509Certificate x509)) {
            throw new IOException("server keystore " + store + " has no certificate under alias '"
                    + KeyMaterialLayout.SERVER_ALIAS + "'; delete it and its password file to create it again");
        }
        Set<String> present = new LinkedHashSet<>();
        Collection<List<?>> alternativeNames = x509.getSubjectAlternativeNames();
        if (alternativeNames != null) {
            for (List<?> entry : alternativeNames) {
                if (Integer.valueOf(GeneralName.dNSName).equals(entry.get(0))) {
                    present.add(String.valueOf(entry.get(1)));
                }
            }
        }
        List<String> missing = dnsNames.stream().filter(name -> !present.contains(name)).toList();
        if (!missing.isEmpty()) {
            LOG.warn("Server keystore {} exists and lacks the DNS names {}, so they were not added; delete it and {}"
                    + " to create a new server certificate", store, missing, KeyMaterialLayout.passwordFile(store));
        }
    }

    /** Creates a keystore with a TLS client certificate (extended key usage clientAuth) for the common name. */
    private void ensureClientKeystore(Authority authority, Path store, String alias, String commonName,
                                      String description, Tally tally) throws IOException, GeneralSecurityException {
        if (storeExists(store, tally)) {
            return;
        }
        char[] password = ensurePassword(store, tally);
        KeyPair pair = newKeyPair();
        X509Certificate certificate = issueLeafCertificate(authority, "CN=" + commonName, pair.getPublic(),
                KeyPurposeId.id_kp_clientAuth, null);
        KeyStore keyStore = emptyPkcs12();
        keyStore.setKeyEntry(alias, pair.getPrivate(), password,
                new Certificate[] {certificate, authority.certificate()});
        writeStore(store, keyStore, password, true);
        tally.created(FileKind.KEYSTORE, description, store);
    }

    /**
     * Exports a keystore's certificate chain and private key as PEM files for programs such as nginx that do not
     * read PKCS12. A missing copy is exported again from the keystore. An existing copy that does not match the
     * keystore raises an IOException that names the files to delete.
     */
    private static void ensurePemCopies(Path store, String alias, Path certificateFile, Path keyFile, Tally tally)
            throws IOException, GeneralSecurityException {
        boolean certificateExists = tally.exists(certificateFile);
        boolean keyExists = tally.exists(keyFile);
        KeyStore keyStore = TlsMaterial.loadPkcs12(store);
        char[] password = TlsMaterial.password(store);
        Key key;
        try {
            key = keyStore.getKey(alias, password);
        } finally {
            Arrays.fill(password, '\0');
        }
        Certificate[] chain = keyStore.getCertificateChain(alias);
        if (!(key instanceof PrivateKey privateKey) || chain == null || !(chain[0] instanceof X509Certificate leaf)) {
            throw new IOException("store " + store + " has no private key entry '" + alias + "'; delete it and its"
                    + " password file to create it again");
        }
        String deleteHint = "; delete " + certificateFile + " and " + keyFile + " to export both again from " + store;

        if (certificateExists) {
            if (!readCertificate(certificateFile).equals(leaf)) {
                throw new IOException("certificate " + certificateFile + " is not the certificate of store " + store
                        + deleteHint);
            }
        } else {
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            for (Certificate certificate : chain) {
                text.write(pem("CERTIFICATE", certificate.getEncoded()));
            }
            writeAtomically(certificateFile, text.toByteArray(), false);
            tally.created(FileKind.CERTIFICATE, "PEM certificate chain of " + store, certificateFile);
        }

        if (keyExists) {
            PublicKey publicKey = derivePublicKey(SigningKeys.readPrivateKey(keyFile));
            if (!Arrays.equals(publicKey.getEncoded(), leaf.getPublicKey().getEncoded())) {
                throw new IOException("private key " + keyFile + " does not belong to the certificate of store " + store
                        + deleteHint);
            }
        } else {
            writePrivateKey(keyFile, privateKey);
            tally.created(FileKind.PRIVATE_KEY, "PEM private key of " + store, keyFile);
        }
    }

    /** Returns true when the store exists, after checking that its password file exists too. */
    private static boolean storeExists(Path store, Tally tally) throws IOException {
        if (!tally.exists(store)) {
            return false;
        }
        Path passwordFile = KeyMaterialLayout.passwordFile(store);
        if (!tally.exists(passwordFile)) {
            throw new IOException("store " + store + " exists but its password file " + passwordFile
                    + " is missing, so the store cannot be opened; delete " + store + " to create it again");
        }
        return true;
    }

    /**
     * Returns the password of a store that is about to be created, reusing the password file when a crash left it
     * without its store.
     */
    private char[] ensurePassword(Path store, Tally tally) throws IOException {
        Path file = KeyMaterialLayout.passwordFile(store);
        if (tally.exists(file)) {
            return TlsMaterial.password(store);
        }
        byte[] secret = new byte[PASSWORD_BYTES];
        random.nextBytes(secret);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        Arrays.fill(secret, (byte) 0);
        writeAtomically(file, password.getBytes(StandardCharsets.US_ASCII), true);
        tally.created(FileKind.PASSWORD, "password file", file);
        return password.toCharArray();
    }

    private static KeyStore emptyPkcs12() throws IOException, GeneralSecurityException {
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, null);
        return keyStore;
    }

    private static void writeStore(Path file, KeyStore keyStore, char[] password, boolean ownerOnly)
            throws IOException, GeneralSecurityException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        keyStore.store(out, password);
        Arrays.fill(password, '\0');
        writeAtomically(file, out.toByteArray(), ownerOnly);
    }


    /** The ids of a municipality's signing key before and after a rotation. */
    public record SigningKeyRotation(String previousKeyId, String newKeyId, Path previousPublicKey) {
    }

    /**
     * Replaces a municipality's signing key pair with a new one. The previous public key stays beside the new one as
     * {@code signing-public-<keyId>.pem}, so that a receiver given this folder still verifies files signed before the
     * rotation. The private key is written before the public key; a crash between the two leaves a private key
     * whose public key is derived again by the next run of {@link #generate}.
     */
    public SigningKeyRotation rotateSigningKey(MunicipalityCode code) throws IOException, GeneralSecurityException {
        Path privateFile = layout.signingPrivateKey(code);
        Path publicFile = layout.signingPublicKey(code);
        PublicKey previous = derivePublicKey(SigningKeys.readPrivateKey(privateFile));
        String previousId = SigningKeys.keyId(previous);
        Path kept = publicFile.resolveSibling("signing-public-" + previousId + ".pem");
        writeAtomically(kept, pem("PUBLIC KEY", previous.getEncoded()), false);
        KeyPair pair = newKeyPair();
        writePrivateKey(privateFile, pair.getPrivate());
        writeAtomically(publicFile, pem("PUBLIC KEY", pair.getPublic().getEncoded()), false);
        String newId = SigningKeys.keyId(pair.getPublic());
        LOG.info("Signing key rotated: municipality={} previousKeyId={} newKeyId={}", code, previousId, newId);
        return new SigningKeyRotation(previousId, newId, kept);
    }

    private void ensureSigningKeys(Path privateFile, Path publicFile, String owner, Tally tally)
            throws IOException, GeneralSecurityException {
        boolean privateExists = tally.exists(privateFile);
        boolean publicExists = tally.exists(publicFile);
        if (publicExists && !privateExists) {
            throw new IOException("signing public key " + publicFile + " exists but its private key " + privateFile
                    + " is missing; delete " + publicFile + " to create a new key pair, and give the new public key"
                    + " to every receiver that verifies signatures of " + owner);
        }
        PrivateKey privateKey;
        if (privateExists) {
            if (publicExists) {
                return;
            }
            // The private key is written first, so a crash between the two writes leaves it without its public key.
            privateKey = SigningKeys.readPrivateKey(privateFile);
        } else {
            privateKey = newKeyPair().getPrivate();
            writePrivateKey(privateFile, privateKey);
            tally.created(FileKind.PRIVATE_KEY, "signing private key for " + owner, privateFile);
        }
        PublicKey publicKey = derivePublicKey(privateKey);
        writeAtomically(publicFile, pem("PUBLIC KEY", publicKey.getEncoded()), false);
        tally.created(FileKind.PUBLIC_KEY, "signing public key " + SigningKeys.keyId(publicKey)
                + " for " + owner, publicFile);
    }

    private void ensureKeyset(MunicipalityCode code, Tally tally) throws IOException, GeneralSecurityException {
        Path file = layout.encryptionKeyset(code);
        if (tally.exists(file)) {
            return;
        }
        StreamingAeadConfig.register();
        KeysetHandle handle = KeysetHandle.generateNew(PayloadCipher.newKeyParameters());
        String json = TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get());
        writeAtomically(file, json.getBytes(StandardCharsets.UTF_8), true);
        tally.created(FileKind.KEYSET, "Tink AES-256-GCM-HKDF streaming keyset (64 KiB segments) for municipality " + code, file);
    }


    private KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec(CURVE), random);
        return generator.generateKeyPair();
    }

    /** Computes the P-256 public key Q = dG of a private key, for keys whose public half was never written. */
    static PublicKey derivePublicKey(PrivateKey privateKey) throws GeneralSecurityException {
        X9ECParameters curve = ECNamedCurveTable.getByName(CURVE);
        if (!(privateKey instanceof ECPrivateKey ecKey)
                || !ecKey.getParams().getOrder().equals(curve.getN())) {
            throw new GeneralSecurityException("private key of algorithm " + privateKey.getAlgorithm()
                    + " is not an EC " + CURVE + " key; the development key material uses P-256 only");
        }
        org.bouncycastle.math.ec.ECPoint point = curve.getG().multiply(ecKey.getS()).normalize();
        ECPoint q = new ECPoint(point.getAffineXCoord().toBigInteger(), point.getAffineYCoord().toBigInteger());
        return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(q, ecKey.getParams()));
    }

    private X509Certificate issueLeafCertificate(Authority authority, String subject, PublicKey publicKey,
                                                 KeyPurposeId purpose, GeneralNames alternativeNames)
            throws GeneralSecurityException {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(authority.certificate(), newSerialNumber(),
                notBefore(now), Date.from(now.plusYears(LEAF_VALIDITY_YEARS).toInstant()), new X500Name(subject),
                publicKey);
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            builder.addExtension(Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(publicKey));
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    extensions.createAuthorityKeyIdentifier(authority.certificate().getPublicKey()));
            if (alternativeNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, alternativeNames);
            }
        } catch (IOException e) {
            throw new IllegalStateException("failed to encode a certificate extension for " + subject, e);
        }
        return sign(builder, authority.privateKey());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey issuerKey)
            throws GeneralSecurityException {
        ContentSigner signer;
        try {
            signer = new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).setProvider(BOUNCY_CASTLE).build(issuerKey);
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("failed to create a " + SIGNATURE_ALGORITHM + " signer", e);
        }
        X509CertificateHolder holder = builder.build(signer);
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    private static Date notBefore(ZonedDateTime now) {
        return Date.from(now.toInstant().minus(CLOCK_SKEW));
    }

    /** Returns a positive random 159-bit serial number, which fits the 20-octet maximum of X.509 serial numbers. */
    private BigInteger newSerialNumber() {
        return new BigInteger(159, random).setBit(158);
    }

    private static X509Certificate readCertificate(Path file) throws IOException, GeneralSecurityException {
        Object object;
        try (PEMParser parser = new PEMParser(Files.newBufferedReader(file, StandardCharsets.ISO_8859_1))) {
            object = parser.readObject();
        }
        if (!(object instanceof X509CertificateHolder holder)) {
            throw new IOException("file " + file + " does not start with a PEM certificate (BEGIN CERTIFICATE)");
        }
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    /** Checks with a test signature that the CA private key belongs to the CA certificate. */
    private void requireMatchingKey(X509Certificate certificate, PrivateKey privateKey, Path certificateFile,
                                    Path keyFile) throws IOException, GeneralSecurityException {
        byte[] probe = "key pair check".getBytes(StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance(SIGNATURE_ALGORITHM);
        signer.initSign(privateKey);
        signer.update(probe);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(SIGNATURE_ALGORITHM);
        verifier.initVerify(certificate.getPublicKey());
        verifier.update(probe);
        if (!verifier.verify(signature)) {
            throw new IOException("CA private key " + keyFile + " does not belong to CA certificate " + certificateFile
                    + "; delete the keys directory " + layout.root() + " and generate all key material again");
        }
    }


    private static void writePrivateKey(Path file, PrivateKey privateKey) throws IOException {
        if (!"PKCS#8".equals(privateKey.getFormat())) {
            throw new IllegalStateException("private key of provider class " + privateKey.getClass().getName()
                    + " encodes as " + privateKey.getFormat() + " where PKCS#8 is expected");
        }
        writeAtomically(file, pem("PRIVATE KEY", privateKey.getEncoded()), true);
    }

    private static byte[] pem(String type, byte[] der) throws IOException {
        StringWriter text = new StringWriter();
        try (PemWriter writer = new PemWriter(text)) {
            writer.writeObject(new PemObject(type, der));
        }
        return text.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Writes a new file through a temporary file in the same directory that is flushed to disk and then renamed,
     * so that the target either does not exist or is complete. The temporary file is created with permissions 0600
     * (ownerOnly) or 0644 before the umask where the file system supports POSIX permissions.
     */
    private static void writeAtomically(Path target, byte[] content, boolean ownerOnly) throws IOException {
        Path directory = target.toAbsolutePath().getParent();
        Files.createDirectories(directory);
        FileAttribute<?>[] attributes = new FileAttribute<?>[0];
        if (directory.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            attributes = new FileAttribute<?>[] {
                    PosixFilePermissions.asFileAttribute(ownerOnly ? OWNER_ONLY : WORLD_READABLE)};
        }
        Path temporary = Files.createTempFile(directory, "." + target.getFileName(), ".tmp", attributes);
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
    }
}
