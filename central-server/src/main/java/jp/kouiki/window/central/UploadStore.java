package jp.kouiki.window.central;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.ActiveMQExceptionType;
import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.broker.MessageBodies;
import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.central.operator.Cancellations;
import jp.kouiki.window.central.operator.TransferEvents;
import jp.kouiki.window.central.operator.UploadCancellation;
import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.FileManifest;

/**
 * Receives the ciphertext of announced files chunk by chunk into {@code uploads/<code>/<fileId>/} and, once complete,
 * streams it into the municipality's upload queue as one durable message. The file id is the message's
 * duplicate-detection id and a marker in {@code stored/<code>/} remembers completed files, so no retry ever queues a
 * file twice.
 *
 * <p>Chunks are not synced one by one. A chunk is synced, and its end written to the {@code synced} marker, once
 * {@link #SYNC_INTERVAL_BYTES} have arrived since the last sync or {@link #SYNC_INTERVAL_MILLIS} have passed. When a
 * node becomes active it cuts every partial upload back to its marker, because after a power loss or on another node
 * of the pair the bytes behind it may be missing or garbage. The agent then resumes from that offset. A process crash
 * keeps the unsynced bytes in the page cache, but they are cut back as well, because the node cannot distinguish the two.
 *
 * <p>From its second chunk on, a file is copied into the queue while further chunks arrive ({@link QueueFeed}), by at
 * most {@link #MAX_FEEDS} files at a time. The last chunk then waits only for the rest of the copy and the commit. A
 * copy that ends without a commit, for example because the chunks stopped for {@link #FEED_IDLE_MILLIS}, is not
 * started again, and the file is copied after its last chunk.
 *
 * <p>A file whose whole ciphertext comes in one request with its manifest, and fits in {@link #IN_REQUEST_BYTES},
 * goes from the request straight into the queue ({@link #receiveWhole}), without the staging folder and its syncs.
 *
 * <p>A file that an operator cancelled is rejected with 410 and the state {@code cancelled} at its announce and at
 * every chunk. Its partial upload is deleted, and a marker in {@code cancelled/<code>/} names the cancellation, so the
 * rejection stays in force after the cancellation has been reported done.
 */
final class UploadStore implements UploadCancellation {

    /** Message properties of a stored file. */
    static final String FILE_ID = "WindowFileId";
    static final String MANIFEST = "WindowManifest";
    static final String SIGNATURE = "WindowSignature";

    private static final Logger LOG = LoggerFactory.getLogger(UploadStore.class);
    private static final int LOCK_STRIPES = 256;

    /** Upload state reported to the agent. */
    record Progress(long offset, boolean stored) {
    }

    private static final String CONFIRMED = "resubmission-confirmed";
    private static final String SYNCED = "synced";

    /**
     * Bytes received since the last sync after which the next chunk is synced. It bounds the unsynced bytes of one
     * upload; the time limit below usually comes first.
     */
    static final long SYNC_INTERVAL_BYTES = 1024L * 1024 * 1024;

    /**
     * Time since the last sync after which the next chunk is synced, so that a crash costs at most this much of the
     * line's time to send again, whatever its speed. A file that arrives within it is never synced in the staging
     * folder: the queue commit makes it durable, and the kernel may never write the staged copy.
     */
    static final long SYNC_INTERVAL_MILLIS = 10_000;

    /** Uploads copied into the queue while their chunks arrive, at most; the others are copied after the last chunk. */
    static final int MAX_FEEDS = 4;

    /**
     * Largest ciphertext that a whole-file request queues from memory; a larger one is staged like any chunk. At the
     * inline limit of a queue message, so that such a file is never a large message.
     */
    static final int IN_REQUEST_BYTES = MessageBodies.INLINE_LIMIT_BYTES;

    /** Time without a new chunk after which a queue copy in progress is given up, freeing its thread and session. */
    static final long FEED_IDLE_MILLIS = 120_000;
    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");

