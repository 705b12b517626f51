package jp.kouiki.window.security;

import java.nio.file.Path;
import java.util.Objects;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * File locations of the development key material under one keys directory.
 *
 * <pre>
 * ca/ca.crt, ca/ca.key                          CA certificate (PEM) and private key (PKCS#8 PEM)
 * truststore.p12                                PKCS12 with the CA certificate as trusted entry "window-ca"
 * server/server.p12                             PKCS12 with key entry "server" and chain [server, CA]
 * server/server.crt, server/server.key          PEM copies of the server chain and private key (PKCS#8), for a
 *                                               TLS-terminating reverse proxy (accelerator) in front of the server
 * accelerator/accelerator.p12                   PKCS12 with key entry "accelerator" and chain [accelerator, CA]
 * accelerator/accelerator.crt, .key             PEM copies of the accelerator chain and private key (PKCS#8)
 * municipalities/CODE/client.p12                PKCS12 with key entry "client" and chain [client, CA]
 * municipalities/CODE/signing-private.pem       signing private key (PKCS#8 PEM)
 * municipalities/CODE/signing-public.pem        signing public key (SubjectPublicKeyInfo PEM)
 * municipalities/CODE/keyset.json               Tink streaming AEAD keyset (cleartext JSON)
 * union/signing-private.pem                     the union's signing private key, which signs download manifests
 * union/signing-public.pem                      its public key, which agents use to check downloads
 * union/client.p12                              PKCS12 with key entry "client" and chain [union agent, CA], the
 *                                               client certificate of the union's agent in union mode
 * </pre>
 *
 * Each PKCS12 store has its own password in a file next to it, see {@link #passwordFile(Path)}.
 */
public final class KeyMaterialLayout {

    /** Alias of the CA certificate in the truststore. */
    public static final String CA_ALIAS = "window-ca";
    /** Alias of the key entry in the server keystore. */
    public static final String SERVER_ALIAS = "server";
    /** Alias of the key entry in each municipality's client keystore. */
    public static final String CLIENT_ALIAS = "client";
    /** Alias of the key entry in the accelerator's client keystore. */
    public static final String ACCELERATOR_ALIAS = "accelerator";

    private final Path root;

    public KeyMaterialLayout(Path keysDirectory) {
        this.root = Objects.requireNonNull(keysDirectory, "keysDirectory");
    }

    /** Returns the keys directory that all other paths are resolved against. */
    public Path root() {
        return root;
    }

    public Path caCertificate() {
        return root.resolve("ca").resolve("ca.crt");
    }

    public Path caPrivateKey() {
        return root.resolve("ca").resolve("ca.key");
    }

    public Path truststore() {
        return root.resolve("truststore.p12");
    }

    public Path serverKeystore() {
        return root.resolve("server").resolve("server.p12");
    }

    /** Returns the PEM file with the server certificate followed by the CA certificate. */
    public Path serverCertificate() {
        return root.resolve("server").resolve("server.crt");
    }

    /** Returns the PKCS#8 PEM file with the server's private key. */
    public Path serverPrivateKey() {
        return root.resolve("server").resolve("server.key");
    }

    /** Returns the client keystore of the accelerator, the reverse proxy that forwards municipalities' requests. */
    public Path acceleratorKeystore() {
        return root.resolve("accelerator").resolve("accelerator.p12");
    }

    /** Returns the PEM file with the accelerator's client certificate followed by the CA certificate. */
    public Path acceleratorCertificate() {
        return root.resolve("accelerator").resolve("accelerator.crt");
    }

    /** Returns the PKCS#8 PEM file with the accelerator's private key. */
    public Path acceleratorPrivateKey() {
        return root.resolve("accelerator").resolve("accelerator.key");
    }

    /** Returns the directory that contains one municipality's client keystore, signing keys and keyset. */
    public Path municipalityDirectory(MunicipalityCode code) {
        return root.resolve("municipalities").resolve(code.value());
    }

    public Path clientKeystore(MunicipalityCode code) {
        return municipalityDirectory(code).resolve("client.p12");
    }

    public Path signingPrivateKey(MunicipalityCode code) {
        return municipalityDirectory(code).resolve("signing-private.pem");
    }

    public Path signingPublicKey(MunicipalityCode code) {
        return municipalityDirectory(code).resolve("signing-public.pem");
    }

    public Path encryptionKeyset(MunicipalityCode code) {
        return municipalityDirectory(code).resolve("keyset.json");
    }

    /**
     * Returns the union's signing private key (PKCS#8 PEM): the central server needs it when it delivers into local
     * union folders, the union's agent when the union runs in union mode.
     */
    public Path unionSigningPrivateKey() {
        return root.resolve("union").resolve("signing-private.pem");
    }

    /** Returns the union's signing public key (SubjectPublicKeyInfo PEM), which every agent needs. */
    public Path unionSigningPublicKey() {
        return root.resolve("union").resolve("signing-public.pem");
    }

    /** Returns the client keystore of the union's agent, which pulls and sends files for the union in union mode. */
    public Path unionClientKeystore() {
        return root.resolve("union").resolve("client.p12");
    }

    /** Returns the file holding the password of a PKCS12 store: the store's path with ".password" appended. */
    public static Path passwordFile(Path store) {
        Path fileName = store.getFileName();
        if (fileName == null) {
            throw new IllegalArgumentException("store path '" + store + "' has no file name; pass the path of a .p12 file");
        }
        return store.resolveSibling(fileName + ".password");
    }
}
