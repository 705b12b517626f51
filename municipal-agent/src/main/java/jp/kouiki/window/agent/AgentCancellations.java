package jp.kouiki.window.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.core.filter.impl.FilterImpl;
import org.apache.activemq.artemis.core.server.MessageReference;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.activemq.artemis.utils.collections.LinkedListIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.FileManifest;

/**
 * Carries out the cancellations that union operators request at the central server. The agent requests each
 * municipality's open cancellations ({@code GET /window/v1/municipalities/{code}/cancellations}) every {@code
 * agent.cancellation.poll-interval-ms}. It removes every matching file from the municipality's upload queue and
 * from {@code held/<code>/}, moves its plaintext to {@code cancelled/<code>/} beside a {@code .reason} file that names
 * the operator and the time, and reports the removed files ({@code POST …/cancellations/{id}}). A file that an upload
 * worker is sending is left to the worker, whose next request the central server rejects with 410.
 *
 * <p>The files of each cancellation are written to {@code cancellations/<code>/<id>} in the data folder before any file
 * moves, and deleted only after the report has been accepted, so a crash in between repeats the work and the report.
 */
final class AgentCancellations {

    /** A cancellation as the central server lists it. */
    record Requested(String id, String fileId, String fileName, String operator, String requestedAt, String note) {

        boolean matches(String otherFileId, String otherFileName) {
            return fileId != null ? fileId.equals(otherFileId) : fileName.equals(otherFileName);
        }
    }

