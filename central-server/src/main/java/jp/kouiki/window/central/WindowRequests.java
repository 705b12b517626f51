package jp.kouiki.window.central;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

import jakarta.servlet.http.HttpServletRequest;

import org.apache.camel.Exchange;
import org.apache.camel.component.crypto.DigitalSignatureConstants;
import org.apache.camel.http.common.HttpMessage;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import jp.kouiki.window.central.operator.AgentContacts;
import jp.kouiki.window.central.operator.Cancellations;
import jp.kouiki.window.central.operator.TransferEvents;
import jp.kouiki.window.iffile.InterfaceFileName;
import jp.kouiki.window.iffile.InterfaceFileRejectedException;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.SigningKeyRing;
import jp.kouiki.window.transfer.FileManifest;

/**
 * The steps of the window route: authenticate the municipality by its client certificate, check that it acts only
 * under its own code, and serve announce, chunk and offset requests. Every error is a JSON body with what was wrong
 * and what to do.
 */
final class WindowRequests {

    static final String OPERATION = "WindowOperation";
    static final String ANNOUNCE = "announce";
    static final String CHUNK = "chunk";
    /** A PUT of a file's whole ciphertext that carries its signed manifest, in place of an announce and a chunk. */
    static final String WHOLE_FILE = "whole-file";
    /** Header of an announce or whole-file PUT that confirms a resubmission held before; its value is "confirmed". */
    static final String RESUBMISSION_HEADER = "Window-Resubmission";
    static final String OFFSET = "offset";
    static final String STATUS = "status";
    /** The delivery states of many files of one municipality, for the agent's receipts. */
    static final String RECEIPTS = "receipts";
    static final String DOWNLOAD_NEXT = "download-next";
    static final String DOWNLOAD_ACK = "download-ack";
    static final String CANCELLATIONS = "cancellations";
    static final String CANCELLATION_DONE = "cancellation-done";
    static final String UNION_NEXT = "union-next";
    static final String UNION_ACK = "union-ack";
    static final String UNION_DOWNLOAD = "union-download";
    /** The error state of a request with new files of a municipality removed since start-up. */
    static final String NOT_SERVED = "not-served";
    /** Path prefix of the requests that only the union's agent may make. */
    static final String UNION_PREFIX = "/window/v1/union/";
    static final String CODE = "WindowMunicipality";
    static final String FILE_ID = "WindowFileId";

    private static final String MANIFEST_BYTES = "WindowManifestBytes";
    private static final String SIGNATURE = "WindowSignature";
    /** The request body of a chunk or whole-file request, as read by the store. */
    private static final String BODY = "WindowRequestBody";
    /** Whether the announce confirms a resubmission that the server held before as a possible duplicate. */
    private static final String RESUBMISSION_CONFIRMED = "WindowResubmissionConfirmed";
    /** Age below which a pending delivery entry counts as a placement in progress rather than a wait. */
    private static final Duration PLACING_GRACE = Duration.ofSeconds(5);
    private static final Logger LOG = LoggerFactory.getLogger(WindowRequests.class);
    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern UPLOADS = Pattern.compile("/window/v1/municipalities/([0-9]{6})/uploads(?:/([^/]+))?/?");
    private static final Pattern DOWNLOADS = Pattern.compile(
            "/window/v1/municipalities/([0-9]{6})/downloads/([^/]+)(/ack)?/?");
    private static final Pattern CANCELLATION_PATHS = Pattern.compile(
            "/window/v1/municipalities/([0-9]{6})/cancellations(?:/([^/]+))?/?");
    private static final Pattern CANCELLATION_ID = Pattern.compile("[0-9a-f]{20}");
    private static final Pattern RECEIPTS_PATH = Pattern.compile("/window/v1/municipalities/([0-9]{6})/receipts/?");
    /** Most file ids in one receipts request. */
    static final int MAX_RECEIPT_FILE_IDS = 500;
    private static final Pattern UNION = Pattern.compile(
            "/window/v1/union/municipalities/([0-9]{6})/(?:inbound/(?:next|([^/]+)/ack)|downloads/([^/]+))/?");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (?:(\\d{1,18})-(\\d{1,18})|\\*)/(\\d{1,18}|\\*)");
    private static final int MAX_ANNOUNCE_BYTES = 64 * 1024;
    private static final long MAX_DRAIN_BYTES = 1024 * 1024;
    /** Interval between warnings about one municipality's agent whose version is not accepted, in ns (10 min). */
    private static final long REJECTION_LOG_INTERVAL_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(10);

    private final CentralSettings settings;
    private final MunicipalityRoster roster;
    private final SigningKeyRing signingKeys;
    /** The file store of the data directory, found at the first request that needs its free space. */
    private volatile FileStore dataDisk;
    private final UploadStore store;
    private final DeliveryLedger ledger;
    private final ClientCertificatePolicy certificatePolicy;
    private final Map<MunicipalityCode, Semaphore> inProgress = new ConcurrentHashMap<>();
    /** Request slots of the union's agent, per municipality it acts for, apart from the municipality's own. */
    private final Map<MunicipalityCode, Semaphore> unionInProgress = new ConcurrentHashMap<>();
    private final CallerIdentity identity;
    private final IngressAdmission admission;
    private volatile AgentContacts agentContacts = new AgentContacts();
    private final AcceptedAgentVersions acceptedVersions;
    private final Map<MunicipalityCode, Long> rejectionLogged = new ConcurrentHashMap<>();
    private volatile Cancellations cancellations;
    private volatile TransferEvents events = TransferEvents.NONE;

