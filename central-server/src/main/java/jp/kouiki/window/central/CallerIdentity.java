package jp.kouiki.window.central;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import jakarta.servlet.http.HttpServletRequest;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the client certificate that identifies the caller of a window request.
 *
 * <p>On a direct connection it is the TLS client certificate. The window server can also run behind an accelerator,
 * a TLS-terminating reverse proxy that connects with its own client certificate and forwards the municipality's
 * client certificate as URL-encoded PEM in a request header. That header is honoured only on a connection whose TLS
 * client certificate has one of the configured accelerator fingerprints. The forwarded certificate must then chain to
 * a CA of the server's truststore (PKIX, without revocation checking) and be a TLS client certificate. Any other
 * connection that sends the header is rejected with 403, so a municipality cannot claim another one's certificate.
 */
final class CallerIdentity {

    private static final Logger LOG = LoggerFactory.getLogger(CallerIdentity.class);
    private static final String CERTIFICATE_ATTRIBUTE = "jakarta.servlet.request.X509Certificate";
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";
    private static final int DIGITAL_SIGNATURE = 0;

    private final Set<String> acceleratorFingerprints;
    private final String header;
    private final Set<TrustAnchor> trustAnchors;

    /**
     * @param acceleratorFingerprints SHA-256 fingerprints of the accelerator's client certificates, lowercase hex
     *                                without colons; empty when no accelerator is in front of the server
     * @param header                  request header in which the accelerator forwards the client certificate
     * @param truststore              the window server's truststore, whose certificate entries are the trust anchors
     */
    CallerIdentity(Set<String> acceleratorFingerprints, String header, KeyStore truststore) throws KeyStoreException {
        this.acceleratorFingerprints = Set.copyOf(acceleratorFingerprints);
        this.header = header;
        Set<TrustAnchor> anchors = new HashSet<>();
        for (String alias : Collections.list(truststore.aliases())) {
            if (truststore.isCertificateEntry(alias)
                    && truststore.getCertificate(alias) instanceof X509Certificate certificate) {
                anchors.add(new TrustAnchor(certificate, null));
            }
        }
        if (!this.acceleratorFingerprints.isEmpty() && anchors.isEmpty()) {
            throw new KeyStoreException("the truststore has no trusted certificate entry, so no certificate that the"
                    + " accelerator forwards can be checked; add the CA that issues municipalities' certificates");
        }
        this.trustAnchors = Set.copyOf(anchors);
        if (!this.acceleratorFingerprints.isEmpty()) {
            LOG.info("Accelerator configured: certificates={} header={}", this.acceleratorFingerprints.size(), header);
        }
    }

    /**
     * Returns the certificate that identifies the caller: the TLS client certificate, or on a connection from the
     * accelerator the checked certificate in the forwarding header.
     *
     * @throws WindowHttpException 401 without a certificate, 403 for the header on a connection that is not from the
     *                             accelerator or for a forwarded certificate that fails the checks, 400 for a header
     *                             that is not one PEM certificate
     */
    X509Certificate certificate(HttpServletRequest request) throws WindowHttpException {
        Object attribute = request.getAttribute(CERTIFICATE_ATTRIBUTE);
        if (!(attribute instanceof X509Certificate[] chain) || chain.length == 0) {
            throw new WindowHttpException(401, "no client certificate was presented",
                    "connect with the municipality's client certificate");
        }
        X509Certificate connection = chain[0];
        List<String> forwarded = Collections.list(request.getHeaders(header));
        if (!acceleratorFingerprints.contains(fingerprint(connection))) {
            if (!forwarded.isEmpty()) {
                LOG.warn("Forwarded client certificate header rejected, the connection is not from the accelerator:"
                                + " header={} certificate={} path={} method={}", header,
                        connection.getSubjectX500Principal().getName(), request.getRequestURI(), request.getMethod());
                throw new WindowHttpException(403, "forwarded client certificate header is accepted only from the"
                        + " configured accelerator", "send no " + header + " header and connect with your"
                        + " municipality's own client certificate");
            }
            return connection;
        }

        if (forwarded.isEmpty()) {
            LOG.warn("Request from the accelerator without a forwarded client certificate: header={} path={}", header,
                    request.getRequestURI());
            throw new WindowHttpException(401, "the accelerator forwarded no client certificate in header " + header,
                    "connect through the accelerator with the municipality's client certificate; the accelerator"
                            + " must require client certificates and forward each one in " + header);
        }
        if (forwarded.size() > 1) {
            LOG.warn("Request from the accelerator with a repeated forwarding header: header={} count={} path={}",
                    header, forwarded.size(), request.getRequestURI());
            throw new WindowHttpException(400, "header " + header + " appears " + forwarded.size() + " times",
                    "configure the accelerator to set " + header + " once, replacing any value from the client");
        }
        X509Certificate client = parse(forwarded.get(0), request);
        requireTrustedClientCertificate(client, request);
        return client;
    }

