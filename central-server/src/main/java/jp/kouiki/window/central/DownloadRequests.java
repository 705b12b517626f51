package jp.kouiki.window.central;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

import jakarta.servlet.http.HttpServletRequest;

import org.apache.camel.Exchange;
import org.apache.camel.http.common.HttpMessage;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import jp.kouiki.window.iffile.InterfaceFileName;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * The download requests of the window route, for a caller already authenticated as the municipality in the path.
 *
 * <p>{@code GET .../downloads/next?waitMs=N} returns 204 when no file arrives within the wait (capped by
 * {@code central.download.long-poll-max-ms}), or 200 with the ciphertext streamed as the body and the file id, the
 * base64 download manifest and its base64 signature by the union in the headers {@value #FILE_ID_HEADER},
 * {@value #MANIFEST_HEADER} and {@value #SIGNATURE_HEADER}. The same file is offered again until it is acknowledged.
 *
 * <p>{@code POST .../downloads/{fileId}/ack} with no body, or {@code {"outcome":"written"}}, removes the file from the
 * queue; {@code {"outcome":"refused","reason":"..."}} moves it to the dead-letter queue. A repeated acknowledgement returns
 * 200 with what the first one did, and one of a file id never offered returns 404.
 */
final class DownloadRequests {

    static final String FILE_ID_HEADER = "Window-File-Id";
    static final String MANIFEST_HEADER = "Window-Manifest";
    static final String SIGNATURE_HEADER = "Window-Signature";
    static final String CIPHERTEXT_LENGTH_HEADER = "Window-Ciphertext-Length";

    private static final Logger LOG = LoggerFactory.getLogger(DownloadRequests.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ACK_BYTES = 16 * 1024;
    private static final int MAX_REASON_CHARACTERS = 2000;

    /** A queue whose files are offered one at a time until acknowledged. */
    interface Source {
        /** Returns the first waiting file, after waiting up to {@code waitMillis} for one, or null. */
        DownloadQueue.Offer next(MunicipalityCode code, long waitMillis) throws Exception;

        /**
         * Removes an acknowledged file, or with a refusal reason dead-letters it. A waiting file that was not
         * {@code offered} stays, and the result is {@link DownloadQueue.Acknowledgement#NOT_OFFERED}.
         */
        DownloadQueue.Acknowledgement acknowledge(MunicipalityCode code, String fileId, String refusal,
                boolean offered) throws Exception;
    }

    private final CentralSettings settings;
    private final Source downloads;
    private final Semaphore waitingPolls;
    private final String nextPath;
    /** The start of the log line of an offer. */
    private final String offered;
    /**
     * Files offered since start-up and not yet acknowledged, as {@code <code>/<file id>}. An acknowledgement of a
     * waiting file that is not here is rejected, so a client cannot remove a file its recipient never received.
     */
    private final Set<String> offeredFiles = ConcurrentHashMap.newKeySet();

    /**
     * @param nextPath the path of the request for the next file, with {@code {code}} for the municipality, named in the
     *                 response to an acknowledgement of an unknown file id
     */
    DownloadRequests(CentralSettings settings, Source downloads, String nextPath) {
        this.settings = settings;
        this.downloads = downloads;
        this.nextPath = nextPath;
        this.offered = nextPath.startsWith(WindowRequests.UNION_PREFIX) ? "File offered to the union's agent"
                : "Download offered";
        this.waitingPolls = new Semaphore(settings.downloads().maxWaitingPolls());
    }

    /** Offers the municipality's next download, after a long-poll when none is waiting. */
    void next(Exchange exchange) throws Exception {
        MunicipalityCode code = exchange.getProperty(WindowRequests.CODE, MunicipalityCode.class);
        long wait = requestedWait(request(exchange));
        boolean waiting = wait > 0 && waitingPolls.tryAcquire();
        DownloadQueue.Offer offer;
        try {
            offer = downloads.next(code, waiting ? wait : 0);
        } finally {
            if (waiting) {
                waitingPolls.release();
            }
        }
        if (offer == null) {
            exchange.getMessage().removeHeaders("*");
            exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 204);
            exchange.getMessage().setBody("");
            return;
        }
        // Closed by the HTTP binding after it has copied the body, or here when the request fails before that.
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                try {
                    offer.ciphertext().close();
                } catch (IOException e) {
                    LOG.warn("Download stream did not close: municipality={} fileId={} error={}", code,
                            offer.fileId(), e.toString());
                }
            }
        });
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/octet-stream");
        exchange.getMessage().setHeader(FILE_ID_HEADER, offer.fileId());
        exchange.getMessage().setHeader(MANIFEST_HEADER, Base64.getEncoder().encodeToString(
                offer.manifest().getBytes(StandardCharsets.UTF_8)));
        exchange.getMessage().setHeader(SIGNATURE_HEADER, offer.signature());
        exchange.getMessage().setHeader(CIPHERTEXT_LENGTH_HEADER, offer.ciphertextBytes());
        exchange.getMessage().setBody(offer.ciphertext());
        offeredFiles.add(code.value() + "/" + offer.fileId());
        LOG.info("{}: municipality={} fileId={} ciphertextBytes={}", offered, code, offer.fileId(),
                offer.ciphertextBytes());
    }

    /** Returns the wait the agent asked for with {@code waitMs}, capped by the server's maximum; 0 when absent. */
    private long requestedWait(HttpServletRequest request) throws WindowHttpException {
        String value = request.getParameter("waitMs");
        if (value == null) {
            return 0;
        }
        try {
            long wait = Long.parseLong(value);
            if (wait < 0) {
                throw new NumberFormatException(value);
            }
            return Math.min(wait, settings.downloads().longPollMaxMillis());
        } catch (NumberFormatException e) {
            throw new WindowHttpException(400, "waitMs '" + InterfaceFileName.printable(value)
                    + "' is not a whole number of milliseconds", "send waitMs=0 or a positive wait in ms");
        }
    }

    /** Removes an acknowledged download, or dead-letters a refused one. */
    void acknowledge(Exchange exchange) throws Exception {
        MunicipalityCode code = exchange.getProperty(WindowRequests.CODE, MunicipalityCode.class);
        String fileId = exchange.getProperty(WindowRequests.FILE_ID, String.class);
        String refusal = refusal(request(exchange));
        String key = code.value() + "/" + fileId;
        DownloadQueue.Acknowledgement result = downloads.acknowledge(code, fileId, refusal,
                offeredFiles.contains(key));
        if (result == DownloadQueue.Acknowledgement.REMOVED || result == DownloadQueue.Acknowledgement.DEAD_LETTERED) {
            offeredFiles.remove(key);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("fileId", fileId);
        switch (result) {
            case REMOVED, ALREADY_ACKNOWLEDGED -> body.put("state", "acknowledged");
            case DEAD_LETTERED, ALREADY_REFUSED -> body.put("state", "refused");
            case UNKNOWN -> throw new WindowHttpException(404, "no download with file id " + fileId
                    + " is waiting for municipality " + code + " or was acknowledged recently",
                    "acknowledge only file ids offered by GET " + nextPath.replace("{code}", code.value()));
            case NOT_OFFERED -> {
                LOG.warn("Acknowledgement of a file not offered rejected, the file stays: municipality={} fileId={}",
                        code, fileId);
                throw new WindowHttpException(404, "file " + fileId + " of municipality " + code + " waits but was"
                        + " not offered since this window server started", "request it with GET "
                        + nextPath.replace("{code}", code.value()) + ", write it, then acknowledge it");
            }
        }
        body.put("repeated", result == DownloadQueue.Acknowledgement.ALREADY_ACKNOWLEDGED
                || result == DownloadQueue.Acknowledgement.ALREADY_REFUSED);
        WindowRequests.json(exchange, 200, body);
    }

    /** Reads the optional acknowledgement body; returns the refusal reason, or null for a file written. */
    private static String refusal(HttpServletRequest request) throws IOException, WindowHttpException {
        byte[] body;
        try (InputStream in = request.getInputStream()) {
            body = in.readNBytes(MAX_ACK_BYTES + 1);
        }
        if (body.length > MAX_ACK_BYTES) {
            throw new WindowHttpException(413, "acknowledgement body exceeds " + MAX_ACK_BYTES + " bytes",
                    "send {\"outcome\":\"written\"} or {\"outcome\":\"refused\",\"reason\":\"...\"}");
        }
        if (body.length == 0) {
            return null;
        }
        JsonNode ack;
        try {
            ack = JSON.readTree(body);
        } catch (IOException e) {
            ack = null;
        }
        String outcome = ack == null ? "" : ack.path("outcome").asText();
        if (outcome.equals("written")) {
            return null;
        }
        if (!outcome.equals("refused")) {
            throw new WindowHttpException(400, "acknowledgement body is invalid: expected JSON with outcome written or refused",
                    "send {\"outcome\":\"written\"} or {\"outcome\":\"refused\",\"reason\":\"...\"}");
        }
        String reason = InterfaceFileName.printable(ack.path("reason").asText("(no reason given)"));
        return reason.length() > MAX_REASON_CHARACTERS ? reason.substring(0, MAX_REASON_CHARACTERS) + "…" : reason;
    }

    private static HttpServletRequest request(Exchange exchange) {
        return exchange.getMessage(HttpMessage.class).getRequest();
    }
}
