package jp.kouiki.window.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.files.AtomicFiles;

/**
 * The identity of one agent installation: 32 random hexadecimal digits kept in {@code agent-instance-id} in the data
 * folder, created on first start. The agent sends it in {@code Window-Agent-Instance} with every request, so the
 * central server can tell which municipalities one agent serves and compare their configuration digests.
 */
final class AgentInstance {

    static final String FILE_NAME = "agent-instance-id";
    /** The header that carries the instance id. */
    static final String HEADER = "Window-Agent-Instance";

    private static final Logger LOG = LoggerFactory.getLogger(AgentInstance.class);
    private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");

    private AgentInstance() {
    }

    /** Reads the instance id from the data folder, or creates and saves a new one when it is missing or invalid. */
    static String loadOrCreate(Path dataDirectory) throws IOException {
        Path file = dataDirectory.resolve(FILE_NAME);
        if (Files.isRegularFile(file)) {
            String saved = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (ID.matcher(saved).matches()) {
                return saved;
            }
            LOG.warn("Agent instance id is invalid, creating a new one: file={}", file);
        }
        byte[] random = new byte[16];
        new SecureRandom().nextBytes(random);
        String id = HexFormat.of().formatHex(random);
        AtomicFiles.createDirectories(dataDirectory);
        AtomicFiles.writeAtomically(file, (id + "\n").getBytes(StandardCharsets.US_ASCII));
        LOG.info("Agent instance id created: instance={} file={}", id, file);
        return id;
    }
}
