package jp.kouiki.window.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Learns when each uploaded file reached the union's folder and leaves a receipt beside the file in
 * {@code sent/<code>/}, so municipal staff can check themselves whether it arrived. Files awaiting a receipt are kept
 * under {@code receipts/<code>/} in the agent's data folder and survive restarts. A file the central server refused
 * at delivery moves to {@code error/<code>/} with the reason.
 */
final class ReceiptTracker {

    private static final Logger LOG = LoggerFactory.getLogger(ReceiptTracker.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    /** Maximum number of files in one receipts request; the central server accepts up to 500. */
    static final int FILES_PER_REQUEST = 200;

    private final AgentSettings settings;
    private final CentralClient client;
    private final Path root;
    /** Set once the central server returned 404 to a request for many files, as a server without it does. */
    private volatile boolean batchUnsupported;

    ReceiptTracker(AgentSettings settings, CentralClient client) {
        this.settings = settings;
        this.client = client;
        this.root = settings.dataDirectory().resolve("receipts");
    }

    /** Deletes the temporaries of entries a killed agent was writing; call before the tracker is used. */
    int deleteLeftoverTemporaries() throws IOException {
        return AtomicFiles.deleteLeftoverTemporaries(root, 2);
    }

    /** Remembers an uploaded file until its receipt is written. */
    void expect(MunicipalityCode code, String fileId, String sentPath) throws IOException {
        Path folder = AtomicFiles.createDirectories(root.resolve(code.value()));
        AtomicFiles.writeAtomically(folder.resolve(fileId), sentPath.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Requests the state of every file still awaiting a receipt, up to {@link #FILES_PER_REQUEST} files of a
     * municipality in one request.
     */
    void poll() {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> entries = Files.find(root, 2, (path, attributes) -> attributes.isRegularFile()
                && !path.getFileName().toString().startsWith("."))) {
            Map<MunicipalityCode, List<Path>> byMunicipality = entries.collect(Collectors.groupingBy(
                    entry -> MunicipalityCode.of(entry.getParent().getFileName().toString()), LinkedHashMap::new,
                    Collectors.toList()));
            for (Map.Entry<MunicipalityCode, List<Path>> pending : byMunicipality.entrySet()) {
                List<Path> files = pending.getValue();
                for (int from = 0; from < files.size(); from += FILES_PER_REQUEST) {
                    checkAll(pending.getKey(), files.subList(from, Math.min(files.size(), from + FILES_PER_REQUEST)));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Receipt check failed, trying again at the next poll: error={}", e.toString());
        }
    }

    /** Requests the states of the files in one request, or file by file from a central server without it. */
    private void checkAll(MunicipalityCode code, List<Path> entries) throws IOException {
        if (!batchUnsupported) {
            List<String> fileIds = entries.stream().map(entry -> entry.getFileName().toString()).toList();
            CentralClient.Response response;
            try {
                response = client.send(code, "POST", "/window/v1/municipalities/" + code + "/receipts",
                        Map.of("Content-Type", "application/json"), JSON.writeValueAsBytes(Map.of("fileIds",
                                fileIds)));
            } catch (IOException unreachable) {
                return;
            }
            if (response.status() != 404) {
                if (response.isSuccess()) {
                    Map<String, JsonNode> states = new HashMap<>();
                    for (JsonNode file : JSON.readTree(response.body()).path("files")) {
                        states.put(file.path("fileId").asText(), file);
                    }
                    for (Path entry : entries) {
                        JsonNode state = states.get(entry.getFileName().toString());
                        if (state != null) {
                            apply(code, entry, state);
                        }
                    }
                }
                return;
            }
            batchUnsupported = true;
            LOG.info("Central server does not report many files in one request; receipts are checked file by file"
                    + " until the agent restarts: municipality={}", code);
        }
        for (Path entry : entries) {
            check(code, entry.getFileName().toString(), entry);
        }
    }

    private void check(MunicipalityCode code, String fileId, Path entry) throws IOException {
        CentralClient.Response response;
        try {
            response = client.send(code, "GET", "/window/v1/municipalities/" + code + "/uploads/" + fileId,
                    Map.of(), new byte[0]);
        } catch (IOException unreachable) {
            return;
        }
        if (response.status() == 404) {
            apply(code, entry, JSON.createObjectNode().put("fileId", fileId).put("state", "unknown"));
            return;
        }
        if (!response.isSuccess()) {
            return;
        }
        apply(code, entry, JSON.readTree(response.body()));
    }

    /** Writes the receipt, moves the file to error/ or leaves it for the next poll, by the file's state. */
    private void apply(MunicipalityCode code, Path entry, JsonNode status) throws IOException {
        String fileId = entry.getFileName().toString();
        Path sent = Path.of(Files.readString(entry, StandardCharsets.UTF_8));
        switch (status.path("state").asText()) {
            case "unknown" -> {
                LOG.warn("Central server no longer knows the file, no receipt will be written: municipality={}"
                        + " fileId={} sent={}", code, fileId, sent);
                Files.delete(entry);
            }
            case "delivered" -> {
                writeReceipt(sent, "配信済み / delivered to the union's folder at "
                        + Instant.parse(status.path("at").asText()).atZone(TOKYO).toOffsetDateTime());
                LOG.info("Delivery confirmed: municipality={} file={} fileId={}", code, sent.getFileName(), fileId);
                Files.delete(entry);
            }
            case "rejected" -> {
                String reason = status.path("reason").asText();
                moveToError(code, sent, reason);
                LOG.warn("File refused at delivery: municipality={} file={} fileId={} reason={}", code,
                        sent.getFileName(), fileId, reason);
                Files.delete(entry);
            }
            case "waiting" -> {
                // Written once, as the receipt that the delivery later replaces, so staff can see why the file waits.
                if (!Files.exists(sent.resolveSibling(sent.getFileName() + ".receipt"))) {
                    String reason = status.path("reason").asText();
                    writeReceipt(sent, "配信待ち（連合のフォルダに同名のファイルがあります） / waiting at the central server"
                            + " since " + Instant.parse(status.path("at").asText()).atZone(TOKYO).toOffsetDateTime()
                            + ": " + reason);
                    LOG.info("Delivery waiting: municipality={} file={} fileId={} reason={}", code,
                            sent.getFileName(), fileId, reason);
                }
            }
            default -> {
                // receiving or stored: ask again at the next poll.
            }
        }
    }

    private static void writeReceipt(Path sent, String text) throws IOException {
        if (Files.exists(sent)) {
            AtomicFiles.writeAtomically(sent.resolveSibling(sent.getFileName() + ".receipt"),
                    ("file: " + sent.getFileName() + "\n" + text + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    private void moveToError(MunicipalityCode code, Path sent, String reason) throws IOException {
        Path error = AtomicFiles.createDirectories(settings.error(code));
        Path target = error.resolve(sent.getFileName());
        if (Files.exists(sent)) {
            Files.move(sent, target, StandardCopyOption.ATOMIC_MOVE);
        }
        AtomicFiles.writeAtomically(error.resolve(sent.getFileName() + ".reason"),
                ("file: " + sent.getFileName() + "\nreason: 中央の窓口サーバが配信時に受け付けませんでした / the central"
                        + " window server refused the file at delivery: " + reason + "\n")
                        .getBytes(StandardCharsets.UTF_8));
        // A file that waited for its name has a "waiting" receipt beside it, which no longer describes it.
        Files.deleteIfExists(sent.resolveSibling(sent.getFileName() + ".receipt"));
    }

    /** Files still awaiting a receipt, for tests and the status command. */
    List<Path> pending() throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.find(root, 2, (path, attributes) -> attributes.isRegularFile())) {
            return entries.toList();
        }
    }
}
