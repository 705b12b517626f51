package jp.kouiki.window.central;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.servlet.http.HttpServletRequest;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.TlsMaterial;

/**
 * Checks which certificate identifies the caller, on direct connections and on connections from an accelerator. The
 * certificates are real ones from the development generator: one key set for the union and a second, foreign one whose
 * CA the union does not trust. The servlet request is a small stand-in that carries the TLS attribute and headers.
 */
class CallerIdentityTest {

    private static final String HEADER = "X-Client-Certificate";
    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");

    @TempDir
    static Path keys;

    @TempDir
    static Path foreignKeys;

    private static X509Certificate chiyoda;
    private static X509Certificate accelerator;
    private static X509Certificate server;
    private static X509Certificate foreignChiyoda;
    private static KeyStore truststore;

    @BeforeAll
    static void generateCertificates() throws Exception {
        new DevCredentialGenerator(keys).generate(List.of(CHIYODA), List.of());
        new DevCredentialGenerator(foreignKeys).generate(List.of(CHIYODA), List.of());
        KeyMaterialLayout layout = new KeyMaterialLayout(keys);
        chiyoda = certificate(layout.clientKeystore(CHIYODA), KeyMaterialLayout.CLIENT_ALIAS);
        accelerator = certificate(layout.acceleratorKeystore(), KeyMaterialLayout.ACCELERATOR_ALIAS);
        server = certificate(layout.serverKeystore(), KeyMaterialLayout.SERVER_ALIAS);
        foreignChiyoda = certificate(new KeyMaterialLayout(foreignKeys).clientKeystore(CHIYODA),
                KeyMaterialLayout.CLIENT_ALIAS);
        truststore = TlsMaterial.loadPkcs12(layout.truststore());
    }

    @Test
    void directConnectionIsItsOwnCertificate() throws Exception {
        X509Certificate caller = identity().certificate(request(chiyoda, Map.of()));

        assertThat(caller).isEqualTo(chiyoda);
    }

    @Test
    void directConnectionWithHeaderIsRejected() {
        assertThatThrownBy(() -> identity().certificate(request(chiyoda, Map.of(HEADER, List.of(escaped(chiyoda))))))
                .isInstanceOfSatisfying(WindowHttpException.class, e -> assertThat(e.status()).isEqualTo(403))
                .hasMessageContaining("only from the configured accelerator");
    }

    @Test
    void connectionWithoutCertificateIsUnauthorised() {
        assertThatThrownBy(() -> identity().certificate(request(null, Map.of())))
                .isInstanceOfSatisfying(WindowHttpException.class, e -> assertThat(e.status()).isEqualTo(401));
    }

    @Test
    void acceleratorForwardsMunicipalityCertificate() throws Exception {
        X509Certificate caller = identity().certificate(request(accelerator,
                Map.of(HEADER, List.of(escaped(chiyoda)))));

        assertThat(caller).isEqualTo(chiyoda);
    }

    @Test
    void acceleratorWithoutHeaderIsUnauthorised() {
        assertThatThrownBy(() -> identity().certificate(request(accelerator, Map.of())))
                .isInstanceOfSatisfying(WindowHttpException.class, e -> assertThat(e.status()).isEqualTo(401));
    }

    @Test
    void acceleratorRepeatedHeaderIsRejected() {
        assertThatThrownBy(() -> identity().certificate(request(accelerator,
                Map.of(HEADER, List.of(escaped(chiyoda), escaped(chiyoda))))))
                .isInstanceOfSatisfying(WindowHttpException.class, e -> assertThat(e.status()).isEqualTo(400))
                .hasMessageContaining("appears 2 times");
    }

    @Test
    void acceleratorHeaderThatIsNoCertificateIsRejected() {
        assertThatThrownBy(() -> identity().certificate(request(accelerator, Map.of(HEADER, List.of("%ZZnot-pem")))))
                .isInstanceOfSatisfying(WindowHttpException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void acceleratorForeignCertificateIsForbidden() {
        assertThatThrownBy(() -> identity().certificate(request(accelerator,
                Map.of(HEADER, List.of(escaped(foreignChiyoda))))))
                .isInstanceOfSatisfying(WindowHttpException.class, e -> assertThat(e.status()).isEqualTo(403))
                .hasMessageContaining("does not validate against the window server's truststore");
    }

    @Test
    void acceleratorServerCertificateIsForbidden() {
        assertThatThrownBy(() -> identity().certificate(request(accelerator, Map.of(HEADER, List.of(escaped(server))))))
                .isInstanceOfSatisfying(WindowHttpException.class, e -> assertThat(e.status()).isEqualTo(403))
                .hasMessageContaining("is not a TLS client certificate");
    }

    private static CallerIdentity identity() throws Exception {
        return new CallerIdentity(Set.of(CallerIdentity.fingerprint(accelerator)), HEADER, truststore);
    }

    private static X509Certificate certificate(Path keystore, String alias) throws Exception {
        return (X509Certificate) TlsMaterial.loadPkcs12(keystore).getCertificate(alias);
    }

    /** Returns the certificate as URL-encoded PEM, as nginx's $ssl_client_escaped_cert forwards it. */
    private static String escaped(X509Certificate certificate) throws Exception {
        String pem = "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(certificate.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
        return URLEncoder.encode(pem, StandardCharsets.US_ASCII).replace("+", "%20");
    }

    /** Returns a request whose TLS client certificate is {@code tls} (none when null), with the given headers. */
    private static HttpServletRequest request(X509Certificate tls, Map<String, List<String>> headers) {
        return (HttpServletRequest) Proxy.newProxyInstance(CallerIdentityTest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, method, arguments) -> switch (method.getName()) {
                    case "getAttribute" -> "jakarta.servlet.request.X509Certificate".equals(arguments[0]) && tls != null
                            ? new X509Certificate[] {tls} : null;
                    case "getHeaders" -> Collections.enumeration(headers.getOrDefault((String) arguments[0],
                            List.of()));
                    case "getRequestURI" -> "/window/v1/municipalities/131016/uploads";
                    case "getMethod" -> "POST";
                    case "toString" -> "test request";
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == arguments[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
