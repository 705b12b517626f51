package jp.kouiki.window.agent;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.apache.camel.Exchange;
import org.apache.camel.component.file.GenericFile;
import org.apache.camel.component.file.GenericFileFilter;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.FileEntity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.files.SafeFileNames;
import jp.kouiki.window.files.UnmovableEntries;
import jp.kouiki.window.iffile.InterfaceFileChecker;
import jp.kouiki.window.iffile.InterfaceFileName;
import jp.kouiki.window.iffile.InterfaceFileRejectedException;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.ManifestSignatures;
import jp.kouiki.window.transfer.DownloadManifest;
import jp.kouiki.window.transfer.FileIds;

/**
 * The union agent's outbound steps: find out which municipality a file in {@code outbound/} goes to (or that it goes to
 * all of them), check its name and records against each destination, sign a download manifest per destination with
 * the union's key, encrypt one copy per destination with that municipality's keyset and send it to the municipality's
 * window server ({@code PUT /window/v1/union/municipalities/{code}/downloads/{fileId}}), which queues it for the
 * municipality's agent. The window server never receives the plaintext.
 *
 * <p>Names follow the window server's rules for local union folders: a file in {@code outbound/<code>/} starts with the
 * destination's code and an underscore; a file in {@code outbound/all/} does not, and each municipality receives it as
 * {@code <code>_<name>}. The file id of each copy depends on the file and its destination only, so a file sent again
 * after a crash before its move to {@code outbound-sent/} is recognised by the window server and queued once.
 */
final class UnionOutboundPickup {

    static final String TARGET_HEADER = "WindowMoveTarget";
    static final String FILTER_BEAN = "unionOutboundFilter";

    private static final String FILE = "WindowFile";
    private static final String FOLDER = "WindowFolder";
    private static final String ERROR_TARGET = "WindowErrorTarget";
    private static final Logger LOG = LoggerFactory.getLogger(UnionOutboundPickup.class);
    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");
    private static final Pattern CODE_PREFIX = Pattern.compile("[0-9]{6}_.*");
    private static final int MAX_ERROR_CHARACTERS = 2000;

    private final AgentSettings settings;
    private volatile Set<MunicipalityCode> served;
    private final PrivateKey unionSigningKey;
    private final PayloadCipher cipher;
    private final CentralClient client;
    private final InterfaceFileChecker checker;
    private final Path spool;
    private final UnmovableEntries unmovable = new UnmovableEntries("outbound folder");

    UnionOutboundPickup(AgentSettings settings, PrivateKey unionSigningKey, PayloadCipher cipher,
            CentralClient client) throws IOException {
        this.settings = settings;
        this.served = Set.copyOf(settings.municipalities());
        this.unionSigningKey = unionSigningKey;
        this.cipher = cipher;
        this.client = client;
        this.checker = new InterfaceFileChecker(settings.interfaceKinds());
        this.spool = AtomicFiles.createDirectories(settings.dataDirectory().resolve("union-outbound"));
        try (var leftovers = Files.list(spool)) {
            for (Path leftover : leftovers.toList()) {
                Files.deleteIfExists(leftover);
            }
        }
    }

    /** Accepts a file once it has not been modified for the quiet period, in quiet-period mode. */
    GenericFileFilter<File> outboundFilter() {
        return file -> file.isDirectory() || unmovable.isMovable(file.getAbsoluteFilePath())
                && (settings.doneMarkerPickup()
                        || System.currentTimeMillis() - file.getLastModified() >= settings.quietPeriodMillis());
    }

