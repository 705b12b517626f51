package jp.kouiki.window.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.PushbackInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import jp.kouiki.window.broker.MessageBodies;
import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.pacing.BandwidthLimiter;
import jp.kouiki.window.queue.DrainOutcome;
import jp.kouiki.window.queue.QueueDrainer;
import jp.kouiki.window.transfer.FileManifest;

/**
 * Sends one queued file to the central window server: announces it with its signed manifest, learns how many bytes
 * the server already holds, and sends the rest of the ciphertext in chunks, each with a {@code Content-Range}. A file
 * whose ciphertext fits in one chunk goes in a single request that carries the manifest in headers. Every
 * request is idempotent, so a retry after a broken line or an agent restart resumes at the server's confirmed
 * offset and never creates a second copy.
 *
 * <p>Chunk bodies are paced by the agent's {@link BandwidthLimiter} while the HTTP client writes them. A bulk upload
 * gives its worker up after a chunk and resumes later at the confirmed offset when a daily file of the same
 * municipality waits, or when its time slice is used while other municipalities wait for a worker. Any upload does
 * the same when its schedule has closed. A {@code Retry-After} from the central server sets the delay before the
 * next attempt.
 */
final class UploadForwarder implements QueueDrainer.Handler {

    private static final Logger LOG = LoggerFactory.getLogger(UploadForwarder.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Initial size of the chunk buffer, which doubles up to the chunk size while a file fills it. */
    private static final int FIRST_CHUNK_BUFFER_BYTES = 64 * 1024;

    private final AgentSettings settings;
    private final CentralClient client;
    private final Map<MunicipalityCode, Integer> failures = new ConcurrentHashMap<>();
    private final ReceiptTracker receipts;
    private final HeldFiles heldFiles;

    /** An operator cancelled the file at the central server, which rejected it with 410. */
    private static final class CancelledException extends Exception {

        private static final long serialVersionUID = 1L;

        CancelledException(String reason) {
            super(reason);
        }
    }

    /** The central server held the file as a possible duplicate of one it received recently. */
    private static final class HeldException extends Exception {

        private static final long serialVersionUID = 1L;

        HeldException(String reason) {
            super(reason);
        }
    }

    /**
     * The central server refused this agent's version with 426. The file stays queued and is tried again after the
     * server's Retry-After, or after {@code agent.upload.retry-max-delay-ms} when it sent none.
     */
    private static final class VersionNotAcceptedException extends IOException {

        private static final long serialVersionUID = 1L;
        private final transient Duration retryAfter;

        VersionNotAcceptedException(String reason, Duration retryAfter) {
            super(reason);
            this.retryAfter = retryAfter;
        }

        Duration retryAfter() {
            return retryAfter;
        }
    }

    private final BandwidthLimiter limiter;
    private final QueueInspector queues;
    private final ScheduleGate schedules;
    private final Map<MunicipalityCode, InFlight> inFlight = new ConcurrentHashMap<>();
    private BooleanSupplier othersWaiting = () -> false;
    private volatile boolean stopping;
    /** Set once the central server returned 404 to a whole-file request, as a server without them does. */
    private volatile boolean wholeFileUnsupported;
    /** The file id and name that each worker is handling, by municipality. */
    private final Map<MunicipalityCode, Map.Entry<String, String>> handling = new ConcurrentHashMap<>();
    private AgentCancellations cancellations;

    /**
     * The upload a worker is sending now: file, class, the bytes sent so far and the attempt's progress figures, for
     * the status report.
     */
    record InFlight(String fileName, long size, PriorityClass priorityClass, String schedule, long sent,
            UploadProgress.Figures progress) {
    }

    UploadForwarder(AgentSettings settings, CentralClient client, ReceiptTracker receipts, HeldFiles heldFiles,
            BandwidthLimiter limiter, QueueInspector queues, ScheduleGate schedules) {
        this.settings = settings;
        this.client = client;
        this.receipts = receipts;
        this.heldFiles = heldFiles;
        this.limiter = limiter;
        this.queues = queues;
        this.schedules = schedules;
    }

    /** Sets the check for municipalities waiting for an upload worker. */
    /**
     * Marks the agent as stopping. The stop closes the HTTP connections of the uploads in flight, so their errors are
     * logged as a stop instead of as failures to retry.
     */
    void stopping() {
        stopping = true;
    }

    void yieldWhen(BooleanSupplier othersWaiting) {
        this.othersWaiting = othersWaiting;
    }

    /** Sets where files that the central server reports as cancelled are moved aside. */
    void cancelWith(AgentCancellations cancellations) {
        this.cancellations = cancellations;
    }

    /** Returns the file id and name of the file a worker handles for the municipality, as a map of at most one. */
    Map<String, String> sending(MunicipalityCode code) {
        Map.Entry<String, String> current = handling.get(code);
        return current == null ? Map.of() : Map.of(current.getKey(), current.getValue());
    }

    /** Returns the uploads in progress by municipality. */
    Map<MunicipalityCode, InFlight> inFlight() {
        return Map.copyOf(inFlight);
    }

    @Override
    public DrainOutcome handle(MunicipalityCode code, ClientMessage message) throws Exception {
        String fileId = message.getStringProperty(QueuedFile.FILE_ID);
        String manifest = message.getStringProperty(QueuedFile.MANIFEST);
        String fileName = FileManifest.fromJson(manifest.getBytes(StandardCharsets.UTF_8)).fileName();
        handling.put(code, Map.entry(fileId, fileName));
        try {
            DrainOutcome outcome = upload(code, fileId, fileName, manifest, message);
            failures.remove(code);
            inFlight.remove(code);
            if (outcome instanceof DrainOutcome.Rejected rejected) {
                moveSentFileToError(code, message, rejected.reason());
            } else if (outcome instanceof DrainOutcome.Completed) {
                receipts.expect(code, fileId, message.getStringProperty(QueuedFile.SENT_PATH));
            }
            return outcome;
        } catch (HeldException e) {
            failures.remove(code);
            inFlight.remove(code);
            String sent = message.getStringProperty(QueuedFile.SENT_PATH);
            heldFiles.hold(code, sent == null ? null : Path.of(sent), fileId, e.getMessage());
            return new DrainOutcome.Completed("held as a possible duplicate");
        } catch (CancelledException e) {
            failures.remove(code);
            inFlight.remove(code);
            cancellations.cancelledAtCentral(code, fileId, fileName, message.getStringProperty(QueuedFile.SENT_PATH),
                    e.getMessage());
            return new DrainOutcome.Completed("cancelled by an operator");
        } catch (VersionNotAcceptedException e) {
            inFlight.remove(code);
            LOG.debug("Upload waits, the central server does not accept this agent's version: municipality={}"
                    + " file={} fileId={} retryInMs={}", code, fileName, fileId, e.retryAfter().toMillis());
            return new DrainOutcome.RetryLater(e.retryAfter(), e.getMessage());
        } catch (CentralBusyException e) {
            inFlight.remove(code);
            LOG.info("Central server asked to wait: municipality={} file={} fileId={} status={} retryInMs={} reason={}",
                    code, fileName, fileId, e.status(), e.retryAfter().toMillis(), e.getMessage());
            return new DrainOutcome.RetryLater(e.retryAfter(), e.getMessage());
        } catch (IOException e) {
            inFlight.remove(code);
            if (stopping) {
                LOG.info("Upload stopped with the agent, resuming from the central server's offset at the next start:"
                        + " municipality={} file={} fileId={} error={}", code, fileName, fileId, e.getMessage());
                return new DrainOutcome.RetryLater(Duration.ZERO, "the agent is stopping");
            }
            int attempt = failures.merge(code, 1, Integer::sum);
            Duration delay = backoff(attempt);
            LOG.warn("Upload failed, retrying: municipality={} file={} fileId={} attempt={} retryInMs={} error={}",
                    code, fileName, fileId, attempt, delay.toMillis(), e.getMessage());
            return new DrainOutcome.RetryLater(delay, e.getMessage());
        } catch (RuntimeException e) {
            inFlight.remove(code);
            if (!stopping) {
                throw e;
            }
            // While Camel stops, the HTTP endpoint of the next request may no longer resolve.
            LOG.info("Upload stopped with the agent, resuming from the central server's offset at the next start:"
                    + " municipality={} file={} fileId={} error={}", code, fileName, fileId, e.toString());
            return new DrainOutcome.RetryLater(Duration.ZERO, "the agent is stopping");
        } finally {
            handling.remove(code);
        }
    }

    @Override
    public void gaveUp(MunicipalityCode code, ClientMessage message, String reason) throws IOException {
        moveSentFileToError(code, message, reason);
    }

    private DrainOutcome upload(MunicipalityCode code, String fileId, String fileName, String manifest,
            ClientMessage message) throws IOException, HeldException, CancelledException {
        String base = "/window/v1/municipalities/" + code + "/uploads";
        long ciphertextBytes = MessageBodies.size(message);
        int singleRequestMax = Math.min(settings.singleRequestMaxBytes(), settings.chunkSizeBytes());
        if (!wholeFileUnsupported && ciphertextBytes <= singleRequestMax) {
            return sendWhole(code, fileId, fileName, base + "/" + fileId, manifest, message, (int) ciphertextBytes);
        }
        Map<String, String> announce = new LinkedHashMap<>();
        announce.put("manifest", Base64.getEncoder().encodeToString(manifest.getBytes(StandardCharsets.UTF_8)));
        announce.put("signature", message.getStringProperty(QueuedFile.SIGNATURE));
        if (message.containsProperty(QueuedFile.RESUBMISSION_CONFIRMED)
                && message.getBooleanProperty(QueuedFile.RESUBMISSION_CONFIRMED)) {
            announce.put("resubmission", "confirmed");
        }
        CentralClient.Response response = client.send(code, "POST", base,
                Map.of("Content-Type", "application/json", "Idempotency-Key", fileId),
                JSON.writeValueAsBytes(announce));
        DrainOutcome failed = failure(code, fileId, response);
        if (failed != null) {
            return failed;
        }
        JsonNode state = JSON.readTree(response.body());
        if ("stored".equals(state.path("state").asText())) {
            LOG.info("File already stored at the central server: municipality={} file={} fileId={}", code, fileName,
                    fileId);
            return new DrainOutcome.Completed("already stored");
        }
        long offset = state.path("offset").asLong();
        return sendChunks(code, fileId, fileName, base + "/" + fileId, message, offset);
    }

    /**
     * Sends the whole ciphertext with the signed manifest in one request. When the central server does not accept
     * such requests, the file is retried at once and from then on announced and sent in chunks.
     */
    private DrainOutcome sendWhole(MunicipalityCode code, String fileId, String fileName, String path, String manifest,
            ClientMessage message, int length) throws IOException, HeldException, CancelledException {
        byte[] ciphertext;
        try (InputStream body = MessageBodies.stream(message)) {
            ciphertext = body.readNBytes(length);
        }
        if (ciphertext.length != length) {
            throw new IOException("queued ciphertext of file " + fileId + " has " + ciphertext.length + " bytes where"
                    + " its message declares " + length);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/octet-stream");
        headers.put("Content-Range", "bytes 0-" + (length - 1) + "/" + length);
        headers.put("Idempotency-Key", fileId);
        headers.put("Window-Manifest", Base64.getEncoder().encodeToString(manifest.getBytes(StandardCharsets.UTF_8)));
        headers.put("Window-Signature", message.getStringProperty(QueuedFile.SIGNATURE));
        if (message.containsProperty(QueuedFile.RESUBMISSION_CONFIRMED)
                && message.getBooleanProperty(QueuedFile.RESUBMISSION_CONFIRMED)) {
            headers.put("Window-Resubmission", "confirmed");
        }
        long size = sizeOf(message);
        UploadProgress progress = new UploadProgress(code, fileName, fileId, size, 0, System.nanoTime());
        inFlight.put(code, new InFlight(fileName, size, classOf(message), message.getStringProperty(
                QueuedFile.SCHEDULE), 0, progress.figures()));
        CentralClient.Response response = client.send(code, "PUT", path, headers,
                new PacedChunkEntity(ciphertext, length, limiter));
        if (response.status() == 404) {
            wholeFileUnsupported = true;
            LOG.info("Central server does not take a file with its manifest in one request; every file is announced"
                    + " first until the agent restarts: municipality={} fileId={}", code, fileId);
            // The message's body has been read, so the file is sent again from a fresh delivery of the message.
            return new DrainOutcome.RetryLater(Duration.ZERO, "the central server does not take whole-file requests");
        }
        DrainOutcome failed = failure(code, fileId, response);
        if (failed != null) {
            return failed;
        }
        JsonNode state = JSON.readTree(response.body());
        if (!"stored".equals(state.path("state").asText())) {
            throw new IOException("central server did not confirm storage of file " + fileId + " sent whole: "
                    + response.body());
        }
        if (!state.has("offset")) {
            LOG.info("File already stored at the central server: municipality={} file={} fileId={}", code, fileName,
                    fileId);
            return new DrainOutcome.Completed("already stored");
        }
        progress.confirmed(length, System.nanoTime());
        LOG.info("File uploaded: municipality={} file={} fileId={} ciphertextBytes={}", code, fileName, fileId,
                length);
        return new DrainOutcome.Completed("stored");
    }

    private DrainOutcome sendChunks(MunicipalityCode code, String fileId, String fileName, String path,
            ClientMessage message, long offset) throws IOException, HeldException, CancelledException {
        // Starts small and grows to the chunk size, so that a file of a few KiB does not take a chunk-sized array.
        byte[] chunk = new byte[Math.min(settings.chunkSizeBytes(), FIRST_CHUNK_BUFFER_BYTES)];
        PriorityClass fileClass = classOf(message);
        String schedule = message.getStringProperty(QueuedFile.SCHEDULE);
        long size = sizeOf(message);
        long started = System.nanoTime();
        UploadProgress progress = new UploadProgress(code, fileName, fileId, size, offset, started);
        try (PushbackInputStream body = new PushbackInputStream(MessageBodies.stream(message), 1)) {
            skipFully(body, offset);
            long position = offset;
            while (true) {
                int length = body.readNBytes(chunk, 0, chunk.length);
                while (length == chunk.length && chunk.length < settings.chunkSizeBytes()) {
                    chunk = Arrays.copyOf(chunk, (int) Math.min(settings.chunkSizeBytes(), 2L * chunk.length));
                    length += body.readNBytes(chunk, length, chunk.length - length);
                }
                int next = body.read();
                boolean last = next < 0;
                if (!last) {
                    body.unread(next);
                }
                long end = position + length - 1;
                String total = last ? Long.toString(position + length) : "*";
                String range = length == 0 ? "bytes */" + total : "bytes " + position + "-" + end + "/" + total;
                inFlight.put(code, new InFlight(fileName, size, fileClass, schedule, position, progress.figures()));
                PacedChunkEntity payload = new PacedChunkEntity(chunk, length, limiter);
                CentralClient.Response response = client.send(code, "PUT", path,
                        Map.of("Content-Type", "application/octet-stream", "Content-Range", range,
                                "Idempotency-Key", fileId),
                        payload);
                DrainOutcome failed = failure(code, fileId, response);
                if (failed != null) {
                    return failed;
                }
                JsonNode state = JSON.readTree(response.body());
                position = state.path("offset").asLong();
                progress.confirmed(position, System.nanoTime());
                // A line that fails now and then but still carries chunks keeps the first retry delay, instead of
                // growing it towards the maximum as if nothing got through.
                failures.remove(code);
                if ("stored".equals(state.path("state").asText())) {
                    LOG.info("File uploaded: municipality={} file={} fileId={} ciphertextBytes={}", code, fileName,
                            fileId, position);
                    return new DrainOutcome.Completed("stored");
                }
                if (last) {
                    throw new IOException("central server confirmed offset " + position + " but not storage after"
                            + " the last chunk of file " + fileId);
                }
                if (position != end + 1) {
                    throw new IOException("central server confirmed offset " + position + " where " + (end + 1)
                            + " was expected; resuming from the server's offset");
                }
                String pause = pauseReason(code, message, fileClass, schedule, started);
                if (pause != null) {
                    inFlight.remove(code);
                    LOG.info("Upload paused after a chunk: municipality={} file={} fileId={} offset={} reason={}",
                            code, fileName, fileId, position, pause);
                    return new DrainOutcome.RetryLater(Duration.ZERO, pause);
                }
            }
        }
    }

    /** Returns why the upload should give its worker up after this chunk, or null to go on. */
    private String pauseReason(MunicipalityCode code, ClientMessage message, PriorityClass fileClass, String schedule,
            long startedNanos) {
        if (schedule != null && !schedules.isOpen(schedule)) {
            return "schedule " + schedule + " has closed";
        }
        if (fileClass != PriorityClass.BULK) {
            return null;
        }
        if (queues.hasWaitingAbove(code, message.getPriority(), schedules::isOpen)) {
            return "a daily file of the same municipality is waiting";
        }
        long elapsedMillis = (System.nanoTime() - startedNanos) / 1_000_000;
        PacingSettings pacing = settings.pacing();
        if (elapsedMillis >= pacing.timeSliceMillis() && othersWaiting.getAsBoolean()) {
            return "time slice of " + pacing.timeSliceMillis() + " ms used while other municipalities wait";
        }
        return null;
    }

    private static PriorityClass classOf(ClientMessage message) {
        String label = message.getStringProperty(QueuedFile.PRIORITY_CLASS);
        return label == null ? PriorityClass.DAILY : PriorityClass.ofLabel(label);
    }

    private static long sizeOf(ClientMessage message) {
        Long size = message.getLongProperty(QueuedFile.SIZE);
        return size == null ? 0 : size;
    }

    /** Maps an error response to an outcome; returns null for a success. */
    private DrainOutcome failure(MunicipalityCode code, String fileId, CentralClient.Response response)
            throws IOException, HeldException, CancelledException {
        if (response.isSuccess()) {
            return null;
        }
        String reason = "HTTP " + response.status() + ": " + response.body();
        if (response.status() == 410) {
            JsonNode error = parseQuietly(response.body());
            if ("cancelled".equals(error.path("state").asText())) {
                throw new CancelledException(error.path("error").asText(reason));
            }
        }
        if (response.status() == 409) {
            JsonNode error = parseQuietly(response.body());
            if ("held".equals(error.path("state").asText())) {
                throw new HeldException(error.path("error").asText(reason));
            }
        }
        if (response.status() == 403
                && "unknown-signing-key".equals(parseQuietly(response.body()).path("state").asText())) {
            throw new IOException("central server does not have this municipality's new signing key yet, retrying"
                    + " until it is installed there: " + reason);
        }
        if (response.status() == 403
                && "not-served".equals(parseQuietly(response.body()).path("state").asText())) {
            throw new IOException("central server no longer serves this municipality, the file stays queued and is"
                    + " sent again until agent.central-url." + code + " names the server that serves it: " + reason);
        }
        if (response.status() == CentralClient.VERSION_NOT_ACCEPTED) {
            Duration retryAfter = CentralBusyException.retryAfter(response.retryAfter());
            throw new VersionNotAcceptedException("central server does not accept this agent's version: " + reason,
                    retryAfter == null ? Duration.ofMillis(settings.retryMaxDelayMillis()) : retryAfter);
        }
        if (response.status() == 401) {
            throw new IOException("central server did not accept the client certificate, retrying until a renewed"
                    + " one is installed: " + reason);
        }
        Duration retryAfter = CentralBusyException.retryAfter(response.retryAfter());
        if ((response.status() == 429 || response.status() == 503) && retryAfter != null) {
            throw new CentralBusyException(response.status(), retryAfter, "central server is busy: " + reason);
        }
        if (response.status() == 408 || response.status() == 429 || response.status() >= 500) {
            throw new IOException("central server is not ready: " + reason);
        }
        if (response.status() == 409) {
            throw new IOException("central server has confirmed another offset, resuming from it: " + reason);
        }
        LOG.warn("Upload refused by the central server: municipality={} fileId={} status={} reason={}", code, fileId,
                response.status(), response.body());
        return new DrainOutcome.Rejected(reason);
    }

    private void moveSentFileToError(MunicipalityCode code, ClientMessage message, String reason) throws IOException {
        String sent = message.getStringProperty(QueuedFile.SENT_PATH);
        if (sent == null || !Files.exists(Path.of(sent))) {
            return;
        }
        Path source = Path.of(sent);
        Path target = AtomicFiles.createDirectories(settings.error(code)).resolve(source.getFileName());
        Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.writeAtomically(target.resolveSibling(target.getFileName() + ".reason"),
                ("file: " + source.getFileName() + "\nreason: 中央の窓口サーバが受け付けませんでした / the central window"
                        + " server refused the file: " + reason + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode parseQuietly(String body) {
        try {
            return JSON.readTree(body == null ? "{}" : body);
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    private Duration backoff(int attempt) {
        long delay = settings.retryInitialDelayMillis() << Math.min(attempt - 1, 20);
        return Duration.ofMillis(Math.min(delay, settings.retryMaxDelayMillis()));
    }

    private static void skipFully(InputStream in, long bytes) throws IOException {
        long remaining = bytes;
        while (remaining > 0) {
            long skipped = in.skip(remaining);
            if (skipped <= 0) {
                if (in.read() < 0) {
                    throw new IOException("queued ciphertext is shorter than the server's offset " + bytes);
                }
                skipped = 1;
            }
            remaining -= skipped;
        }
    }
}
