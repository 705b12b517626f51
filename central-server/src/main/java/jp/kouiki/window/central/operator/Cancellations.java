package jp.kouiki.window.central.operator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Cancellations of files that still wait at an agent: one JSON file per cancellation under {@code
 * <central.data-dir>/operator/cancellations/<code>/}, on the shared store, so that a cancellation survives a restart and
 * a failover. A cancellation names a file id or a file name. It stays {@code requested} until the agent of its
 * municipality reports that it removed the matching files from its queue ({@code cancelled}) or found none
 * ({@code not-found}).
 *
 * <p>The window endpoint rejects an upload whose file id a cancellation names, and, while a name cancellation is
 * requested, every upload of that name. After the agent's report only the file ids it listed stay rejected, so a file
 * dropped again later under the same name travels normally. {@link #matching} is called for every chunk, so it reads
 * a copy kept in memory and replaced on every write.
 */
public final class Cancellations {

    /** One file the agent removed: its file id and name. */
    public record CancelledFile(String fileId, String fileName) {
    }

    /**
     * One cancellation: its id, the municipality, the file id or the file name it names (the other is null), who
     * requested it, when and why, and the agent's report once it has come.
     */
    public record Cancellation(String id, String municipality, String fileId, String fileName, String operator,
            Instant requestedAt, String note, String state, Instant completedAt, List<CancelledFile> files) {

        /** Returns whether the agent has not reported yet. */
        public boolean open() {
            return REQUESTED.equals(state);
        }

        /** Returns whether this cancellation rejects an upload of the given file id and name. */
        boolean covers(String uploadFileId, String uploadFileName) {
            if (fileId != null && fileId.equals(uploadFileId)) {
                return true;
            }
            if (open() && fileName != null && fileName.equals(uploadFileName)) {
                return true;
            }
            return files.stream().anyMatch(file -> file.fileId().equals(uploadFileId));
        }

        /** Returns the file id or the name, for logs and audit records. */
        public String target() {
            return fileId != null ? "fileId=" + fileId : "fileName=" + fileName;
        }
    }

    public static final String REQUESTED = "requested";
    public static final String CANCELLED = "cancelled";
    public static final String NOT_FOUND = "not-found";

    private static final Logger LOG = LoggerFactory.getLogger(Cancellations.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path directory;
    private volatile Map<MunicipalityCode, List<Cancellation>> snapshot = Map.of();

    public Cancellations(Path dataDirectory) {
        this.directory = dataDirectory.resolve("operator").resolve("cancellations");
        reload();
    }

    /**
     * Records a new cancellation, or returns the open one that already names the same file id or name, unchanged.
     */
    public synchronized Cancellation request(MunicipalityCode code, String fileId, String fileName, String operator,
            String note) throws IOException {
        reload();
        for (Cancellation existing : list(code)) {
            if (existing.open() && java.util.Objects.equals(existing.fileId(), fileId)
                    && java.util.Objects.equals(existing.fileName(), fileName)) {
                return existing;
            }
        }
        byte[] id = new byte[10];
        RANDOM.nextBytes(id);
        Cancellation created = new Cancellation(HexFormat.of().formatHex(id), code.value(), fileId, fileName, operator,
                Instant.now(), note == null ? "" : note, REQUESTED, null, List.of());
        write(created);
        return created;
    }

    /**
     * Records the agent's report: the files it removed. A second report adds files it did not list before, so a file
     * that an upload worker held while the first report went out is recorded too.
     *
     * @return the updated cancellation, or null when the municipality has none of that id
     */
    public synchronized Cancellation complete(MunicipalityCode code, String id, List<CancelledFile> removed)
            throws IOException {
        reload();
        Cancellation current = find(code, id);
        if (current == null) {
            return null;
        }
        Map<String, CancelledFile> files = new LinkedHashMap<>();
        current.files().forEach(file -> files.put(file.fileId(), file));
        removed.forEach(file -> files.putIfAbsent(file.fileId(), file));
        String state = files.isEmpty() ? NOT_FOUND : CANCELLED;
        Instant completedAt = current.completedAt() == null ? Instant.now() : current.completedAt();
        Cancellation updated = new Cancellation(current.id(), current.municipality(), current.fileId(),
                current.fileName(), current.operator(), current.requestedAt(), current.note(), state, completedAt,
                List.copyOf(files.values()));
        write(updated);
        return updated;
    }

    /** Returns the cancellation that rejects an upload of this file id and name, or null. */
    public Cancellation matching(MunicipalityCode code, String fileId, String fileName) {
        for (Cancellation cancellation : snapshot.getOrDefault(code, List.of())) {
            if (cancellation.covers(fileId, fileName)) {
                return cancellation;
            }
        }
        return null;
    }

    /** Returns the cancellations of one municipality, oldest first. */
    public List<Cancellation> list(MunicipalityCode code) {
        return snapshot.getOrDefault(code, List.of());
    }

    /** Returns the municipality's cancellations that wait for the agent's report, oldest first. */
    public List<Cancellation> open(MunicipalityCode code) {
        return list(code).stream().filter(Cancellation::open).toList();
    }

    /** Returns every cancellation, newest first. */
    public List<Cancellation> all() {
        List<Cancellation> all = new ArrayList<>();
        snapshot.values().forEach(all::addAll);
        all.sort(Comparator.comparing(Cancellation::requestedAt).reversed());
        return all;
    }

    /** Returns one cancellation of the municipality, or null. */
    public Cancellation find(MunicipalityCode code, String id) {
        return list(code).stream().filter(cancellation -> cancellation.id().equals(id)).findFirst().orElse(null);
    }

    /** Deletes reported cancellations older than the given days; returns how many. */
    public synchronized int expire(int retentionDays) throws IOException {
        Instant limit = Instant.now().minus(java.time.Duration.ofDays(retentionDays));
        int removed = 0;
        for (Cancellation cancellation : all()) {
            if (!cancellation.open() && cancellation.completedAt().isBefore(limit)) {
                Files.deleteIfExists(file(MunicipalityCode.of(cancellation.municipality()), cancellation.id()));
                removed++;
            }
        }
        reload();
        return removed;
    }

    private void write(Cancellation cancellation) throws IOException {
        Path file = file(MunicipalityCode.of(cancellation.municipality()), cancellation.id());
        AtomicFiles.createDirectories(file.getParent());
        AtomicFiles.writeAtomically(file, JSON.writeValueAsBytes(toJson(cancellation)));
        reload();
    }

    private static ObjectNode toJson(Cancellation cancellation) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", cancellation.id());
        node.put("municipality", cancellation.municipality());
        node.put("fileId", cancellation.fileId());
        node.put("fileName", cancellation.fileName());
        node.put("operator", cancellation.operator());
        node.put("requestedAt", cancellation.requestedAt().toString());
        node.put("note", cancellation.note());
        node.put("state", cancellation.state());
        node.put("completedAt", cancellation.completedAt() == null ? null : cancellation.completedAt().toString());
        ArrayNode files = node.putArray("files");
        for (CancelledFile file : cancellation.files()) {
            files.addObject().put("fileId", file.fileId()).put("fileName", file.fileName());
        }
        return node;
    }

    private static Cancellation fromJson(JsonNode node) {
        List<CancelledFile> files = new ArrayList<>();
        for (JsonNode file : node.path("files")) {
            files.add(new CancelledFile(file.path("fileId").asText(), file.path("fileName").asText(null)));
        }
        String completedAt = node.path("completedAt").asText(null);
        return new Cancellation(node.path("id").asText(), node.path("municipality").asText(),
                node.path("fileId").asText(null), node.path("fileName").asText(null), node.path("operator").asText(),
                Instant.parse(node.path("requestedAt").asText()), node.path("note").asText(""),
                node.path("state").asText(REQUESTED), completedAt == null ? null : Instant.parse(completedAt),
                List.copyOf(files));
    }

    private Path file(MunicipalityCode code, String id) {
        return directory.resolve(code.value()).resolve(id + ".json");
    }

    private synchronized void reload() {
        Map<MunicipalityCode, List<Cancellation>> read = new LinkedHashMap<>();
        if (!Files.isDirectory(directory)) {
            snapshot = Map.of();
            return;
        }
        try (Stream<Path> files = Files.find(directory, 2, (path, attributes) -> attributes.isRegularFile()
                && path.getFileName().toString().endsWith(".json"))) {
            for (Path file : files.toList()) {
                Cancellation cancellation = fromJson(JSON.readTree(file.toFile()));
                read.computeIfAbsent(MunicipalityCode.of(cancellation.municipality()), code -> new ArrayList<>())
                        .add(cancellation);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Cancellations could not be read, the ones read before stay in use: directory={} error={}",
                    directory, e.toString());
            return;
        }
        read.values().forEach(list -> list.sort(Comparator.comparing(Cancellation::requestedAt)));
        snapshot = Map.copyOf(read);
    }
}
