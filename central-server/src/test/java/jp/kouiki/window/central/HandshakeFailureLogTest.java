package jp.kouiki.window.central;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;

import javax.net.ssl.SSLHandshakeException;

import org.junit.jupiter.api.Test;

/** The reason that a rejected TLS handshake's log line gives. */
class HandshakeFailureLogTest {

    @Test
    void expiredCertificateNamesItsEnd() {
        SSLHandshakeException failure = new SSLHandshakeException("PKIX path validation failed: validity check failed");
        failure.initCause(new CertPathValidatorException("validity check failed",
                new CertificateExpiredException("NotAfter: Fri Dec 04 00:00:00 JST 2026")));

        assertThat(HandshakeFailureLog.reasonOf(failure)).isEqualTo("PKIX path validation failed: validity check"
                + " failed (NotAfter: Fri Dec 04 00:00:00 JST 2026)");
    }

    @Test
    void plainMessageStaysAlone() {
        assertThat(HandshakeFailureLog.reasonOf(new SSLHandshakeException("Empty client certificate chain")))
                .isEqualTo("Empty client certificate chain");
    }

    @Test
    void causeWithoutNewTextIsLeftOut() {
        SSLHandshakeException failure = new SSLHandshakeException("certificate_unknown: validity check failed");
        failure.initCause(new CertPathValidatorException("validity check failed"));

        assertThat(HandshakeFailureLog.reasonOf(failure)).isEqualTo("certificate_unknown: validity check failed");
    }

    @Test
    void failureWithoutMessageGivesItsType() {
        assertThat(HandshakeFailureLog.reasonOf(new SSLHandshakeException(null))).isEqualTo("SSLHandshakeException");
    }

    @Test
    void longReasonIsCut() {
        assertThat(HandshakeFailureLog.reasonOf(new SSLHandshakeException("x".repeat(500)))).hasSize(300);
    }
}