    /** Determines the destination folder and the move targets for success and refusal. */
    void identify(Exchange exchange) throws InterfaceFileRejectedException {
        Path file = ((File) exchange.getMessage().getBody(GenericFile.class).getFile()).toPath().toAbsolutePath();
        String folder = file.getParent().getFileName().toString();
        String safeFolder = folder.equals(AgentSettings.BROADCAST_FOLDER) || folder.matches("[0-9]{6}")
                ? folder : "unknown";
        String stamped = SafeFileNames.fitted(ZonedDateTime.now(TOKYO).format(STAMP) + "_"
                + SafeFileNames.safeName(file.getFileName().toString()));
        exchange.setProperty(FILE, file);
        exchange.setProperty(FOLDER, folder);
        exchange.setProperty(ERROR_TARGET, settings.unionOutboundError(safeFolder).resolve(stamped));
        if (!folder.equals(AgentSettings.BROADCAST_FOLDER)
                && (!MunicipalityCode.isValid(folder) || !served.contains(MunicipalityCode.of(folder)))) {
            throw new InterfaceFileRejectedException(
                    "フォルダ「" + folder + "」はこのエージェントが扱う団体コードでも all でもありません。",
                    "folder '" + folder + "' is neither the code of a municipality in agent.municipalities nor "
                            + AgentSettings.BROADCAST_FOLDER + "; put files into outbound/<code>/ or outbound/"
                            + AgentSettings.BROADCAST_FOLDER + "/");
        }
        if (Files.isSymbolicLink(file) || Files.isSymbolicLink(file.getParent())) {
            throw new InterfaceFileRejectedException(
                    "シンボリックリンクは送れません。実ファイルを置いてください。",
                    "symbolic links are refused; put the real file into the outbound folder");
        }
        // Reading a named pipe would block this thread until something writes into it.
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new InterfaceFileRejectedException(
                    "通常のファイルではありません（名前付きパイプなど）。通常のファイルを置いてください。",
                    "not a regular file (a named pipe or a device, for example); put a regular file into the outbound folder");
        }
        exchange.getMessage().setHeader(TARGET_HEADER, settings.unionOutboundSent(folder).resolve(stamped).toString());
    }

    /** Checks the file against every destination, then sends one signed, encrypted copy per destination. */
    void checkAndSend(Exchange exchange) throws Exception {
        Path file = exchange.getProperty(FILE, Path.class);
        String folder = exchange.getProperty(FOLDER, String.class);
        String name = file.getFileName().toString();
        boolean broadcast = folder.equals(AgentSettings.BROADCAST_FOLDER);
        List<InterfaceFileName> destinations = broadcast ? broadcastNames(name)
                : List.of(InterfaceFileName.parseForRecipient(name, MunicipalityCode.of(folder)));
        if (checker.catalogue().find(destinations.get(0).kind()).isEmpty()) {
            checker.check(file, destinations.get(0));
        } else {
            for (InterfaceFileName destination : destinations) {
                checker.check(file, destination);
            }
        }
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        String sha256 = OutboxPickup.sha256(file);
        String dropIdentity = FileIds.dropIdentity(file);
        String queuedAt = ZonedDateTime.now(TOKYO).toOffsetDateTime().toString();
        for (InterfaceFileName destination : destinations) {
            String fileId = FileIds.derive(destination.code(), destination.name(), attributes.size(),
                    attributes.lastModifiedTime().toMillis(), "download;" + dropIdentity, sha256);
            DownloadManifest manifest = DownloadManifest.of(fileId, destination.code(), destination.name(),
                    attributes.size(), sha256, destination.kind(), broadcast, queuedAt);
            send(file, manifest);
        }
    }

    /**
     * Encrypts the file for the manifest's municipality into the spool folder and sends it. When the window server
     * rejects the file itself (4xx other than 408 and 429), the file is refused. Any other failure leaves it in the
     * outbound folder for the next scan.
     */
    private void send(Path file, DownloadManifest manifest) throws Exception {
        MunicipalityCode code = manifest.municipalityCode();
        byte[] json = manifest.toJson();
        String signature = ManifestSignatures.sign(json, unionSigningKey);
        Path ciphertext = Files.createTempFile(spool, manifest.fileId() + ".", ".ciphertext");
        try {
            MessageDigest digest = FileIds.sha256();
            try (InputStream plaintext = new DigestInputStream(Files.newInputStream(file), digest);
                    InputStream encrypted = cipher.encryptedView(plaintext, code, manifest.fileId(),
                            PayloadCipher.Direction.DOWNLOAD);
                    OutputStream out = Files.newOutputStream(ciphertext)) {
                encrypted.transferTo(out);
            }
            if (!FileIds.hex(digest.digest()).equals(manifest.sha256())) {
                throw new IOException("outbound file " + file + " changed while it was being sent; it stays in the"
                        + " folder and is taken again once it is quiet");
            }
            CentralClient.Response response = client.send(code, "PUT", "/window/v1/union/municipalities/" + code
                    + "/downloads/" + manifest.fileId(), Map.of(
                            "Window-Manifest", Base64.getEncoder().encodeToString(json),
                            "Window-Signature", signature),
                    new FileEntity(ciphertext.toFile(), ContentType.APPLICATION_OCTET_STREAM));
            if (response.isSuccess()) {
                LOG.info("Download sent to the window server: municipality={} file={} fileId={} size={}"
                        + " broadcast={}", code, manifest.fileName(), manifest.fileId(), manifest.size(),
                        manifest.broadcast());
                return;
            }
            String body = response.body() == null ? "" : response.body();
            if (body.length() > MAX_ERROR_CHARACTERS) {
                body = body.substring(0, MAX_ERROR_CHARACTERS) + "…";
            }
            int status = response.status();
            if (status >= 400 && status < 500 && status != 408 && status != 429) {
                throw new InterfaceFileRejectedException(
                        "窓口サーバが団体 " + code + " 宛てのファイルを受け付けませんでした（HTTP " + status + "）。",
                        "the window server refused the file for municipality " + code + " with status " + status
                                + ": " + body);
            }
            throw new IOException("window server responded with " + status + " for the download of " + manifest.fileName()
                    + " to municipality " + code + "; the file stays in the outbound folder and is sent again: "
                    + body);
        } finally {
            Files.deleteIfExists(ciphertext);
        }
    }

    private List<InterfaceFileName> broadcastNames(String name) throws InterfaceFileRejectedException {
        if (CODE_PREFIX.matcher(name).matches()) {
            throw new InterfaceFileRejectedException(
                    "全団体向けフォルダ all のファイル名「" + InterfaceFileName.printable(name)
                            + "」が団体コードで始まっています。1団体向けなら outbound/<団体コード>/ に置いてください。",
                    "file name '" + InterfaceFileName.printable(name) + "' in the folder for all municipalities"
                            + " starts with a municipality code; put a file for one municipality into"
                            + " outbound/<code>/, or name a file for all without a code, as each municipality"
                            + " receives it as <code>_<name>");
        }
        // NOTE: the copies go to this agent's own municipality list. A municipality that the window server serves but
        // this list lacks gets no copy, and the window server cannot detect it, because it receives one upload per copy.
        List<InterfaceFileName> names = new ArrayList<>();
        for (MunicipalityCode code : new java.util.TreeSet<>(served)) {
            names.add(InterfaceFileName.parse(code + "_" + name, code));
        }
        return names;
    }

    /** Sends files to exactly these municipalities from now on, as after a reload of the municipality list. */
    void serve(Set<MunicipalityCode> codes) {
        served = Set.copyOf(codes);
    }

    /** Writes the reason beside the refused file's new place in the outbound error folder. */
    void refuse(Exchange exchange) throws IOException {
        Exception cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        Path target = exchange.getProperty(ERROR_TARGET, Path.class);
        exchange.getMessage().setHeader(TARGET_HEADER, target.toString());
        Path file = exchange.getProperty(FILE, Path.class);
        AtomicFiles.createDirectories(target.getParent());
        String reason = "file: " + InterfaceFileName.printable(file.getFileName().toString()) + "\n"
                + "refused at: " + ZonedDateTime.now(TOKYO).toOffsetDateTime() + "\n"
                + "reason: " + cause.getMessage() + "\n";
        AtomicFiles.writeAtomically(target.resolveSibling(target.getFileName() + ".reason"),
                reason.getBytes(StandardCharsets.UTF_8));
        LOG.warn("Outbound file refused: folder={} file={} movedTo={} reason={}",
                InterfaceFileName.printable(file.getParent().getFileName().toString()),
                InterfaceFileName.printable(file.getFileName().toString()),
                InterfaceFileName.printable(target.toString()), cause.getMessage());
    }
}