    /** A file removed for a cancellation. */
    record Removed(String fileId, String fileName) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(AgentCancellations.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    private static final Pattern CANCELLATION_ID = Pattern.compile("\\[cancellation ([0-9a-f]{20})\\]");
    /** The time stamp that the agent puts before a file's name in sent/, error/ and held/. */
    private static final Pattern STAMPED = Pattern.compile("[0-9]{8}-[0-9]{6}-[0-9]{3}_(.+)");

    private final AgentSettings settings;
    private final CentralClient client;
    private final WindowBroker broker;
    private final UploadForwarder uploads;
    private final Path records;
    /** The municipalities served now, which a reload of {@code agent.municipalities} may change. */
    private final Supplier<List<MunicipalityCode>> served;

    AgentCancellations(AgentSettings settings, Supplier<List<MunicipalityCode>> served, CentralClient client,
            WindowBroker broker, UploadForwarder uploads) {
        this.settings = settings;
        this.served = served;
        this.client = client;
        this.broker = broker;
        this.uploads = uploads;
        this.records = settings.dataDirectory().resolve("cancellations");
    }

    /** Fetches and carries out every municipality's cancellations on the housekeeping thread, logging any failure. */
    void poll() {
        for (MunicipalityCode code : served.get()) {
            try {
                poll(code);
            } catch (IOException | RuntimeException e) {
                LOG.warn("Cancellations could not be carried out, trying again at the next poll: municipality={}"
                        + " error={}", code, e.toString());
            }
        }
    }

    /** Carries out one municipality's open cancellations and reports each one that is done. */
    void poll(MunicipalityCode code) throws IOException {
        List<Requested> open = fetch(code);
        if (open == null) {
            return;
        }
        Set<String> waitingForWorker = new HashSet<>();
        for (Requested cancellation : open) {
            if (!apply(code, cancellation)) {
                waitingForWorker.add(cancellation.id());
            }
        }
        for (Path record : localRecords(code)) {
            String id = record.getFileName().toString();
            if (!waitingForWorker.contains(id)) {
                report(code, id, record);
            }
        }
    }

    /**
     * Moves a file aside that the central server rejected with 410 as cancelled while a worker was sending it.
     *
     * @param centralError the error text of the 410 response, which names the operator, the time and the cancellation
     */
    void cancelledAtCentral(MunicipalityCode code, String fileId, String fileName, String sentPath,
            String centralError) throws IOException {
        Matcher id = CANCELLATION_ID.matcher(centralError);
        Requested cancellation = null;
        if (id.find()) {
            List<Requested> open = fetch(code);
            for (Requested candidate : open == null ? List.<Requested>of() : open) {
                if (candidate.id().equals(id.group(1))) {
                    cancellation = candidate;
                }
            }
            remember(code, id.group(1), List.of(new Removed(fileId, fileName)));
        }
        String reason = cancellation != null ? reasonText(cancellation)
                : "中央の窓口サーバで送信が取り消されました。このファイルは広域連合に届いていません。 / The central window server"
                        + " cancelled this file, so it has not reached the union: " + centralError + "\n";
        moveAside(code, fileId, fileName, sentPath == null ? null : Path.of(sentPath), reason);
    }

    private List<Requested> fetch(MunicipalityCode code) throws IOException {
        CentralClient.Response response;
        try {
            response = client.send(code, "GET", "/window/v1/municipalities/" + code + "/cancellations", Map.of(),
                    new byte[0]);
        } catch (IOException unreachable) {
            return null;
        }
        if (!response.isSuccess()) {
            LOG.debug("Cancellations not listed: municipality={} status={}", code, response.status());
            return null;
        }
        List<Requested> open = new ArrayList<>();
        for (JsonNode item : JSON.readTree(response.body()).path("cancellations")) {
            Requested cancellation = new Requested(item.path("id").asText(), item.path("fileId").asText(null),
                    item.path("fileName").asText(null), item.path("operator").asText(),
                    item.path("requestedAt").asText(), item.path("reason").asText(""));
            if (cancellation.fileId() != null || cancellation.fileName() != null) {
                open.add(cancellation);
            }
        }
        return open;
    }

    /**
     * Removes the cancellation's files from the queue and from held/.
     *
     * @return false when an upload worker is sending a matching file, so the report must wait
     */
    private boolean apply(MunicipalityCode code, Requested cancellation) throws IOException {
        for (Map.Entry<String, String> sending : uploads.sending(code).entrySet()) {
            if (cancellation.matches(sending.getKey(), sending.getValue())) {
                LOG.info("Cancelled file is being uploaded, the upload stops at its next chunk: municipality={}"
                        + " fileId={} cancellation={}", code, sending.getKey(), cancellation.id());
                return false;
            }
        }
        Map<String, QueuedMatch> queued = queuedMatches(code, cancellation);
        Map<Path, Removed> held = heldMatches(code, cancellation);
        List<Removed> removed = new ArrayList<>();
        queued.values().forEach(match -> removed.add(new Removed(match.fileId(), match.fileName())));
        removed.addAll(held.values());
        remember(code, cancellation.id(), removed);
        String reason = reasonText(cancellation);
        for (QueuedMatch match : queued.values()) {
            moveAside(code, match.fileId(), match.fileName(), match.sentPath(), reason);
        }
        if (!queued.isEmpty()) {
            deleteFromQueue(code, queued.keySet());
        }
        for (Map.Entry<Path, Removed> entry : held.entrySet()) {
            Files.deleteIfExists(entry.getKey().resolveSibling(entry.getKey().getFileName() + ".reason"));
            moveAside(code, entry.getValue().fileId(), entry.getValue().fileName(), entry.getKey(), reason);
        }
        return true;
    }

    /** A queued file that a cancellation names. */
    private record QueuedMatch(String fileId, String fileName, Path sentPath) {
    }

    private Map<String, QueuedMatch> queuedMatches(MunicipalityCode code, Requested cancellation) {
        Map<String, QueuedMatch> matches = new LinkedHashMap<>();
        Queue queue = broker.server().locateQueue(QueueNames.upload(code));
        if (queue == null) {
            return matches;
        }
        try (LinkedListIterator<MessageReference> references = queue.browserIterator()) {
            while (references.hasNext()) {
                Message message = references.next().getMessage();
                String fileId = message.getStringProperty(QueuedFile.FILE_ID);
                String fileName = FileManifest.fromJson(message.getStringProperty(QueuedFile.MANIFEST)
                        .getBytes(StandardCharsets.UTF_8)).fileName();
                if (cancellation.matches(fileId, fileName)) {
                    String sent = message.getStringProperty(QueuedFile.SENT_PATH);
                    matches.put(fileId, new QueuedMatch(fileId, fileName, sent == null ? null : Path.of(sent)));
                }
            }
        }
        return matches;
    }

    private void deleteFromQueue(MunicipalityCode code, Set<String> fileIds) throws IOException {
        Queue queue = broker.server().locateQueue(QueueNames.upload(code));
        String filter = QueuedFile.FILE_ID + " IN (" + fileIds.stream().map(id -> "'" + id + "'")
                .collect(Collectors.joining(",")) + ")";
        try {
            int deleted = queue.deleteMatchingReferences(FilterImpl.createFilter(filter));
            LOG.warn("Cancelled files removed from the queue: municipality={} fileIds={} removed={}", code, fileIds,
                    deleted);
        } catch (Exception e) {
            throw new IOException("cancelled files could not be removed from the queue of municipality " + code
                    + ": " + e.getMessage(), e);
        }
    }

    /** Finds held files that the cancellation names, by the file id in their reason or by their name. */
    private Map<Path, Removed> heldMatches(MunicipalityCode code, Requested cancellation) throws IOException {
        Map<Path, Removed> matches = new LinkedHashMap<>();
        Path folder = settings.held(code);
        if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
            return matches;
        }
        try (DirectoryStream<Path> reasons = Files.newDirectoryStream(folder, "*.reason")) {
            for (Path reason : reasons) {
                String reasonName = reason.getFileName().toString();
                Path held = reason.resolveSibling(reasonName.substring(0, reasonName.length() - ".reason".length()));
                if (!Files.isRegularFile(held, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                String fileId = heldFileId(reason);
                Matcher stamped = STAMPED.matcher(held.getFileName().toString());
                String name = stamped.matches() ? stamped.group(1) : held.getFileName().toString();
                if (cancellation.matches(fileId, name)) {
                    matches.put(held, new Removed(fileId, name));
                }
            }
        }
        return matches;
    }

    private static String heldFileId(Path reason) throws IOException {
        for (String line : Files.readAllLines(reason, StandardCharsets.UTF_8)) {
            if (line.startsWith("fileId: ")) {
                return line.substring("fileId: ".length()).strip();
            }
        }
        return "";
    }

    /** Moves the plaintext into cancelled/ and writes the reason beside it; does nothing when it has moved already. */
    private void moveAside(MunicipalityCode code, String fileId, String fileName, Path source, String reason)
            throws IOException {
        if (source == null || !Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
            LOG.info("Cancelled file has no copy left to move: municipality={} file={} fileId={}", code, fileName,
                    fileId);
            return;
        }
        Path target = AtomicFiles.createDirectories(settings.cancelled(code)).resolve(source.getFileName());
        AtomicFiles.writeAtomically(target.resolveSibling(target.getFileName() + ".reason"),
                ("file: " + fileName + "\nfileId: " + fileId + "\n" + reason).getBytes(StandardCharsets.UTF_8));
        Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
        LOG.warn("File cancelled by a union operator, not sent: municipality={} file={} fileId={} movedTo={}", code,
                fileName, fileId, target);
    }

    private static String reasonText(Requested cancellation) {
        // Line breaks in the note would start lines that look like the reason file's own fields.
        String note = cancellation.note().isBlank() ? ""
                : "operator's note / 運用者のメモ: " + cancellation.note().replaceAll("\\p{Cntrl}", " ") + "\n";
        return "cancelled at: " + ZonedDateTime.now(TOKYO).toOffsetDateTime() + "\n"
                + "reason: 広域連合の運用者 " + cancellation.operator() + " が " + cancellation.requestedAt()
                + " に送信を取り消しました。このファイルは広域連合に届いていません。 / Union operator "
                + cancellation.operator() + " cancelled this file at " + cancellation.requestedAt()
                + ", so it has not reached the union.\n" + note
                + "what to do: 送り直す場合は、元のファイル名に戻して送信フォルダに置いてください。 / To send it after all,"
                + " put it back into the outbox under its original name.\n";
    }

    /** Adds files to the local record of a cancellation, creating it when needed. */
    private synchronized void remember(MunicipalityCode code, String id, List<Removed> removed) throws IOException {
        Path record = AtomicFiles.createDirectories(records.resolve(code.value())).resolve(id);
        Map<String, Removed> files = new LinkedHashMap<>();
        for (Removed file : read(record)) {
            files.put(file.fileId(), file);
        }
        removed.forEach(file -> files.putIfAbsent(file.fileId(), file));
        StringBuilder text = new StringBuilder();
        files.values().forEach(file -> text.append(file.fileId()).append('\t').append(file.fileName()).append('\n'));
        AtomicFiles.writeAtomically(record, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static List<Removed> read(Path record) throws IOException {
        List<Removed> files = new ArrayList<>();
        if (!Files.exists(record)) {
            return files;
        }
        for (String line : Files.readAllLines(record, StandardCharsets.UTF_8)) {
            int tab = line.indexOf('\t');
            if (tab > 0) {
                files.add(new Removed(line.substring(0, tab), line.substring(tab + 1)));
            }
        }
        return files;
    }

    private List<Path> localRecords(MunicipalityCode code) throws IOException {
        Path folder = records.resolve(code.value());
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.filter(path -> path.getFileName().toString().matches("[0-9a-f]{20}")).toList();
        }
    }

    private synchronized void report(MunicipalityCode code, String id, Path record) throws IOException {
        List<Map<String, String>> files = new ArrayList<>();
        for (Removed file : read(record)) {
            files.add(Map.of("fileId", file.fileId(), "fileName", file.fileName()));
        }
        CentralClient.Response response;
        try {
            response = client.send(code, "POST", "/window/v1/municipalities/" + code + "/cancellations/" + id,
                    Map.of("Content-Type", "application/json"), JSON.writeValueAsBytes(Map.of("files", files)));
        } catch (IOException unreachable) {
            return;
        }
        if (response.isSuccess() || response.status() == 404) {
            if (response.status() == 404) {
                LOG.warn("Central server no longer knows the cancellation, its report is dropped: municipality={}"
                        + " cancellation={}", code, id);
            } else {
                LOG.info("Cancellation reported: municipality={} cancellation={} filesRemoved={}", code, id,
                        files.size());
            }
            Files.deleteIfExists(record);
        }
    }
}