    WindowRequests(CentralSettings settings, MunicipalityRoster roster, SigningKeyRing signingKeys, UploadStore store,
            DeliveryLedger ledger, CallerIdentity identity, ClientCertificatePolicy certificatePolicy,
            IngressAdmission admission, AcceptedAgentVersions acceptedVersions) {
        this.settings = settings;
        this.roster = roster;
        this.signingKeys = signingKeys;
        this.store = store;
        this.ledger = ledger;
        this.certificatePolicy = certificatePolicy;
        this.identity = identity;
        this.admission = admission;
        this.acceptedVersions = acceptedVersions;
    }

    /** Sets where each municipality's last request and agent version are recorded, for operators. */
    void setAgentContacts(AgentContacts contacts) {
        this.agentContacts = contacts;
    }

    /** Sets the operators' cancellations that agents poll, and where reported cancelled files are recorded. */
    void setCancellations(Cancellations cancellations, TransferEvents events) {
        this.cancellations = cancellations;
        this.events = events;
    }

    /** Maps the client certificate to a municipality and checks it against the code in the path. */
    void authenticate(Exchange exchange) throws WindowHttpException {
        HttpServletRequest request = request(exchange);
        if (request.getRequestURI().startsWith(UNION_PREFIX)) {
            authenticateUnion(exchange, request);
            return;
        }
        MunicipalityCode caller = callerOf(request);
        String contentType = request.getContentType();
        if (contentType != null && contentType.toLowerCase(java.util.Locale.ROOT)
                .startsWith("application/x-www-form-urlencoded")) {
            // The servlet container reads such a body as form fields, so the request would reach the store without it.
            throw new WindowHttpException(415, "Content-Type " + contentType + " is not accepted",
                    "send uploads as application/octet-stream and announces and receipts as application/json");
        }
        Matcher path = UPLOADS.matcher(request.getRequestURI());
        boolean upload = path.matches();
        Matcher cancellation = CANCELLATION_PATHS.matcher(request.getRequestURI());
        if (cancellation.matches()) {
            authenticateCancellation(exchange, request, caller, cancellation);
            return;
        }
        Matcher receipts = RECEIPTS_PATH.matcher(request.getRequestURI());
        if (receipts.matches()) {
            requireOwnCode(request, caller, receipts.group(1));
            admitAgent(exchange, request, caller);
            exchange.setProperty(OPERATION, request.getMethod().equals("POST") ? RECEIPTS : "none");
            return;
        }
        if (!upload) {
            path = DOWNLOADS.matcher(request.getRequestURI());
            if (!path.matches()) {
                throw new WindowHttpException(404, "no window resource at " + request.getRequestURI(),
                        "use /window/v1/municipalities/{code}/uploads or /window/v1/municipalities/{code}/downloads/next");
            }
        }
        String pathCode = path.group(1);
        if (!caller.value().equals(pathCode)) {
            LOG.warn("Request refused, certificate and path differ: certificate={} path={} method={}", caller,
                    request.getRequestURI(), request.getMethod());
            throw new WindowHttpException(403, "the client certificate of municipality " + caller
                    + " may not act for municipality " + pathCode, "use the path of your own municipality code "
                    + caller);
        }
        boolean next = !upload && path.group(2).equals("next") && path.group(3) == null;
        String fileId = next ? null : path.group(2);
        if (fileId != null && !FileManifest.isFileId(fileId)) {
            throw new WindowHttpException(400, "file id '" + fileId + "' is not 32 lowercase hexadecimal digits",
                    "use the file id of the signed manifest");
        }
        if (upload && !(fileId != null && request.getMethod().equals("GET"))) {
            requireServed(caller, request);
        }
        admit(exchange, caller, inProgress);
        requireAcceptedVersion(caller, agentContacts.seen(caller, request.getHeader(AgentContacts.VERSION_HEADER),
                request.getHeader("User-Agent"), request.getHeader(AgentContacts.CONFIG_HEADER),
                request.getHeader(AgentContacts.INSTANCE_HEADER)));
        exchange.setProperty(CODE, caller);
        exchange.setProperty(FILE_ID, fileId);
        String operation = upload ? operation(request.getMethod(), fileId)
                : downloadOperation(request.getMethod(), next, path.group(3) != null);
        if (operation.equals(CHUNK) && request.getHeader(DownloadRequests.MANIFEST_HEADER) != null) {
            operation = WHOLE_FILE;
        }
        exchange.setProperty(OPERATION, operation);
    }

    private void authenticateCancellation(Exchange exchange, HttpServletRequest request, MunicipalityCode caller,
            Matcher path) throws WindowHttpException {
        requireOwnCode(request, caller, path.group(1));
        String id = path.group(2);
        if (id != null && !CANCELLATION_ID.matcher(id).matches()) {
            throw new WindowHttpException(400, "cancellation id '" + id + "' is not 20 lowercase hexadecimal digits",
                    "use the id from GET /window/v1/municipalities/" + caller + "/cancellations");
        }
        admitAgent(exchange, request, caller);
        exchange.setProperty(FILE_ID, id);
        String method = request.getMethod();
        exchange.setProperty(OPERATION, id == null && method.equals("GET") ? CANCELLATIONS
                : id != null && method.equals("POST") ? CANCELLATION_DONE : "none");
    }