    private final Path root;
    private final WindowBroker broker;
    private final Runnable onStored;
    private final SubmissionIndex submissions;
    private final DeliveryLedger ledger;
    private final ReentrantLock[] locks = new ReentrantLock[LOCK_STRIPES];
    private final long syncIntervalBytes;
    private final long feedIdleMillis;
    private final Map<String, QueueFeed> feeds = new ConcurrentHashMap<>();
    /**
     * Uploads that had a queue copy since this node became active. A copy that ended without a commit, because chunks
     * came too slowly or the broker failed, is not started again. Each new one would copy the staged file from its
     * start, and on a slow line that would repeat for every chunk.
     */
    private final Set<String> fed = ConcurrentHashMap.newKeySet();
    private final Semaphore feedSlots = new Semaphore(MAX_FEEDS);
    private final QueueSenders senders;
    private final ExecutorService feedThreads = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "queue-feed");
        thread.setDaemon(true);
        return thread;
    });
    private volatile TransferEvents events = TransferEvents.NONE;
    private volatile Cancellations cancellations;

    UploadStore(Path dataDirectory, WindowBroker broker, Runnable onStored, SubmissionIndex submissions,
            DeliveryLedger ledger) {
        this(dataDirectory, broker, onStored, submissions, ledger, SYNC_INTERVAL_BYTES, FEED_IDLE_MILLIS);
    }

    UploadStore(Path dataDirectory, WindowBroker broker, Runnable onStored, SubmissionIndex submissions,
            DeliveryLedger ledger, long syncIntervalBytes, long feedIdleMillis) {
        this.syncIntervalBytes = syncIntervalBytes;
        this.feedIdleMillis = feedIdleMillis;
        this.root = dataDirectory;
        this.broker = broker;
        this.senders = new QueueSenders(broker);
        this.onStored = onStored;
        this.submissions = submissions;
        this.ledger = ledger;
        for (int i = 0; i < LOCK_STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
    }

    /** Sets the operators' cancellations that uploads are checked against. */
    void setCancellations(Cancellations cancellations) {
        this.cancellations = cancellations;
    }

    /** Sets where the steps of each file are reported, for the transfer history. */
    void setTransferEvents(TransferEvents events) {
        this.events = events;
    }

    /**
     * Records an announced file, or finds it again; returns the offset already received. A new file that repeats the
     * name and bytes of a recent one is held unless the announce confirms the resubmission.
     */
    Progress announce(FileManifest manifest, byte[] manifestJson, String signature, boolean confirmed)
            throws IOException, WindowHttpException {
        MunicipalityCode code = manifest.municipalityCode();
        ReentrantLock lock = lockFor(code, manifest.fileId());
        lock.lock();
        try {
            if (isStored(code, manifest.fileId())) {
                requireStoredManifest(manifest);
                return new Progress(-1, true);
            }
            Path directory = uploadDirectory(code, manifest.fileId());
            rejectIfCancelled(code, manifest.fileId(), manifest.fileName(), directory);
            if (!Files.isDirectory(directory)) {
                if (!confirmed) {
                    holdIfRepeated(manifest);
                }
                // The staging folder appears under its real name only once its files and their entries are synced.
                Path staging = AtomicFiles.createDirectories(directory.resolveSibling("." + manifest.fileId() + ".new"));
                Files.write(staging.resolve("manifest.json"), manifestJson);
                Files.write(staging.resolve("signature"), signature.getBytes(StandardCharsets.US_ASCII));
                if (confirmed) {
                    Files.write(staging.resolve(CONFIRMED), new byte[0]);
                }
                Files.write(staging.resolve("ciphertext"), new byte[0]);
                // Not synced: a marker that lost its content after a power loss reads as offset 0.
                Files.writeString(staging.resolve(SYNCED), "0", StandardCharsets.US_ASCII);
                AtomicFiles.fsync(staging.resolve("manifest.json"));
                AtomicFiles.fsync(staging.resolve("signature"));
                AtomicFiles.fsyncDirectory(staging);
                Files.move(staging, directory, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                AtomicFiles.fsyncDirectory(directory.getParent());
                LOG.info("Upload announced: municipality={} file={} fileId={} size={}", code, manifest.fileName(),
                        manifest.fileId(), manifest.size());
                events.announced(manifest);
            } else if (!manifestOf(directory).equals(manifest)) {
                // An agent announces a file id again only with the manifest it signed first, to resume the upload.
                throw new WindowHttpException(409, "file " + manifest.fileId() + " was announced with another"
                        + " manifest (name, size, SHA-256 or kind)", "announce the file under a new file id");
            }
            return new Progress(Files.size(directory.resolve("ciphertext")), false);
        } finally {
            lock.unlock();
        }
    }

    /** Returns whether the broker takes no more messages, so that a completed upload could not be queued. */
    boolean isBrokerStorageFull() {
        return broker.isStorageFull();
    }

    /** Returns the progress of a file, or null when it was never announced. */
    Progress progress(MunicipalityCode code, String fileId) throws IOException {
        if (isStored(code, fileId)) {
            return new Progress(-1, true);
        }
        Path ciphertext = uploadDirectory(code, fileId).resolve("ciphertext");
        return Files.exists(ciphertext) ? new Progress(Files.size(ciphertext), false) : null;
    }

    /**
     * Appends one chunk at its range. Bytes the server already has are skipped, so a repeated chunk changes
     * nothing. A chunk that starts after the confirmed offset is rejected with 409 and the offset.
     *
     * @param total the ciphertext's total size when this is the last chunk, otherwise -1
     */
    Progress receive(MunicipalityCode code, String fileId, long start, long length, long total, InputStream body)
            throws IOException, WindowHttpException, ActiveMQException, Exception {
        ReentrantLock lock = lockFor(code, fileId);
        lock.lock();
        try {
            if (isStored(code, fileId)) {
                return new Progress(-1, true);
            }
            Path directory = uploadDirectory(code, fileId);
            Path ciphertext = directory.resolve("ciphertext");
            rejectIfCancelled(code, fileId, Files.exists(ciphertext) ? manifestOf(directory).fileName() : null,
                    directory);
            if (!Files.exists(ciphertext)) {
                throw new WindowHttpException(404, "file " + fileId + " was not announced",
                        "POST the signed manifest to /window/v1/municipalities/" + code + "/uploads first");
            }
            FileManifest announced = FileManifest.fromJson(Files.readAllBytes(directory.resolve("manifest.json")));
            if (total >= 0) {
                requireMinimumTotal(announced, total);
            }
            long limit = ciphertextLimit(announced);
            if (start + length > limit) {
                throw new WindowHttpException(400, "chunk ends at byte " + (start + length) + " but the ciphertext of"
                        + " the announced file cannot exceed " + limit + " bytes", "send the file again; its size"
                        + " must match the signed manifest");
            }
            long offset;
            try {
                offset = append(ciphertext, start, length, body);
            } catch (BodyCutOffException e) {
                // An agent that stops, or a line that breaks, ends the request in the middle of its body.
                LOG.warn("Chunk cut off by the sender, kept up to the confirmed offset: municipality={} fileId={}"
                        + " confirmedOffset={} error={}", code, fileId, e.confirmedOffset, e.getCause().toString());
                throw new WindowHttpException(400, "request body ended early: " + e.getCause().getMessage(),
                        "send the chunk again from byte " + e.confirmedOffset);
            }
            if (total < 0) {
                // The last chunk needs no sync, because the queue commit that follows makes the ciphertext durable.
                syncIfDue(directory, offset);
                feed(code, fileId, directory, offset);
            }
            if (total >= 0 && offset > total) {
                throw new WindowHttpException(400, "received " + offset + " bytes but the range declares a total of "
                        + total, "send the file again under a new file id");
            }
            if (total >= 0 && offset == total) {
                queue(code, fileId, directory, total);
                return new Progress(offset, true);
            }
            return new Progress(offset, false);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Receives a file whose whole ciphertext comes with its verified manifest in one request, and queues it. A file up
     * to {@link #IN_REQUEST_BYTES} that has no partial upload goes from memory into the queue; any other is announced
     * and received as a single chunk, with the same checks and replies as the two requests it replaces.
     */
    Progress receiveWhole(FileManifest manifest, byte[] manifestJson, String signature, boolean confirmed,
            long length, InputStream body) throws Exception {
        MunicipalityCode code = manifest.municipalityCode();
        String fileId = manifest.fileId();
        ReentrantLock lock = lockFor(code, fileId);
        lock.lock();
        try {
            if (isStored(code, fileId)) {
                requireStoredManifest(manifest);
                return new Progress(-1, true);
            }
            Path directory = uploadDirectory(code, fileId);
            if (length > IN_REQUEST_BYTES || Files.isDirectory(directory)) {
                announce(manifest, manifestJson, signature, confirmed);
                return receive(code, fileId, 0, length, length, body);
            }
            rejectIfCancelled(code, fileId, manifest.fileName(), directory);
            requireMinimumTotal(manifest, length);
            long limit = ciphertextLimit(manifest);
            if (length > limit) {
                throw new WindowHttpException(400, "ciphertext of " + length + " bytes exceeds the " + limit
                        + " bytes that the announced file can have", "send the file again; its size must match the"
                        + " signed manifest");
            }
            byte[] ciphertext;
            try {
                ciphertext = body.readNBytes((int) length);
            } catch (IOException e) {
                LOG.warn("Upload body ended early, nothing kept; the sender stopped, the line broke or the request was"
                        + " idle past the timeout: municipality={} fileId={} error={}", code, fileId, e.toString());
                throw new WindowHttpException(400, "request body ended early: " + e.getMessage(),
                        "send the file again");
            }
            if (ciphertext.length < length) {
                throw new WindowHttpException(400, "request body ended " + (length - ciphertext.length)
                        + " bytes before the end of its Content-Range", "send the file again");
            }
            if (readsOn(body)) {
                throw new WindowHttpException(400, "request body is longer than the " + length + " bytes of its"
                        + " Content-Range", "send exactly the bytes of the Content-Range");
            }
            storeInQueue(manifest, manifestJson, signature, confirmed, ciphertext);
            return new Progress(length, true);
        } finally {
            lock.unlock();
        }
    }

    /** Queues a whole ciphertext held in memory and marks the file stored. The caller holds the file's lock. */
    private void storeInQueue(FileManifest manifest, byte[] manifestJson, String signature, boolean confirmed,
            byte[] ciphertext) throws Exception {
        MunicipalityCode code = manifest.municipalityCode();
        String fileId = manifest.fileId();
        synchronized (submissions) {
            if (!confirmed) {
                holdIfRepeated(manifest);
            }
            submissions.record(manifest, Instant.now());
        }
        events.announced(manifest);
        try {
            copyIntoQueue(code, fileId, new ByteArrayInputStream(ciphertext), manifestJson, signature);
        } catch (ActiveMQException e) {
            if (e.getType() != ActiveMQExceptionType.DUPLICATE_ID_REJECTED) {
                throw e;
            }
            LOG.info("Upload was already queued: municipality={} fileId={}", code, fileId);
        }
        markStored(code, fileId, manifestJson);
        LOG.info("Upload stored: municipality={} file={} fileId={} size={} queueCopy=in-request", code,
                manifest.fileName(), fileId, manifest.size());
        events.stored(manifest);
        onStored.run();
    }

    private void markStored(MunicipalityCode code, String fileId, byte[] manifestJson) throws IOException {
        Path marker = AtomicFiles.createDirectories(root.resolve("stored").resolve(code.value())).resolve(fileId);
        AtomicFiles.writeAtomically(marker, manifestJson);
    }

    /** A request body whose reading failed, as when its sender stops or the line breaks in the middle of a chunk. */
    private static final class BodyCutOffException extends IOException {
        private static final long serialVersionUID = 1L;

        /** The ciphertext's confirmed size, to which the cut-off chunk is truncated. */
        final long confirmedOffset;

        BodyCutOffException(long confirmedOffset, IOException cause) {
            super(cause);
            this.confirmedOffset = confirmedOffset;
        }
    }

    private static long append(Path ciphertext, long start, long length, InputStream body)
            throws IOException, WindowHttpException {
        try (FileChannel channel = FileChannel.open(ciphertext, StandardOpenOption.WRITE)) {
            long offset = channel.size();
            if (start > offset) {
                throw new WindowHttpException(409, "chunk starts at byte " + start + " but the server has confirmed only "
                        + offset + " bytes", "resume from byte " + offset);
            }
            long skip = offset - start;
            try {
                body.skipNBytes(Math.min(skip, length));
            } catch (IOException e) {
                throw new BodyCutOffException(offset, e);
            }
            long remaining = length - Math.min(skip, length);
            channel.position(offset);
            byte[] buffer = new byte[64 * 1024];
            try {
                while (remaining > 0) {
                    int read;
                    try {
                        read = body.read(buffer, 0, (int) Math.min(buffer.length, remaining));
                    } catch (IOException e) {
                        throw new BodyCutOffException(offset, e);
                    }
                    if (read < 0) {
                        throw new WindowHttpException(400, "request body ended " + remaining
                                + " bytes before the end of its Content-Range", "send the chunk again");
                    }
                    channel.write(ByteBuffer.wrap(buffer, 0, read));
                    remaining -= read;
                }
                if (readsOn(body)) {
                    throw new WindowHttpException(400, "request body is longer than the " + length + " bytes of its"
                            + " Content-Range", "send exactly the bytes of the Content-Range");
                }
            } catch (IOException | WindowHttpException e) {
                // Keep only confirmed chunks: a chunk cut off (a broken line, a stalled sender) leaves no bytes.
                channel.truncate(offset);
                throw e;
            }
            return channel.size();
        }
    }

    /** Returns whether a body has bytes after those its range declared; the chunk is then rejected. */
    private static boolean readsOn(InputStream body) {
        try {
            return body.read() >= 0;
        } catch (IOException e) {
            // The range's bytes all arrived, so a failure after them changes nothing.
            return false;
        }
    }

    /**
     * Syncs the ciphertext and records {@code offset} as its durable end when enough bytes or time have passed since
     * the last sync. An upload announced before the marker existed was synced chunk by chunk and stays so.
     */
    private void syncIfDue(Path directory, long offset) throws IOException {
        Path marker = directory.resolve(SYNCED);
        boolean due;
        if (!Files.exists(marker)) {
            due = true;
        } else {
            long synced = syncedOffset(marker);
            long age = System.currentTimeMillis() - Files.getLastModifiedTime(marker).toMillis();
            due = offset - synced >= syncIntervalBytes || age >= SYNC_INTERVAL_MILLIS;
        }
        if (!due) {
            return;
        }
        try (FileChannel channel = FileChannel.open(directory.resolve("ciphertext"), StandardOpenOption.WRITE)) {
            channel.force(false);
        }
        if (Files.exists(marker)) {
            AtomicFiles.writeAtomically(marker, Long.toString(offset).getBytes(StandardCharsets.US_ASCII));
        }
    }

    /**
     * Deletes an upload folder that is no partial upload: the staging folder of an unfinished announce, the folder of
     * a file already stored, or one without its manifest, which only a stop during its deletion leaves behind. Returns
     * whether the entry is no partial upload; a plain file or a folder of another name is left alone.
     */
    private boolean deleteIfLeftOver(String municipality, Path directory) throws IOException {
        String name = directory.getFileName().toString();
        if (!Files.isDirectory(directory)) {
            return true;
        }
        String reason;
        if (name.startsWith(".") && name.endsWith(".new")) {
            reason = "unfinished announce";
        } else if (!FileManifest.isFileId(name)) {
            return true;
        } else if (Files.exists(root.resolve("stored").resolve(municipality).resolve(name))) {
            reason = "file already stored";
        } else if (!Files.exists(directory.resolve("manifest.json"))) {
            reason = "no manifest";
        } else {
            return false;
        }
        deleteRecursively(directory);
        LOG.info("Upload folder left by an earlier stop deleted: municipality={} folder={} reason={}", municipality,
                name, reason);
        return true;
    }

    private static long syncedOffset(Path marker) throws IOException {
        String text = Files.readString(marker, StandardCharsets.US_ASCII).strip();
        return text.isEmpty() ? 0 : Long.parseLong(text);
    }

    /**
     * Cuts every partial upload back to the end of its last synced chunk, and deletes what a stop in the middle of an
     * announce, a store or a cancellation left in the uploads folder. Runs when the node becomes active, before it
     * serves window requests; returns the number of uploads cut back.
     */
    int cutBackToSyncedOffsets() throws IOException {
        Path uploads = root.resolve("uploads");
        if (!Files.isDirectory(uploads)) {
            return 0;
        }
        int cut = 0;
        try (var municipalities = Files.list(uploads)) {
            for (Path folder : municipalities.toList()) {
                if (!Files.isDirectory(folder)) {
                    continue;
                }
                try (var partials = Files.list(folder)) {
                    for (Path directory : partials.toList()) {
                        String municipality = folder.getFileName().toString();
                        if (!deleteIfLeftOver(municipality, directory) && cutBack(municipality, directory)) {
                            cut++;
                        }
                    }
                }
            }
        }
        return cut;
    }

    /** Truncates one partial upload to its synced offset; returns whether any bytes were dropped. */
    private static boolean cutBack(String municipality, Path directory) throws IOException {
        Path marker = directory.resolve(SYNCED);
        Path ciphertext = directory.resolve("ciphertext");
        if (!Files.exists(marker) || !Files.exists(ciphertext)) {
            return false;
        }
        long synced = syncedOffset(marker);
        long size = Files.size(ciphertext);
        if (size <= synced) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(ciphertext, StandardOpenOption.WRITE)) {
            channel.truncate(synced);
            channel.force(false);
        }
        LOG.info("Partial upload cut back to its last synced chunk: municipality={} fileId={} offset={}"
                + " bytesDropped={}", municipality, directory.getFileName(), synced, size - synced);
        return true;
    }

    /**
     * Starts copying a partial upload into the queue while its chunks arrive, or passes the new confirmed offset to the
     * copy in progress. Nothing starts when {@link #MAX_FEEDS} copies are running.
     */
    private void feed(MunicipalityCode code, String fileId, Path directory, long offset) throws IOException {
        String key = feedKey(code, fileId);
        QueueFeed feed = feeds.get(key);
        if (feed != null && feed.failed()) {
            feeds.remove(key, feed);
            feed = null;
        }
        if (feed != null) {
            feed.confirmed(offset);
            return;
        }
        if (fed.contains(key) || !feedSlots.tryAcquire()) {
            return;
        }
        fed.add(key);
        try {
            QueueFeed started = new QueueFeed(broker, code, fileId, Files.readAllBytes(directory.resolve("manifest.json")),
                    Files.readString(directory.resolve("signature"), StandardCharsets.US_ASCII),
                    directory.resolve("ciphertext"), offset, feedIdleMillis, ended -> {
                        feeds.remove(key, ended);
                        feedSlots.release();
                    });
            feeds.put(key, started);
            feedThreads.execute(started);
        } catch (IOException | RuntimeException e) {
            feedSlots.release();
            throw e;
        }
    }

    /**
     * Streams the complete ciphertext into the upload queue in a session opened as the municipality's own broker
     * user, so the broker's access rules back the HTTP layer's check. When a copy started during the upload, only its
     * commit is left.
     */
    private void queue(MunicipalityCode code, String fileId, Path directory, long total) throws Exception {
        byte[] manifestJson = Files.readAllBytes(directory.resolve("manifest.json"));
        String signature = Files.readString(directory.resolve("signature"), StandardCharsets.US_ASCII);
        FileManifest manifest = FileManifest.fromJson(manifestJson);
        QueueFeed feed = feeds.remove(feedKey(code, fileId));
        fed.remove(feedKey(code, fileId));
        String copied = "after-last-chunk";
        try {
            // Checked again here, because two drops of the same bytes may both pass the check at their announce.
            synchronized (submissions) {
                rejectIfCancelled(code, fileId, manifest.fileName(), directory);
                if (!Files.exists(directory.resolve(CONFIRMED))) {
                    try {
                        holdIfRepeated(manifest);
                    } catch (WindowHttpException e) {
                        deleteRecursively(directory);
                        throw e;
                    }
                }
                submissions.record(manifest, Instant.now());
            }
            try {
                if (feed != null && feed.finish(total)) {
                    copied = "during-upload";
                    feed.commit();
                } else {
                    copyIntoQueue(code, fileId, Files.newInputStream(directory.resolve("ciphertext")), manifestJson,
                            signature);
                }
            } catch (ActiveMQException e) {
                if (e.getType() != ActiveMQExceptionType.DUPLICATE_ID_REJECTED) {
                    throw e;
                }
                LOG.info("Upload was already queued: municipality={} fileId={}", code, fileId);
            }
        } finally {
            if (feed != null) {
                feed.rollBack();
            }
        }
        markStored(code, fileId, manifestJson);
        deleteRecursively(directory);
        LOG.info("Upload stored: municipality={} file={} fileId={} size={} queueCopy={}", code, manifest.fileName(),
                fileId, manifest.size(), copied);
        events.stored(manifest);
        onStored.run();
    }

    /**
     * Sends the ciphertext as the file's durable queue message and commits it. The session belongs to the
     * municipality's broker user and is reused by later uploads. The stream is closed afterwards.
     */
    private void copyIntoQueue(MunicipalityCode code, String fileId, InputStream ciphertext, byte[] manifestJson,
            String signature) throws Exception {
        QueueSenders.Sender sender = senders.take(code);
        boolean committed = false;
        try (InputStream body = ciphertext) {
            ClientMessage message = storedFileMessage(sender.session(), fileId, manifestJson, signature);
            MessageBodies.setBody(message, body);
            sender.producer().send(QueueNames.upload(code), message);
            sender.session().commit();
            committed = true;
        } finally {
            if (committed) {
                senders.keep(sender);
            } else {
                senders.discard(sender);
            }
        }
    }

    /**
     * Creates the durable queue message of a stored file, without its body: the file id is its duplicate-detection id.
     */
    static ClientMessage storedFileMessage(ClientSession session, String fileId, byte[] manifestJson,
            String signature) {
        ClientMessage message = session.createMessage(true);
        message.putStringProperty(Message.HDR_DUPLICATE_DETECTION_ID, fileId);
        message.putStringProperty(FILE_ID, fileId);
        message.putStringProperty(MANIFEST, new String(manifestJson, StandardCharsets.UTF_8));
        message.putStringProperty(SIGNATURE, signature);
        return message;
    }

    /** Stops the queue copies in progress; their uploads are copied after their last chunk once a node is active. */
    void close() {
        for (QueueFeed feed : feeds.values()) {
            feed.abort(new IOException("the window server is stopping"));
        }
        feedThreads.shutdown();
        senders.close();
    }

    /** Returns whether a queue copy of the partial upload is running. */
    boolean isCopying(MunicipalityCode code, String fileId) {
        QueueFeed feed = feeds.get(feedKey(code, fileId));
        return feed != null && !feed.failed();
    }

    private static String feedKey(MunicipalityCode code, String fileId) {
        return code.value() + "/" + fileId;
    }

    @Override
    public Received cancel(MunicipalityCode code, String fileId, String fileName, Recorder recorder)
            throws IOException {
        if (fileId != null) {
            ReentrantLock lock = lockFor(code, fileId);
            lock.lock();
            try {
                Path marker = root.resolve("stored").resolve(code.value()).resolve(fileId);
                if (Files.exists(marker)) {
                    return new Received(fileId, FileManifest.fromJson(Files.readAllBytes(marker)).fileName(),
                            Files.getLastModifiedTime(marker).toInstant());
                }
                dropPartial(code, fileId, recorder.record());
                return null;
            } finally {
                lock.unlock();
            }
        }
        Cancellations.Cancellation recorded;
        synchronized (submissions) {
            SubmissionIndex.Earlier earlier = submissions.latestByName(code, fileName);
            if (earlier != null) {
                return new Received(earlier.fileId(), fileName, earlier.storedAt());
            }
            recorded = recorder.record();
        }
        for (Path partial : partialUploads(code)) {
            if (fileName.equals(manifestOf(partial).fileName())) {
                String partialId = partial.getFileName().toString();
                ReentrantLock lock = lockFor(code, partialId);
                lock.lock();
                try {
                    if (!isStored(code, partialId)) {
                        dropPartial(code, partialId, recorded);
                    }
                } finally {
                    lock.unlock();
                }
            }
        }
        return null;
    }

    /**
     * Throws the 410 "cancelled" response, after dropping the partial upload, when a cancellation names the file.
     * The caller holds the file's lock.
     */
    private void rejectIfCancelled(MunicipalityCode code, String fileId, String fileName, Path directory)
            throws IOException, WindowHttpException {
        Cancellations store = cancellations;
        if (store == null) {
            return;
        }
        Cancellations.Cancellation cancellation = store.matching(code, fileId, fileName);
        Path marker = root.resolve("cancelled").resolve(code.value()).resolve(fileId);
        if (cancellation == null && Files.exists(marker)) {
            cancellation = store.find(code, Files.readString(marker, StandardCharsets.US_ASCII).strip());
        }
        if (cancellation == null) {
            return;
        }
        if (Files.isDirectory(directory)) {
            dropPartial(code, fileId, cancellation);
        }
        throw WindowHttpException.cancelled(cancellation, fileId, fileName);
    }

    /** Deletes a partial upload that a cancellation names and leaves the marker that keeps rejecting it. */
    private void dropPartial(MunicipalityCode code, String fileId, Cancellations.Cancellation cancellation)
            throws IOException {
        QueueFeed feed = feeds.remove(feedKey(code, fileId));
        fed.remove(feedKey(code, fileId));
        if (feed != null) {
            feed.abort(new IOException("upload " + fileId + " was cancelled"));
        }
        Path marker = AtomicFiles.createDirectories(root.resolve("cancelled").resolve(code.value())).resolve(fileId);
        AtomicFiles.writeAtomically(marker, cancellation.id().getBytes(StandardCharsets.US_ASCII));
        Path directory = uploadDirectory(code, fileId);
        if (!Files.isDirectory(directory)) {
            return;
        }
        FileManifest manifest = manifestOf(directory);
        long received = Files.size(directory.resolve("ciphertext"));
        deleteRecursively(directory);
        LOG.warn("Partial upload dropped, an operator cancelled the file: municipality={} file={} fileId={}"
                + " bytesDropped={} cancellation={} operator={}", code, manifest.fileName(), fileId, received,
                cancellation.id(), cancellation.operator());
        events.cancelled(manifest, "cancelled by operator " + cancellation.operator() + " while it was being"
                + " received");
    }

    private List<Path> partialUploads(MunicipalityCode code) throws IOException {
        Path folder = root.resolve("uploads").resolve(code.value());
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (var entries = Files.list(folder)) {
            return entries.filter(entry -> FileManifest.isFileId(entry.getFileName().toString())
                    && Files.exists(entry.resolve("manifest.json"))).toList();
        }
    }

    private static FileManifest manifestOf(Path directory) throws IOException {
        return FileManifest.fromJson(Files.readAllBytes(directory.resolve("manifest.json")));
    }

    /**
     * Throws the 409 "held" response when the manifest repeats the municipality, name and SHA-256 of another file
     * stored within the hold window and not rejected at delivery.
     */
    private void holdIfRepeated(FileManifest manifest) throws IOException, WindowHttpException {
        SubmissionIndex.Earlier earlier = submissions.earlier(manifest);
        if (earlier == null) {
            return;
        }
        MunicipalityCode code = manifest.municipalityCode();
        DeliveryLedger.Status status = ledger.status(code, earlier.fileId());
        if (status != null && "rejected".equals(status.state())) {
            // The union never received the earlier copy, and its reason file requests that the file be sent again.
            return;
        }
        String when = status != null && "delivered".equals(status.state()) && status.at() != null
                ? "delivered at " + status.at().atZone(TOKYO).toOffsetDateTime()
                : "received at " + earlier.storedAt().atZone(TOKYO).toOffsetDateTime() + " and not yet delivered";
        LOG.warn("Upload held as a possible duplicate: municipality={} file={} fileId={} earlierFileId={} {}", code,
                manifest.fileName(), manifest.fileId(), earlier.fileId(), when);
        events.held(manifest, "possible duplicate of the file " + when + " (file id " + earlier.fileId() + ")");
        throw WindowHttpException.held("possible duplicate of the file " + when + " (file id " + earlier.fileId()
                        + "): same name and SHA-256", "if the file is meant to be applied again, confirm the"
                        + " resubmission; otherwise discard it");
    }

    /**
     * Rejects a manifest that reuses the file id of a stored file with another name, size, SHA-256 or kind, so that
     * the sender learns that its file was not taken instead of reading "stored".
     */
    private void requireStoredManifest(FileManifest manifest) throws IOException, WindowHttpException {
        MunicipalityCode code = manifest.municipalityCode();
        Path marker = root.resolve("stored").resolve(code.value()).resolve(manifest.fileId());
        FileManifest stored = FileManifest.fromJson(Files.readAllBytes(marker));
        if (!stored.equals(manifest)) {
            LOG.warn("Upload rejected, its file id belongs to a stored file with another manifest: municipality={}"
                    + " file={} fileId={} storedFile={}", code, manifest.fileName(), manifest.fileId(),
                    stored.fileName());
            throw new WindowHttpException(409, "file id " + manifest.fileId() + " belongs to a stored file with"
                    + " another manifest (name, size, SHA-256 or kind)", "send the file under a new file id");
        }
    }

    /** Rejects a declared ciphertext total that is shorter than any encryption of the announced file. */
    private static void requireMinimumTotal(FileManifest manifest, long total) throws WindowHttpException {
        long minimum = PayloadCipher.minCiphertextBytes(manifest.size());
        if (total < minimum) {
            throw new WindowHttpException(400, "ciphertext total of " + total + " bytes is shorter than the " + minimum
                    + " bytes that any encryption of the announced " + manifest.size() + "-byte file has",
                    "send the whole ciphertext of the file");
        }
    }

    /** Returns an upper bound of the ciphertext size of a file of the manifest's size, for any key's segment size. */
    static long ciphertextLimit(FileManifest manifest) {
        return PayloadCipher.maxCiphertextBytes(manifest.size());
    }

    private boolean isStored(MunicipalityCode code, String fileId) {
        return Files.exists(root.resolve("stored").resolve(code.value()).resolve(fileId));
    }

    private Path uploadDirectory(MunicipalityCode code, String fileId) throws IOException {
        return AtomicFiles.createDirectories(root.resolve("uploads").resolve(code.value())).resolve(fileId);
    }

    private ReentrantLock lockFor(MunicipalityCode code, String fileId) {
        return locks[Math.floorMod((code.value() + fileId).hashCode(), LOCK_STRIPES)];
    }

    private static void deleteRecursively(Path directory) throws IOException {
        try (var entries = Files.list(directory)) {
            for (Path entry : entries.toList()) {
                Files.delete(entry);
            }
        }
        Files.delete(directory);
    }
}
