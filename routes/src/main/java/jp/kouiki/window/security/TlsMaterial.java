package jp.kouiki.window.security;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.apache.camel.support.jsse.ClientAuthentication;
import org.apache.camel.support.jsse.KeyManagersParameters;
import org.apache.camel.support.jsse.KeyStoreParameters;
import org.apache.camel.support.jsse.SSLContextClientParameters;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.apache.camel.support.jsse.SSLContextServerParameters;
import org.apache.camel.support.jsse.SecureSocketProtocolsParameters;
import org.apache.camel.support.jsse.TrustManagersParameters;

/**
 * Builds TLS configuration for mutual TLS from the PKCS12 stores and password files of {@link KeyMaterialLayout}.
 */
public final class TlsMaterial {

    /** The TLS versions that the Camel parameters enable, in order of preference. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private static final String STORE_TYPE = "PKCS12";
    private static final String CREATE_HINT =
            "create the development key material with the dev-credentials command (DevCredentialsCommand --keys-dir DIR)";

    private TlsMaterial() {
    }

    /** Reads the password of a PKCS12 store from its password file, see {@link KeyMaterialLayout#passwordFile(Path)}. */
    public static char[] password(Path store) throws IOException {
        Path file = KeyMaterialLayout.passwordFile(store);
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null,
                    "password file of store " + store + " is missing; " + CREATE_HINT);
        }
        // The generator writes base64url text without a line break, and strip() also accepts a hand-edited file.
        String text = new String(content, StandardCharsets.US_ASCII).strip();
        Arrays.fill(content, (byte) 0);
        if (text.isEmpty()) {
            throw new IOException("password file " + file + " is empty; delete it and " + store
                    + ", then run the dev-credentials command again to create both");
        }
        return text.toCharArray();
    }

    /** Loads a PKCS12 store with the password from its password file. */
    public static KeyStore loadPkcs12(Path store) throws IOException, GeneralSecurityException {
        requireStore(store);
        char[] password = password(store);
        try (InputStream in = Files.newInputStream(store)) {
            KeyStore keyStore = KeyStore.getInstance(STORE_TYPE);
            keyStore.load(in, password);
            return keyStore;
        } catch (IOException e) {
            throw new IOException("failed to load PKCS12 store " + store + " with the password in "
                    + KeyMaterialLayout.passwordFile(store) + ": " + e.getMessage()
                    + "; check that the password file belongs to this store", e);
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    /**
     * Returns Camel parameters for a TLS server that requires a client certificate issued by a CA in the truststore.
     * Only {@link #PROTOCOLS} are enabled.
     */
    public static SSLContextParameters serverParameters(Path keystore, Path truststore) throws IOException {
        SSLContextParameters parameters = commonParameters(keystore, truststore);
        SSLContextServerParameters server = new SSLContextServerParameters();
        server.setClientAuthentication(ClientAuthentication.REQUIRE.name());
        parameters.setServerParameters(server);
        return parameters;
    }

    /**
     * Returns Camel parameters for a TLS server that requests no client certificate, for ports where people sign in
     * with a password instead. Only {@link #PROTOCOLS} are enabled.
     */
    public static SSLContextParameters serverParametersWithoutClientCertificate(Path keystore, Path truststore)
            throws IOException {
        SSLContextParameters parameters = commonParameters(keystore, truststore);
        SSLContextServerParameters server = new SSLContextServerParameters();
        server.setClientAuthentication(ClientAuthentication.NONE.name());
        parameters.setServerParameters(server);
        return parameters;
    }

    /**
     * Returns Camel parameters for a TLS client that presents the certificate in the keystore and trusts servers
     * whose certificate chains to a CA in the truststore. Only {@link #PROTOCOLS} are enabled.
     */
    public static SSLContextParameters clientParameters(Path keystore, Path truststore) throws IOException {
        SSLContextParameters parameters = commonParameters(keystore, truststore);
        parameters.setClientParameters(new SSLContextClientParameters());
        return parameters;
    }

    /**
     * Builds a client {@link SSLContext} with the JDK's own key and trust manager factories, for clients such as
     * {@code java.net.http.HttpClient}. The context itself does not limit the protocol versions. JDK 17 disables
     * TLS 1.0 and 1.1 by default (security property {@code jdk.tls.disabledAlgorithms}), and a caller that needs
     * exactly {@link #PROTOCOLS} sets them through {@code SSLParameters}.
     */
    public static SSLContext clientContext(Path keystore, Path truststore) throws IOException, GeneralSecurityException {
        KeyStore keys = loadPkcs12(keystore);
        KeyStore trusted = loadPkcs12(truststore);
        char[] password = password(keystore);
        try {
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, password);
            TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
            return context;
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private static SSLContextParameters commonParameters(Path keystore, Path truststore) throws IOException {
        requireStore(keystore);
        requireStore(truststore);
        String keystorePassword = new String(password(keystore));
        String truststorePassword = new String(password(truststore));

        KeyManagersParameters keyManagers = new KeyManagersParameters();
        keyManagers.setKeyStore(storeParameters(keystore, keystorePassword));
        keyManagers.setKeyPassword(keystorePassword);

        TrustManagersParameters trustManagers = new TrustManagersParameters();
        trustManagers.setKeyStore(storeParameters(truststore, truststorePassword));

        SecureSocketProtocolsParameters protocols = new SecureSocketProtocolsParameters();
        protocols.setSecureSocketProtocol(PROTOCOLS);

        SSLContextParameters parameters = new SSLContextParameters();
        parameters.setKeyManagers(keyManagers);
        parameters.setTrustManagers(trustManagers);
        // The JDK's "TLS" context supports TLS 1.3 and 1.2. The protocol list below limits the enabled versions.
        parameters.setSecureSocketProtocol("TLS");
        parameters.setSecureSocketProtocols(protocols);
        return parameters;
    }

    private static KeyStoreParameters storeParameters(Path store, String password) {
        KeyStoreParameters parameters = new KeyStoreParameters();
        parameters.setType(STORE_TYPE);
        parameters.setResource("file:" + store.toAbsolutePath());
        parameters.setPassword(password);
        return parameters;
    }

    private static void requireStore(Path store) throws NoSuchFileException {
        if (!Files.isRegularFile(store)) {
            throw new NoSuchFileException(store.toString(), null, "PKCS12 store is missing; " + CREATE_HINT);
        }
    }
}