    /** Admits a request of the caller's agent, records the contact and checks the agent's version. */
    private void admitAgent(Exchange exchange, HttpServletRequest request, MunicipalityCode caller)
            throws WindowHttpException {
        admit(exchange, caller, inProgress);
        requireAcceptedVersion(caller, agentContacts.seen(caller, request.getHeader(AgentContacts.VERSION_HEADER),
                request.getHeader("User-Agent"), request.getHeader(AgentContacts.CONFIG_HEADER),
                request.getHeader(AgentContacts.INSTANCE_HEADER)));
        exchange.setProperty(CODE, caller);
    }

    /**
     * Rejects the request with 426 when the agent's version is not accepted, logging a warning at most once per
     * {@link #REJECTION_LOG_INTERVAL_NANOS} and municipality.
     */
    private void requireAcceptedVersion(MunicipalityCode caller, String version) throws WindowHttpException {
        if (acceptedVersions.accepts(version)) {
            return;
        }
        List<String> accepted = acceptedVersions.versions();
        long now = System.nanoTime();
        Long last = rejectionLogged.get(caller);
        if (last == null || now - last > REJECTION_LOG_INTERVAL_NANOS) {
            rejectionLogged.put(caller, now);
            LOG.warn("Agent version not accepted, requests rejected with 426 until the agent is upgraded:"
                    + " municipality={} version={} accepted={}", caller, version, String.join(",", accepted));
        }
        throw WindowHttpException.agentVersionNotAccepted(version, accepted,
                settings.rejectedAgentRetryAfterSeconds());
    }

    private static void requireOwnCode(HttpServletRequest request, MunicipalityCode caller, String pathCode)
            throws WindowHttpException {
        if (!caller.value().equals(pathCode)) {
            LOG.warn("Request refused, certificate and path differ: certificate={} path={} method={}", caller,
                    request.getRequestURI(), request.getMethod());
            throw new WindowHttpException(403, "the client certificate of municipality " + caller
                    + " may not act for municipality " + pathCode, "use the path of your own municipality code "
                    + caller);
        }
    }

    /** Lists the cancellations that wait for the calling agent's report, oldest first. */
    void listCancellations(Exchange exchange) throws IOException {
        MunicipalityCode code = exchange.getProperty(CODE, MunicipalityCode.class);
        List<Map<String, Object>> open = new ArrayList<>();
        Cancellations store = cancellations;
        for (Cancellations.Cancellation cancellation : store == null ? List.<Cancellations.Cancellation>of()
                : store.open(code)) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("id", cancellation.id());
            item.put("fileId", cancellation.fileId());
            item.put("fileName", cancellation.fileName());
            item.put("operator", cancellation.operator());
            item.put("requestedAt", cancellation.requestedAt().atZone(TOKYO).toOffsetDateTime().toString());
            item.put("reason", cancellation.note());
            open.add(item);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("cancellations", open);
        json(exchange, 200, body);
    }

