package jp.kouiki.window.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Files that the central server held as possible duplicates: the same name and bytes as a file it received recently.
 * Such a file waits in {@code held/<code>/} beside a reason. A person who wants it applied again creates an empty
 * {@code <file>.confirm} beside it. The agent then puts the file back into the outbox and remembers the confirmation
 * under {@code confirmed/<code>/<sha256>}, so that its next upload informs the central server that the
 * resubmission is intended. A person who does not want it deletes the file.
 */
final class HeldFiles {

    static final String CONFIRM_SUFFIX = ".confirm";

    private static final Logger LOG = LoggerFactory.getLogger(HeldFiles.class);
    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    /** The time stamp that the agent puts before a file's name in sent/, error/ and held/. */
    private static final Pattern STAMPED = Pattern.compile("[0-9]{8}-[0-9]{6}-[0-9]{3}_(.+)");
    /** How long a confirmation waits for its file to be taken from the outbox again. */
    private static final Duration CONFIRMATION_LIFETIME = Duration.ofDays(30);

    private final AgentSettings settings;
    /** The municipalities whose held files are released; a reload of the municipality list replaces it. */
    private volatile java.util.List<MunicipalityCode> served;
    private final Path confirmedRoot;
    /** Confirmations naming no held file that were already reported, so that each is reported once per start. */
    private final Set<Path> strayReported = ConcurrentHashMap.newKeySet();
    /** Confirmations whose file waits for a file of its name to leave the outbox, reported once each. */
    private final Set<Path> waitingReported = ConcurrentHashMap.newKeySet();

    HeldFiles(AgentSettings settings) {
        this.served = settings.municipalities();
        this.settings = settings;
        this.confirmedRoot = settings.dataDirectory().resolve("confirmed");
    }

    /** Moves a file that the central server held from sent/ into held/ and writes why beside it. */
    void hold(MunicipalityCode code, Path sentFile, String fileId, String reason) throws IOException {
        if (sentFile == null || !Files.exists(sentFile, LinkOption.NOFOLLOW_LINKS)) {
            LOG.warn("Upload held as a possible duplicate, but its file is no longer in the sent folder:"
                    + " municipality={} fileId={} reason={}", code, fileId, reason);
            return;
        }
        Path target = AtomicFiles.createDirectories(settings.held(code)).resolve(sentFile.getFileName());
        Files.move(sentFile, target, StandardCopyOption.ATOMIC_MOVE);
        String text = "file: " + target.getFileName() + "\n"
                + "fileId: " + fileId + "\n"
                + "held at: " + ZonedDateTime.now(TOKYO).toOffsetDateTime() + "\n"
                + "reason: 同じ名前・同じ内容のファイルを最近送っています。二重に取り込まれるおそれがあるため保留しました。"
                + " / The same name and content was sent recently, so this file was held as a possible duplicate: "
                + reason + "\n"
                + "what to do: もう一度送る場合は、同じフォルダに「" + target.getFileName() + CONFIRM_SUFFIX
                + "」という空のファイルを作ってください。送らない場合は、このファイルを削除してください。"
                + " / To send it again, create an empty file named " + target.getFileName() + CONFIRM_SUFFIX
                + " in this folder. Otherwise delete the file.\n";
        AtomicFiles.writeAtomically(target.resolveSibling(target.getFileName() + ".reason"),
                text.getBytes(StandardCharsets.UTF_8));
        LOG.warn("File held as a possible duplicate: municipality={} file={} fileId={} movedTo={} reason={}", code,
                target.getFileName(), fileId, target, reason);
    }

    /** Releases the held files of exactly these municipalities from now on. */
    void serve(java.util.Collection<MunicipalityCode> codes) {
        served = java.util.List.copyOf(new java.util.TreeSet<>(codes));
    }

    /** Puts every held file with a confirmation marker back into its outbox; runs on the housekeeping thread. */
    void releaseConfirmed() {
        for (MunicipalityCode code : served) {
            Path folder = settings.held(code);
            if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (DirectoryStream<Path> markers = Files.newDirectoryStream(folder, "*" + CONFIRM_SUFFIX)) {
                for (Path marker : markers) {
                    release(code, marker);
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("Held files could not be checked for confirmations, trying again: municipality={}"
                        + " folder={} error={}", code, folder, e.toString());
            }
        }
    }

    private void release(MunicipalityCode code, Path marker) throws IOException {
        String markerName = marker.getFileName().toString();
        Path held = marker.resolveSibling(markerName.substring(0, markerName.length() - CONFIRM_SUFFIX.length()));
        if (!Files.isRegularFile(held, LinkOption.NOFOLLOW_LINKS)) {
            if (strayReported.add(marker)) {
                LOG.warn("Confirmation names no held file and is ignored; delete it, or name a file in the same"
                        + " folder with .confirm after its whole name: municipality={} marker={}", code, marker);
            }
            return;
        }
        Matcher stamped = STAMPED.matcher(held.getFileName().toString());
        String name = stamped.matches() ? stamped.group(1) : held.getFileName().toString();
        Path outbox = AtomicFiles.createDirectories(settings.outbox().resolve(code.value()));
        Path target = outbox.resolve(name);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (waitingReported.add(marker)) {
                LOG.warn("Confirmed file waits because a file of its name is in the outbox: municipality={} file={}",
                        code, name);
            }
            return;
        }
        waitingReported.remove(marker);
        String sha256 = OutboxPickup.sha256(held);
        Path confirmation = AtomicFiles.createDirectories(confirmedRoot.resolve(code.value())).resolve(sha256);
        AtomicFiles.writeAtomically(confirmation, name.getBytes(StandardCharsets.UTF_8));
        // The move makes the file visible to the outbox route with an old modification time, so it is taken at once.
        Files.move(held, target, StandardCopyOption.ATOMIC_MOVE);
        if (settings.doneMarkerPickup()) {
            Files.write(target.resolveSibling(name + ".done"), new byte[0]);
        }
        Files.deleteIfExists(held.resolveSibling(held.getFileName() + ".reason"));
        Files.deleteIfExists(marker);
        LOG.info("Held file confirmed and put back into the outbox: municipality={} file={} sha256={}", code, name,
                sha256);
    }

    /**
     * Returns the confirmation record of a picked-up file, or null when its resubmission was not confirmed. The
     * record is deleted once the file is queued.
     */
    Path confirmation(MunicipalityCode code, String name, String sha256) throws IOException {
        Path record = confirmedRoot.resolve(code.value()).resolve(sha256);
        if (!Files.isRegularFile(record)) {
            return null;
        }
        if (Files.getLastModifiedTime(record).toInstant().isBefore(Instant.now().minus(CONFIRMATION_LIFETIME))) {
            Files.deleteIfExists(record);
            return null;
        }
        return Files.readString(record, StandardCharsets.UTF_8).equals(name) ? record : null;
    }
}