    private X509Certificate parse(String value, HttpServletRequest request) throws WindowHttpException {
        Collection<? extends Certificate> certificates;
        try {
            byte[] pem = percentDecode(value);
            certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem));
        } catch (IllegalArgumentException | CertificateException e) {
            LOG.warn("Forwarded client certificate rejected, the header is not a URL-encoded PEM certificate:"
                    + " header={} path={} error={}", header, request.getRequestURI(), e.getMessage());
            throw new WindowHttpException(400, "header " + header + " is not a URL-encoded PEM certificate: "
                    + e.getMessage(), "forward the client certificate as nginx's $ssl_client_escaped_cert does");
        }
        if (certificates.size() != 1 || !(certificates.iterator().next() instanceof X509Certificate certificate)) {
            LOG.warn("Forwarded client certificate rejected, the header does not contain exactly one certificate:"
                    + " header={} certificates={} path={}", header, certificates.size(), request.getRequestURI());
            throw new WindowHttpException(400, "header " + header + " contains " + certificates.size()
                    + " certificates where exactly one X.509 certificate is expected",
                    "forward only the client's own certificate, as nginx's $ssl_client_escaped_cert does");
        }
        return certificate;
    }

    /** Checks what the TLS handshake checks for a direct client certificate: chain, validity and key usage. */
    private void requireTrustedClientCertificate(X509Certificate certificate, HttpServletRequest request)
            throws WindowHttpException {
        String subject = certificate.getSubjectX500Principal().getName();
        try {
            PKIXParameters parameters = new PKIXParameters(trustAnchors);
            parameters.setRevocationEnabled(false);
            // NOTE: the path holds only the forwarded certificate, as nginx forwards no intermediate CA
            // certificates, so its issuer must itself be a trusted entry of the truststore.
            CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(certificate));
            CertPathValidator.getInstance("PKIX").validate(path, parameters);
        } catch (CertPathValidatorException e) {
            LOG.warn("Forwarded client certificate rejected, it does not validate against the truststore:"
                    + " certificate={} path={} reason={}", subject, request.getRequestURI(), e.getMessage());
            throw new WindowHttpException(403, "forwarded client certificate '" + subject + "' does not validate"
                    + " against the window server's truststore: " + e.getMessage(),
                    "use a current certificate issued for your municipality by the union's CA");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PKIX validation is not available in this JVM: " + e.getMessage(), e);
        }
        if (!isClientCertificate(certificate)) {
            LOG.warn("Forwarded certificate rejected, it is not a TLS client certificate: certificate={} path={}",
                    subject, request.getRequestURI());
            throw new WindowHttpException(403, "forwarded certificate '" + subject + "' is not a TLS client"
                    + " certificate", "use the client certificate issued for your municipality");
        }
    }

    /** Returns true for an end-entity certificate whose key usages allow TLS client authentication. */
    private static boolean isClientCertificate(X509Certificate certificate) {
        if (certificate.getBasicConstraints() != -1) {
            return false;
        }
        boolean[] keyUsage = certificate.getKeyUsage();
        if (keyUsage != null && !keyUsage[DIGITAL_SIGNATURE]) {
            return false;
        }
        try {
            List<String> extendedKeyUsage = certificate.getExtendedKeyUsage();
            return extendedKeyUsage == null || extendedKeyUsage.contains(CLIENT_AUTH)
                    || extendedKeyUsage.contains(ANY_EXTENDED_KEY_USAGE);
        } catch (CertificateParsingException e) {
            return false;
        }
    }

    /** Decodes %XX escapes. A plus sign stays a plus sign, because base64 uses it and it does not mean a space here. */
    static byte[] percentDecode(String value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%') {
                int high = i + 2 < value.length() ? Character.digit(value.charAt(i + 1), 16) : -1;
                int low = i + 2 < value.length() ? Character.digit(value.charAt(i + 2), 16) : -1;
                if (high < 0 || low < 0) {
                    throw new IllegalArgumentException("invalid percent escape at character " + i);
                }
                out.write(high * 16 + low);
                i += 2;
            } else if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException("character " + (int) c + " at position " + i
                        + " is not printable ASCII");
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    /** Returns the SHA-256 fingerprint of the certificate's DER encoding, as lowercase hex. */
    static String fingerprint(X509Certificate certificate) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (NoSuchAlgorithmException | CertificateException e) {
            throw new IllegalStateException("cannot compute the SHA-256 fingerprint of certificate '"
                    + certificate.getSubjectX500Principal().getName() + "': " + e.getMessage(), e);
        }
    }
}