    /**
     * Records the agent's report of one cancellation: the files it removed from its queue, each of which the
     * transfer history then shows as cancelled.
     */
    void completeCancellation(Exchange exchange) throws IOException, WindowHttpException {
        MunicipalityCode code = exchange.getProperty(CODE, MunicipalityCode.class);
        String id = exchange.getProperty(FILE_ID, String.class);
        List<Cancellations.CancelledFile> files = new ArrayList<>();
        try (InputStream in = request(exchange).getInputStream()) {
            byte[] body = in.readNBytes(MAX_ANNOUNCE_BYTES + 1);
            if (body.length > MAX_ANNOUNCE_BYTES) {
                throw new WindowHttpException(413, "cancellation report exceeds " + MAX_ANNOUNCE_BYTES + " bytes",
                        "report at most a few hundred files at a time");
            }
            for (JsonNode file : JSON.readTree(body).path("files")) {
                String fileId = file.path("fileId").asText("");
                if (!FileManifest.isFileId(fileId)) {
                    throw new IllegalArgumentException(fileId);
                }
                files.add(new Cancellations.CancelledFile(fileId, file.path("fileName").asText(null)));
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new WindowHttpException(400, "cancellation report is not JSON with files of 32-digit file ids",
                    "send {\"files\": [{\"fileId\": ..., \"fileName\": ...}]}");
        }
        Cancellations store = cancellations;
        Cancellations.Cancellation done = store == null ? null : store.complete(code, id, files);
        if (done == null) {
            throw new WindowHttpException(404, "municipality " + code + " has no cancellation " + id,
                    "report only cancellations listed at GET /window/v1/municipalities/" + code + "/cancellations");
        }
        String reason = "cancelled by operator " + done.operator() + " (cancellation " + done.id() + ")";
        for (Cancellations.CancelledFile file : files) {
            events.cancelled(code, file.fileId(), file.fileName(), reason);
        }
        LOG.info("Cancellation done at the agent: municipality={} cancellation={} {} state={} filesRemoved={}", code,
                id, done.target(), done.state(), files.size());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", done.id());
        body.put("state", done.state());
        json(exchange, 200, body);
    }

    /**
     * Rejects new files of a municipality removed from central.municipalities since start-up: announces, chunks and
     * offsets of its uploads, and the union's downloads for it. Its delivery state and queued downloads stay readable.
     */
    private void requireServed(MunicipalityCode code, HttpServletRequest request) throws WindowHttpException {
        if (!roster.isServed(code)) {
            LOG.warn("Request refused, the municipality is no longer served here: municipality={} path={} method={}",
                    code, request.getRequestURI(), request.getMethod());
            throw WindowHttpException.withState(403, NOT_SERVED, "municipality " + code + " is no longer served by"
                    + " this window server; it takes no new files, but delivers those it stored", "keep the files"
                    + " queued and send them to the window server that serves " + code + " now (agent.central-url."
                    + code + ")");
        }
    }

    private static String downloadOperation(String method, boolean next, boolean ack) {
        if (next && method.equals("GET")) {
            return DOWNLOAD_NEXT;
        }
        return ack && method.equals("POST") ? DOWNLOAD_ACK : "none";
    }

    /**
     * Takes one of the municipality's request slots until the exchange completes, or rejects the request with 429 when all are in use,
     * so that one municipality's slow uploads cannot hold every server thread.
     */
    private void admit(Exchange exchange, MunicipalityCode caller, Map<MunicipalityCode, Semaphore> slotsByCode)
            throws WindowHttpException {
        Semaphore slots = slotsByCode.computeIfAbsent(caller,
                code -> new Semaphore(settings.maxRequestsPerMunicipality()));
        if (!slots.tryAcquire()) {
            LOG.warn("Request refused, too many in progress: municipality={} limit={}", caller,
                    settings.maxRequestsPerMunicipality());
            throw new WindowHttpException(429, "municipality " + caller + " already has "
                    + settings.maxRequestsPerMunicipality() + " requests in progress", "retry later", "5");
        }
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                slots.release();
            }
        });
    }

    /**
     * Accepts a request under {@code /window/v1/union/} only from the union's agent, whose certificate names
     * {@code central.union.certificate-name}, only while the server keeps files for it (remote union delivery), and only
     * for a municipality served here. A municipality's certificate is refused with 403 on every union path.
     */
    private void authenticateUnion(Exchange exchange, HttpServletRequest request) throws WindowHttpException {
        X509Certificate certificate = identity.certificate(request);
        String commonName = commonName(certificate);
        if (!settings.unionCertificateName().equals(commonName)) {
            LOG.warn("Request refused, only the union's agent may use the union's paths: certificate={} path={}"
                    + " method={}", certificate.getSubjectX500Principal().getName(), request.getRequestURI(),
                    request.getMethod());
            throw new WindowHttpException(403, "client certificate '" + certificate.getSubjectX500Principal().getName()
                    + "' is not the union agent's; the paths under " + UNION_PREFIX + " are for the union's agent only",
                    "a municipality's agent uses /window/v1/municipalities/{its own code}/");
        }
        certificatePolicy.checkUnion(certificate);

        if (!settings.remoteUnionDelivery()) {
            throw new WindowHttpException(404, "this window server delivers into the union's folders itself"
                    + " (central.union.delivery=local)", "set central.union.delivery=remote at the window server to"
                    + " serve the union's agent");
        }
        Matcher path = UNION.matcher(request.getRequestURI());
        if (!path.matches()) {
            throw new WindowHttpException(404, "no window resource at " + request.getRequestURI(), "use "
                    + UNION_PREFIX + "municipalities/{code}/inbound/next, .../inbound/{fileId}/ack or"
                    + " .../downloads/{fileId}");
        }
        String pathCode = path.group(1);
        MunicipalityCode code = MunicipalityCode.of(pathCode);
        // A municipality removed at run time stays known, so that the union's agent can still take its stored files.
        if (!roster.isKnown(code)) {
            throw new WindowHttpException(404, "municipality " + pathCode + " is not served by this window server",
                    "ask the window server that serves " + pathCode + ", or add it to central.municipalities");
        }

        String fileId = path.group(2) != null ? path.group(2) : path.group(3);
        if (fileId != null && !FileManifest.isFileId(fileId)) {
            throw new WindowHttpException(400, "file id '" + fileId + "' is not 32 lowercase hexadecimal digits",
                    "use the file id of the signed manifest");
        }
        String method = request.getMethod();
        String operation;
        if (path.group(3) != null) {
            requireServed(code, request);
            operation = method.equals("PUT") ? UNION_DOWNLOAD : "none";
        } else if (fileId != null) {
            operation = method.equals("POST") ? UNION_ACK : "none";
        } else {
            operation = method.equals("GET") ? UNION_NEXT : "none";
        }
        admit(exchange, code, unionInProgress);
        exchange.setProperty(CODE, code);
        exchange.setProperty(FILE_ID, fileId);
        exchange.setProperty(OPERATION, operation);
    }

    private static String operation(String method, String fileId) {
        if (fileId == null) {
            return method.equals("POST") ? ANNOUNCE : "none";
        }
        return switch (method) {
            case "PUT" -> CHUNK;
            case "HEAD" -> OFFSET;
            case "GET" -> STATUS;
            default -> "none";
        };
    }

    /** Maps the caller's certificate, direct or forwarded by the accelerator, to a served municipality. */
    private MunicipalityCode callerOf(HttpServletRequest request) throws WindowHttpException {
        X509Certificate certificate = identity.certificate(request);
        String commonName = commonName(certificate);
        if (settings.unionCertificateName().equals(commonName)) {
            LOG.warn("Request refused, the union agent's certificate may not act as a municipality: path={} method={}",
                    request.getRequestURI(), request.getMethod());
            throw new WindowHttpException(403, "the client certificate of the union's agent may not act as a"
                    + " municipality", "the union's agent uses the paths under " + UNION_PREFIX);
        }
        if (commonName == null || !MunicipalityCode.isValid(commonName)
                || !roster.isKnown(MunicipalityCode.of(commonName))) {
            throw new WindowHttpException(403, "client certificate '" + certificate.getSubjectX500Principal().getName()
                    + "' does not name a municipality served here", "use the certificate issued for your municipality");
        }
        MunicipalityCode caller = MunicipalityCode.of(commonName);
        certificatePolicy.check(caller, certificate);
        return caller;
    }

    private static String commonName(X509Certificate certificate) {
        try {
            for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
            return null;
        } catch (InvalidNameException e) {
            return null;
        }
    }

    /** Reads the announce body and sets up the manifest signature check. */
    void prepareAnnounce(Exchange exchange) throws WindowHttpException, IOException {
        MunicipalityCode code = exchange.getProperty(CODE, MunicipalityCode.class);
        byte[] body;
        try (InputStream in = request(exchange).getInputStream()) {
            body = in.readNBytes(MAX_ANNOUNCE_BYTES + 1);
        }
        if (body.length > MAX_ANNOUNCE_BYTES) {
            throw new WindowHttpException(413, "announce body exceeds " + MAX_ANNOUNCE_BYTES + " bytes",
                    "send only the manifest and its signature");
        }
        byte[] manifest;
        String signature;
        try {
            JsonNode announce = JSON.readTree(body);
            manifest = Base64.getDecoder().decode(announce.path("manifest").asText());
            signature = announce.path("signature").asText();
            exchange.setProperty(RESUBMISSION_CONFIRMED, "confirmed".equals(announce.path("resubmission").asText()));
            if (manifest.length == 0 || Base64.getDecoder().decode(signature).length == 0) {
                throw new IllegalArgumentException("manifest or signature is empty");
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new WindowHttpException(400, "announce body is not JSON with base64 fields manifest and signature",
                    "send {\"manifest\": base64, \"signature\": base64}");
        }
        verifyNext(exchange, code, manifest, signature);
    }

    /** Reads the manifest and signature headers of a whole-file PUT and sets up the signature check. */
    void prepareWholeFile(Exchange exchange) throws WindowHttpException, IOException {
        MunicipalityCode code = exchange.getProperty(CODE, MunicipalityCode.class);
        HttpServletRequest request = request(exchange);
        byte[] manifest;
        String signature = request.getHeader(DownloadRequests.SIGNATURE_HEADER);
        try {
            manifest = Base64.getDecoder().decode(request.getHeader(DownloadRequests.MANIFEST_HEADER));
            if (manifest.length == 0 || signature == null || Base64.getDecoder().decode(signature).length == 0) {
                throw new IllegalArgumentException("manifest or signature is empty");
            }
        } catch (IllegalArgumentException e) {
            throw new WindowHttpException(400, DownloadRequests.MANIFEST_HEADER + " and "
                    + DownloadRequests.SIGNATURE_HEADER + " must both be"
                    + " base64", "send the signed manifest and its signature as they are sent in an announce");
        }
        exchange.setProperty(RESUBMISSION_CONFIRMED, "confirmed".equals(request.getHeader(RESUBMISSION_HEADER)));
        verifyNext(exchange, code, manifest, signature);
    }

    private void verifyNext(Exchange exchange, MunicipalityCode code, byte[] manifest, String signature)
            throws WindowHttpException, IOException {
        exchange.setProperty(MANIFEST_BYTES, manifest);
        exchange.setProperty(SIGNATURE, signature);
        exchange.getMessage().setBody(manifest);
        exchange.getMessage().setHeader(DigitalSignatureConstants.SIGNATURE, signature);
        exchange.getMessage().setHeader(DigitalSignatureConstants.SIGNATURE_PUBLIC_KEY_OR_CERT,
                signingKey(code, manifest));
    }

    /** Finds the public key that the manifest names, or the municipality's current key for a manifest without one. */
    private PublicKey signingKey(MunicipalityCode code, byte[] manifest) throws WindowHttpException, IOException {
        String keyId;
        try {
            FileManifest parsed = FileManifest.fromJson(manifest);
            // Checked before the key lookup, whose error would name another municipality's key as missing here.
            if (!parsed.municipality().equals(code.value())) {
                throw new WindowHttpException(403, "manifest names municipality " + parsed.municipality()
                        + " but the caller is " + code, "announce only your own municipality's files");
            }
            keyId = parsed.signingKeyId();
        } catch (IllegalArgumentException e) {
            throw new WindowHttpException(400, e.getMessage(), "correct the manifest");
        }
        PublicKey key = signingKeys.find(code, keyId);
        if (key == null) {
            LOG.warn("Manifest signed with a key that is not installed: municipality={} signingKeyId={}", code, keyId);
            throw WindowHttpException.withState(403, "unknown-signing-key", "signing key " + keyId
                    + " of municipality " + code + " is not installed at the window server", "install the"
                    + " municipality's new signing-public.pem at the window server as signing-public-" + keyId
                    + ".pem; the agent keeps the file and retries until then");
        }
        return key;
    }

    /** Accepts a manifest whose signature has been verified. */
    void announce(Exchange exchange) throws WindowHttpException, IOException {
        FileManifest manifest = acceptedManifest(exchange);
        UploadStore.Progress progress = store.announce(manifest, exchange.getProperty(MANIFEST_BYTES, byte[].class),
                exchange.getProperty(SIGNATURE, String.class),
                Boolean.TRUE.equals(exchange.getProperty(RESUBMISSION_CONFIRMED, Boolean.class)));
        reply(exchange, 200, progress, manifest.fileId());
    }

    /**
     * Receives a file's whole ciphertext with its verified manifest: the announce and the single chunk of a file that
     * fits in one chunk, in one request.
     */
    void wholeFile(Exchange exchange) throws Exception {
        FileManifest manifest = acceptedManifest(exchange);
        MunicipalityCode code = manifest.municipalityCode();
        String fileId = exchange.getProperty(FILE_ID, String.class);
        if (!manifest.fileId().equals(fileId)) {
            throw new WindowHttpException(400, "path names file " + fileId + " but the manifest names "
                    + manifest.fileId(), "PUT the file to the path of its manifest's file id");
        }

        String range = request(exchange).getHeader("Content-Range");
        Matcher matcher = range == null ? null : CONTENT_RANGE.matcher(range);
        if (matcher == null || !matcher.matches() || matcher.group(1) == null || matcher.group(3).equals("*")
                || Long.parseLong(matcher.group(1)) != 0
                || Long.parseLong(matcher.group(2)) + 1 != Long.parseLong(matcher.group(3))) {
            throw new WindowHttpException(400, "Content-Range '" + range + "' does not cover the whole file",
                    "send Content-Range: bytes 0-last/total with last = total - 1 with the manifest, or announce the"
                            + " file first and send it in chunks");
        }

        long length = Long.parseLong(matcher.group(3));
        if (length > settings.maxChunkBytes()) {
            throw new WindowHttpException(413, "file of " + length + " ciphertext bytes exceeds the chunk maximum of "
                    + settings.maxChunkBytes() + " bytes", "announce the file first and send it in chunks of at"
                    + " most " + settings.maxChunkBytes() + " bytes");
        }

        admission.admit(code, length);
        requireFreeDisk(code);
        UploadStore.Progress progress;
        try (InputStream body = bodyOf(exchange)) {
            progress = store.receiveWhole(manifest, exchange.getProperty(MANIFEST_BYTES, byte[].class),
                    exchange.getProperty(SIGNATURE, String.class),
                    Boolean.TRUE.equals(exchange.getProperty(RESUBMISSION_CONFIRMED, Boolean.class)), length, body);
        }
        reply(exchange, 200, progress, fileId);
    }

    /** Parses a verified manifest and checks that the caller may send it: its municipality, size and file name. */
    private FileManifest acceptedManifest(Exchange exchange) throws WindowHttpException {
        MunicipalityCode code = exchange.getProperty(CODE, MunicipalityCode.class);
        byte[] manifestBytes = exchange.getProperty(MANIFEST_BYTES, byte[].class);
        FileManifest manifest;
        try {
            manifest = FileManifest.fromJson(manifestBytes);
        } catch (IllegalArgumentException e) {
            throw new WindowHttpException(400, e.getMessage(), "correct the manifest");
        }
        if (!manifest.municipality().equals(code.value())) {
            throw new WindowHttpException(403, "manifest names municipality " + manifest.municipality()
                    + " but the caller is " + code, "announce only your own municipality's files");
        }
        if (manifest.size() > settings.maxFileBytes()) {
            throw new WindowHttpException(413, "file of " + manifest.size() + " bytes exceeds the maximum of "
                    + settings.maxFileBytes() + " bytes", "split the file or ask the union to raise"
                    + " central.window.max-file-bytes");
        }
        try {
            InterfaceFileName.parse(manifest.fileName(), code);
        } catch (InterfaceFileRejectedException e) {
            throw new WindowHttpException(422, e.getMessage(), "correct the file name and send the file again");
        }
        return manifest;
    }

    /** Receives one chunk. */
    void chunk(Exchange exchange) throws Exception {
        HttpServletRequest request = request(exchange);
        MunicipalityCode code = exchange.getProperty(CODE, MunicipalityCode.class);
        String fileId = exchange.getProperty(FILE_ID, String.class);
        String range = request.getHeader("Content-Range");
        Matcher matcher = range == null ? null : CONTENT_RANGE.matcher(range);
        if (matcher == null || !matcher.matches()) {
            throw new WindowHttpException(400, "Content-Range '" + range + "' is missing or malformed",
                    "send Content-Range: bytes first-last/total, or total * until the last chunk");
        }
        long total = matcher.group(3).equals("*") ? -1 : Long.parseLong(matcher.group(3));
        long start;
        long length;
        if (matcher.group(1) == null) {
            start = Math.max(total, 0);
            length = 0;
        } else {
            start = Long.parseLong(matcher.group(1));
            length = Long.parseLong(matcher.group(2)) - start + 1;
        }
        if (length <= 0 && matcher.group(1) != null || length < 0 || (total >= 0 && start + length > total)) {
            throw new WindowHttpException(400, "Content-Range '" + range + "' is not a valid range",
                    "send Content-Range: bytes first-last/total with first <= last < total");
        }
        if (length > settings.maxChunkBytes()) {
            throw new WindowHttpException(413, "chunk of " + length + " bytes exceeds the maximum of "
                    + settings.maxChunkBytes() + " bytes", "send chunks of at most " + settings.maxChunkBytes()
                    + " bytes");
        }
        admission.admit(code, length);
        requireFreeDisk(code);
        UploadStore.Progress progress;
        try (InputStream body = bodyOf(exchange)) {
            progress = store.receive(code, fileId, start, length, total, body);
        }
        reply(exchange, 200, progress, fileId);
    }

    /**
     * Rejects chunks with 503 while the data folder's disk is below its reserve or the broker takes no more messages,
     * so that agents keep files queued and retry.
     */
    private void requireFreeDisk(MunicipalityCode code) throws IOException, WindowHttpException {
        FileStore disk = dataDisk;
        if (disk == null) {
            // Finding the file store reads the whole mount table, so it is done once and not for every request.
            disk = Files.getFileStore(settings.dataDirectory());
            dataDisk = disk;
        }
        long freeMib = disk.getUsableSpace() / (1024 * 1024);
        if (freeMib < settings.minFreeDiskMib()) {
            LOG.error("Disk space below reserve, chunks refused until space is freed: dataDirectory={} freeMiB={}"
                    + " reserveMiB={} municipality={}", settings.dataDirectory(), freeMib, settings.minFreeDiskMib(),
                    code);
            throw new WindowHttpException(503, "the window server is short of disk space",
                    "retry later; the confirmed offset is unchanged", "60");
        }
        if (store.isBrokerStorageFull()) {
            LOG.error("Broker storage full, chunks refused until space is freed or queues drain: dataDirectory={}"
                    + " maxDiskUsagePercent={} municipality={}", settings.dataDirectory(),
                    settings.brokerMaxDiskUsagePercent(), code);
            throw new WindowHttpException(503, "the window server's queue storage is full",
                    "retry later; the confirmed offset is unchanged", "60");
        }
    }

    /** Reports the confirmed offset for resuming. */
    void offset(Exchange exchange) throws IOException, WindowHttpException {
        MunicipalityCode code = exchange.getProperty(CODE, MunicipalityCode.class);
        String fileId = exchange.getProperty(FILE_ID, String.class);
        UploadStore.Progress progress = store.progress(code, fileId);
        if (progress == null) {
            throw new WindowHttpException(404, "file " + fileId + " was not announced", "announce it first");
        }
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        exchange.getMessage().setHeader("Upload-Offset", progress.stored() ? "stored" : progress.offset());
        exchange.getMessage().setBody("");
    }

    /**
     * Reports how far a file got, so that the agent can give municipal staff a receipt: receiving, stored (queued for
     * delivery), waiting (its name is taken in the union's folder), delivered (with the time) or rejected (with why).
     */
    void status(Exchange exchange) throws IOException, WindowHttpException {
        MunicipalityCode code = exchange.getProperty(CODE, MunicipalityCode.class);
        String fileId = exchange.getProperty(FILE_ID, String.class);
        Map<String, Object> body = stateOf(code, fileId);
        if (body == null) {
            throw new WindowHttpException(404, "file " + fileId + " is not known here",
                    "announce it first, or check the file id");
        }
        json(exchange, 200, body);
    }

    /**
     * Reports the states of many files of the caller, as {@link #status} does for one. A file id that this server does
     * not know for the caller's municipality has the state "unknown".
     */
    void receipts(Exchange exchange) throws IOException, WindowHttpException {
        MunicipalityCode code = exchange.getProperty(CODE, MunicipalityCode.class);
        List<String> fileIds = new ArrayList<>();
        try (InputStream in = request(exchange).getInputStream()) {
            byte[] body = in.readNBytes(MAX_ANNOUNCE_BYTES + 1);
            if (body.length > MAX_ANNOUNCE_BYTES) {
                throw new WindowHttpException(413, "receipts request exceeds " + MAX_ANNOUNCE_BYTES + " bytes",
                        "ask for at most " + MAX_RECEIPT_FILE_IDS + " file ids at a time");
            }
            JsonNode requested = JSON.readTree(body).path("fileIds");
            if (!requested.isArray()) {
                throw new IllegalArgumentException("fileIds is not a list");
            }
            for (JsonNode fileId : requested) {
                if (!FileManifest.isFileId(fileId.asText(""))) {
                    throw new IllegalArgumentException(fileId.toString());
                }
                fileIds.add(fileId.asText());
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new WindowHttpException(400, "receipts request is not JSON with fileIds, a list of 32-digit file"
                    + " ids", "send {\"fileIds\": [...]}");
        }
        if (fileIds.size() > MAX_RECEIPT_FILE_IDS) {
            throw new WindowHttpException(413, "receipts request names " + fileIds.size() + " files",
                    "ask for at most " + MAX_RECEIPT_FILE_IDS + " file ids at a time");
        }
        List<Map<String, Object>> files = new ArrayList<>();
        for (String fileId : fileIds) {
            Map<String, Object> state = stateOf(code, fileId);
            if (state == null) {
                state = new LinkedHashMap<>();
                state.put("fileId", fileId);
                state.put("state", "unknown");
            }
            files.add(state);
        }
        json(exchange, 200, Map.of("files", files));
    }

    /** Returns the file id, state, and the time and reason where there are any, or null when the file is unknown. */
    private Map<String, Object> stateOf(MunicipalityCode code, String fileId) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("fileId", fileId);
        DeliveryLedger.Status delivery = ledger.status(code, fileId);
        if (delivery != null && delivery.state().equals("waiting") && delivery.at() != null
                && delivery.at().isAfter(Instant.now().minus(PLACING_GRACE))) {
            // The delivery writes the pending entry just before it renames the file into place, so a young entry
            // is a placement in progress, not a file waiting for its name. The agent requests the state again later.
            body.put("state", "stored");
            return body;
        }
        if (delivery != null) {
            body.put("state", delivery.state());
            if (delivery.at() != null) {
                body.put("at", delivery.at().toString());
            }
            if (delivery.reason() != null) {
                body.put("reason", delivery.reason());
            }
            return body;
        }
        UploadStore.Progress progress = store.progress(code, fileId);
        if (progress == null) {
            return null;
        }
        body.put("state", progress.stored() ? "stored" : "receiving");
        return body;
    }

    void notFound(Exchange exchange) throws WindowHttpException {
        throw new WindowHttpException(405, "method " + request(exchange).getMethod() + " is not supported here",
                "use POST to announce, PUT for chunks, HEAD for the confirmed offset and GET for the delivery state;"
                        + " GET for downloads/next and POST for downloads/{fileId}/ack");
    }

    private static void reply(Exchange exchange, int status, UploadStore.Progress progress, String fileId)
            throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("fileId", fileId);
        body.put("state", progress.stored() ? "stored" : "receiving");
        if (progress.offset() >= 0) {
            body.put("offset", progress.offset());
            exchange.getMessage().setHeader("Upload-Offset", progress.offset());
        }
        json(exchange, status, body);
    }

    void writeError(Exchange exchange) throws IOException {
        WindowHttpException error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, WindowHttpException.class);
        if (error.retryAfterSeconds() != null) {
            exchange.getMessage().setHeader("Retry-After", error.retryAfterSeconds());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", error.status());
        if (error.state() != null) {
            body.put("state", error.state());
        }
        body.put("error", error.getMessage());
        body.put("action", error.action());
        body.putAll(error.details());
        json(exchange, error.status(), body);
    }

    void writeSignatureError(Exchange exchange) throws IOException {
        MunicipalityCode code = exchange.getProperty(CODE, MunicipalityCode.class);
        LOG.warn("Manifest signature refused: municipality={}", code);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", 403);
        body.put("error", "manifest signature does not verify with the signing key of municipality " + code);
        body.put("action", "sign the manifest with the municipality's current signing key");
        json(exchange, 403, body);
    }

    void writeServerError(Exchange exchange) throws IOException {
        Exception error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        LOG.error("Window request failed: municipality={} fileId={}", exchange.getProperty(CODE),
                exchange.getProperty(FILE_ID), error);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", 503);
        body.put("error", "the window server could not store the request");
        body.put("action", "retry later; the confirmed offset is unchanged");
        exchange.getMessage().setHeader("Retry-After", "5");
        json(exchange, 503, body);
    }

    /**
     * Reads what is left of a small request body before an error response, so that the connection can be kept alive
     * for the agent's next request; Jetty closes it when more than this is left unread.
     */
    private static void drainRequestBody(Exchange exchange) {
        FailureNoting body = exchange.getProperty(BODY, FailureNoting.class);
        if (body != null && body.failed) {
            // A read that timed out would wait for the idle timeout again, holding the municipality's request slot.
            return;
        }
        try {
            InputStream in = request(exchange).getInputStream();
            long skipped = 0;
            byte[] buffer = new byte[8192];
            int read;
            while (skipped < MAX_DRAIN_BYTES && (read = in.read(buffer)) > 0) {
                skipped += read;
            }
        } catch (IOException | RuntimeException e) {
            // The body was already read, or the client went away; the answer is sent either way.
        }
    }

    /** Returns the request body, noting a failed read so that an error response does not wait to drain it. */
    private static InputStream bodyOf(Exchange exchange) throws IOException {
        FailureNoting body = new FailureNoting(request(exchange).getInputStream());
        exchange.setProperty(BODY, body);
        return body;
    }

    /** A request body that remembers whether a read failed: the sender stopped, the line broke or stayed idle. */
    private static final class FailureNoting extends java.io.FilterInputStream {

        private volatile boolean failed;

        FailureNoting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            try {
                return super.read(buffer, offset, length);
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public long skip(long count) throws IOException {
            try {
                return super.skip(count);
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }
    }

    static void json(Exchange exchange, int status, Map<String, Object> body) throws IOException {
        if (status >= 400) {
            drainRequestBody(exchange);
        }
        exchange.getMessage().removeHeaders("*", "Upload-Offset", "Retry-After");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json; charset=utf-8");
        exchange.getMessage().setBody(JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8));
    }

    private static HttpServletRequest request(Exchange exchange) {
        return exchange.getMessage(HttpMessage.class).getRequest();
    }
}
