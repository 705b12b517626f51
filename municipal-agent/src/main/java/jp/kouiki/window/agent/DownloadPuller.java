package jp.kouiki.window.agent;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import com.fasterxml.jackson.databind.ObjectMapper;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.FileManifest;

/**
 * Asks the central server for each municipality's downloads, on a fixed pool of workers: a request for the next file
 * ({@code GET .../downloads/next}, optionally held open by the server until one arrives), the file written by
 * {@link InboxWriter}, then the acknowledgement ({@code POST .../downloads/{fileId}/ack}). Only the agent starts
 * connections. Each municipality has at most one request at a time. After a file the next request follows at once;
 * after a response without a file, or a failure, it follows after the poll interval.
 */
final class DownloadPuller implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DownloadPuller.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ERROR_BODY_BYTES = 4096;

    /** Writes one offered file where it belongs and returns the outcome that the acknowledgement reports. */
    interface Writer {
        /**
         * Writes one file offered for {@code code}.
         *
         * @throws IOException when reading the body or writing to disk failed; nothing is acknowledged then, and the
         *                     file is offered again
         */
        InboxWriter.Outcome write(MunicipalityCode code, String fileId, String manifestBase64, String signature,
                InputStream ciphertext, long ciphertextBytes) throws IOException;
    }

    /** Result of one request for the next download. */
    private enum Pulled { FILE, NONE, FAILED, VERSION_NOT_ACCEPTED }

    private final AgentSettings settings;
    private final CentralClient client;
    private final Writer writer;
    private final String resource;
    private final ScheduledThreadPoolExecutor workers;
    private volatile boolean running;
    /** Failed requests in a row, per municipality. */
    private final Map<MunicipalityCode, Integer> failures = new ConcurrentHashMap<>();
    /** The municipalities pulled for now; a reload of the municipality list adds and removes them. */
    private final java.util.Set<MunicipalityCode> pulling = ConcurrentHashMap.newKeySet();

    /** Pulls each municipality's downloads into its inbox. */
    DownloadPuller(AgentSettings settings, CentralClient client, InboxWriter writer) {
        this(settings, client, writer, "/window/v1/municipalities/{code}/downloads");
    }

    /**
     * @param resource the path below which {@code /next} offers a file and {@code /{fileId}/ack} acknowledges it, with
     *                 {@code {code}} for the municipality
     */
    DownloadPuller(AgentSettings settings, CentralClient client, Writer writer, String resource) {
        this.settings = settings;
        this.client = client;
        this.writer = writer;
        this.resource = resource;
        this.workers = new ScheduledThreadPoolExecutor(settings.downloads().workers(), runnable -> {
            Thread thread = new Thread(runnable, "download-worker");
            thread.setDaemon(true);
            return thread;
        });
    }

    void start() {
        running = true;
        for (MunicipalityCode code : settings.municipalities()) {
            add(code);
        }
    }

    /** Starts pulling for a municipality, as when it is added without a restart; nothing happens when it is pulled. */
    void add(MunicipalityCode code) {
        if (pulling.add(code)) {
            workers.execute(() -> pullAndReschedule(code));
        }
    }

    /** Stops pulling for a municipality after its current request, as when it is removed without a restart. */
    void remove(MunicipalityCode code) {
        pulling.remove(code);
    }

    private void pullAndReschedule(MunicipalityCode code) {
        if (!running || !pulling.contains(code)) {
            return;
        }
        Pulled pulled;
        try {
            pulled = pull(code);
        } catch (IOException | RuntimeException e) {
            logFailure(code, e);
            pulled = Pulled.FAILED;
        }
        if (running) {
            long delay;
            if (pulled == Pulled.FAILED) {
                delay = retryDelay(code);
                failures.merge(code, 1, Integer::sum);
            } else if (pulled == Pulled.VERSION_NOT_ACCEPTED) {
                // The central server rejects every request until the agent is upgraded, so ask again only slowly.
                failures.remove(code);
                delay = Math.max(settings.downloads().pollIntervalMillis(), settings.retryMaxDelayMillis());
            } else {
                failures.remove(code);
                delay = pulled == Pulled.FILE ? 0 : settings.downloads().pollIntervalMillis();
            }
            workers.schedule(() -> pullAndReschedule(code), delay, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Logs a failed request at WARN for the first failure in a row and then for the 2nd, 4th, 8th and so on, and at
     * DEBUG otherwise. While the central server is down every municipality fails at every retry, and one line per
     * municipality per retry buried the agent's log (62 lines every 30 s for Tokyo).
     */
    private void logFailure(MunicipalityCode code, Exception error) {
        int failed = failures.getOrDefault(code, 0) + 1;
        Level level = Integer.bitCount(failed) == 1 ? Level.WARN : Level.DEBUG;
        LOG.atLevel(level).log("Download failed, trying again in {} ms: municipality={} failuresInRow={} error={}",
                retryDelay(code), code, failed, error.toString());
    }

    /**
     * Returns the delay before the next request after a failure: the poll interval, doubled after each further failure
     * in a row up to {@code agent.upload.retry-max-delay-ms}, so an unreachable central server is not asked for every
     * municipality every poll interval.
     */
    long retryDelay(MunicipalityCode code) {
        int failed = Math.min(failures.getOrDefault(code, 0), 20);
        long delay = settings.downloads().pollIntervalMillis() << failed;
        return Math.max(settings.downloads().pollIntervalMillis(), Math.min(delay, settings.retryMaxDelayMillis()));
    }

    /**
     * Requests the next file, writes it and acknowledges it. A failed connection or a 503 moves on to the other central
     * server of a pair, if there is one.
     */
    private Pulled pull(MunicipalityCode code) throws IOException {
        CentralClient.StreamingTarget target = client.streamingTarget(code);
        URI uri = target.centralUrl().resolve(resource(code) + "/next?waitMs=" + settings.downloads().longPollMillis());
        HttpGet request = new HttpGet(uri);
        request.setHeader("User-Agent", "window-agent/" + CentralClient.VERSION);
        request.setHeader("Window-Agent-Version", CentralClient.VERSION);
        request.setHeader(CentralClient.CONFIG_HEADER, settings.configDigest());
        request.setHeader(AgentInstance.HEADER, client.instanceId());
        String fileId;
        InboxWriter.Outcome outcome;
        ClassicHttpResponse response;
        try {
            response = target.client().executeOpen(HttpHost.create(uri), request, null);
        } catch (IOException e) {
            client.streamingFailed(target, e.getMessage());
            throw e;
        }
        try (response) {
            int status = response.getCode();
            if (status == 204) {
                client.noteVersionVerdict(code, status, null);
                return Pulled.NONE;
            }
            if (status == CentralClient.VERSION_NOT_ACCEPTED) {
                client.noteVersionVerdict(code, status, errorBody(response.getEntity()));
                return Pulled.VERSION_NOT_ACCEPTED;
            }
            if (status != 200) {
                if (status == 503) {
                    client.streamingFailed(target, "HTTP 503");
                }
                LOG.warn("Download request failed with status {}: municipality={} body={}", status, code,
                        errorBody(response.getEntity()));
                return Pulled.FAILED;
            }
            fileId = header(response, "Window-File-Id");
            if (!FileManifest.isFileId(fileId)) {
                throw new IOException("central server offered a download without a valid Window-File-Id header");
            }
            try (InputStream body = response.getEntity().getContent()) {
                outcome = writer.write(code, fileId, header(response, "Window-Manifest"),
                        header(response, "Window-Signature"), body, ciphertextBytes(response));
                if (!(outcome instanceof InboxWriter.Written)) {
                    // The rest of the body is not needed; dropping the connection is cheaper than reading a large file.
                    request.abort();
                }
            }
        }
        acknowledge(code, fileId, outcome);
        return Pulled.FILE;
    }

    /**
     * Acknowledges a written, known or refused download. A failure leaves the download in the central queue, which
     * offers it again; the ledger then recognises it and the acknowledgement is repeated.
     */
    private void acknowledge(MunicipalityCode code, String fileId, InboxWriter.Outcome outcome) throws IOException {
        Map<String, String> ack = new LinkedHashMap<>();
        if (outcome instanceof InboxWriter.Refused refused) {
            ack.put("outcome", "refused");
            ack.put("reason", refused.reason());
        } else {
            ack.put("outcome", "written");
        }
        CentralClient.Response response = client.send(code, "POST", resource(code) + "/" + fileId + "/ack",
                Map.of("Content-Type", "application/json"), JSON.writeValueAsBytes(ack));
        if (response.status() == 404) {
            LOG.warn("Central server no longer knows the acknowledged download: municipality={} fileId={} body={}",
                    code, fileId, response.body());
            return;
        }
        if (!response.isSuccess()) {
            throw new IOException("acknowledgement of download " + fileId + " failed with status " + response.status() + ": "
                    + response.body());
        }
        LOG.debug("Download acknowledged: municipality={} fileId={} outcome={}", code, fileId, ack.get("outcome"));
    }

    private String resource(MunicipalityCode code) {
        return resource.replace("{code}", code.value());
    }

    private static long ciphertextBytes(ClassicHttpResponse response) {
        String value = header(response, "Window-Ciphertext-Length");
        try {
            return value == null ? -1 : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static String header(ClassicHttpResponse response, String name) {
        Header header = response.getFirstHeader(name);
        return header == null ? null : header.getValue();
    }

    private static String errorBody(HttpEntity entity) throws IOException {
        if (entity == null) {
            return "";
        }
        try (InputStream in = entity.getContent()) {
            return new String(in.readNBytes(MAX_ERROR_BODY_BYTES), StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        workers.shutdownNow();
        workers.awaitTermination(30, TimeUnit.SECONDS);
    }
}
