package jp.kouiki.window.central;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Refuses revoked client certificates and warns before a municipality's certificate expires. Revocations are SHA-256
 * fingerprints, one per line, in a deny-list file that is read again whenever it changes, so a revocation takes effect
 * at the next request after the file is saved, without a restart. A renewed certificate from the same CA needs no
 * change here at all.
 */
final class ClientCertificatePolicy {

    private static final Logger LOG = LoggerFactory.getLogger(ClientCertificatePolicy.class);

    private final Path denyList;
    private final int warningDays;
    private final Map<MunicipalityCode, LocalDate> warnedOn = new ConcurrentHashMap<>();
    private volatile Set<String> revoked = Set.of();
    private volatile FileTime loadedModified;

    /**
     * @param denyList    file of revoked certificates' SHA-256 fingerprints, or null for none
     * @param warningDays days before expiry from which each municipality's certificate is warned about once a day
     */
    ClientCertificatePolicy(Path denyList, int warningDays) {
        this.denyList = denyList;
        this.warningDays = warningDays;
    }

    /** Throws 401 for a revoked certificate; logs a warning for one that expires soon. */
    void check(MunicipalityCode code, X509Certificate certificate) throws WindowHttpException {
        String fingerprint = fingerprint(certificate);
        if (revoked().contains(fingerprint)) {
            LOG.warn("Revoked client certificate refused: municipality={} fingerprint={}", code, fingerprint);
            throw new WindowHttpException(401, "the client certificate of municipality " + code + " is revoked",
                    "install the renewed certificate issued for your municipality");
        }
        long daysLeft = Duration.between(Instant.now(), certificate.getNotAfter().toInstant()).toDays();
        LocalDate today = LocalDate.now(ZoneId.of("Asia/Tokyo"));
        if (daysLeft < warningDays && !today.equals(warnedOn.put(code, today))) {
            LOG.warn("Client certificate expires soon: municipality={} notAfter={} daysLeft={}; issue a renewed"
                    + " certificate, which works without a restart", code, certificate.getNotAfter().toInstant(),
                    daysLeft);
        }
    }

    /** Throws 401 when the client certificate of the union's agent is revoked. */
    void checkUnion(X509Certificate certificate) throws WindowHttpException {
        String fingerprint = fingerprint(certificate);
        if (revoked().contains(fingerprint)) {
            LOG.warn("Revoked client certificate of the union's agent refused: fingerprint={}", fingerprint);
            throw new WindowHttpException(401, "the client certificate of the union's agent is revoked",
                    "install the renewed certificate issued for the union's agent");
        }
    }

    private Set<String> revoked() throws WindowHttpException {
        if (denyList == null) {
            return Set.of();
        }
        try {
            FileTime modified = Files.exists(denyList) ? Files.getLastModifiedTime(denyList) : null;
            if (modified == null) {
                revoked = Set.of();
            } else if (!modified.equals(loadedModified)) {
                synchronized (this) {
                    revoked = Files.readAllLines(denyList, StandardCharsets.UTF_8).stream()
                            .map(line -> line.replaceAll("#.*", "").replace(":", "").trim().toLowerCase(Locale.ROOT))
                            .filter(line -> !line.isEmpty())
                            .collect(Collectors.toUnmodifiableSet());
                    loadedModified = modified;
                    LOG.info("Certificate deny-list loaded: file={} revoked={}", denyList, revoked.size());
                }
            }
            return revoked;
        } catch (IOException e) {
            LOG.error("Certificate deny-list cannot be read, refusing every request until it can: file={}", denyList,
                    e);
            throw new WindowHttpException(503, "the window server cannot check certificate revocations",
                    "retry later");
        }
    }

    static String fingerprint(X509Certificate certificate) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot compute a certificate fingerprint", e);
        }
    }
}
