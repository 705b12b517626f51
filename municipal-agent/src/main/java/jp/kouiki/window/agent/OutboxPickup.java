package jp.kouiki.window.agent;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import org.apache.camel.Exchange;
import org.apache.camel.component.crypto.DigitalSignatureConstants;
import org.apache.camel.component.file.GenericFile;
import org.apache.camel.component.file.GenericFileFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.files.SafeFileNames;
import jp.kouiki.window.files.UnmovableEntries;
import jp.kouiki.window.iffile.InterfaceFileChecker;
import jp.kouiki.window.iffile.InterfaceFileName;
import jp.kouiki.window.iffile.InterfaceFileRejectedException;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.FileIds;
import jp.kouiki.window.transfer.FileManifest;

/**
 * The outbox route's steps before queueing: find out which municipality a file belongs to, check its name and
 * records against that municipality, and describe it in a manifest for signing.
 */
final class OutboxPickup {

    static final String TARGET_HEADER = "WindowMoveTarget";
    static final String FILTER_BEAN = "outboxFilter";
    static final String CODE = "WindowMunicipality";
    static final String FILE = "WindowFile";
    static final String MANIFEST = "WindowManifest";
    /** The file's attributes when its size was taken for the manifest, to tell whether it changed since. */
    static final String ATTRIBUTES = "WindowFileAttributes";
    static final String ERROR_TARGET = "WindowErrorTarget";
    /** Path of the confirmation record of a file whose resubmission a person confirmed. */
    static final String CONFIRMATION = "WindowConfirmation";

    private static final Logger LOG = LoggerFactory.getLogger(OutboxPickup.class);
    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

    /** Bytes from which a file's SHA-256 is computed on its own thread while the records are checked. */
    static final long PARALLEL_DIGEST_BYTES = 16L * 1024 * 1024;

    /**
     * Time without a change after which a file with a backslash in its name is moved to the error folder, also in
     * done-marker mode, where such a name cannot be matched with its marker.
     */
    static final long BACKSLASH_QUIET_MILLIS = 2_000;

    private final AgentSettings settings;
    private volatile Set<MunicipalityCode> served;
    /** Municipalities removed since start-up, whose outbox files stay where they are. */
    private final Set<MunicipalityCode> removed = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final ManifestSigner signingKeys;
    private final InterfaceFileChecker checker;
    private final UnmovableEntries unmovable = new UnmovableEntries("outbox");

    private final HeldFiles heldFiles;
    /**
     * Threads that compute the SHA-256 of large files while their records are checked. For 1 GiB the check took 1.7 to
     * 2.0 s and the digest 0.8 to 0.9 s on the benchmark machine. Idle threads end after a minute.
     */
    private final ExecutorService digests = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "outbox-digest");
        thread.setDaemon(true);
        return thread;
    });

    OutboxPickup(AgentSettings settings, ManifestSigner signingKeys, HeldFiles heldFiles) {
        this.settings = settings;
        this.heldFiles = heldFiles;
        this.served = Set.copyOf(settings.municipalities());
        this.signingKeys = signingKeys;
        this.checker = new InterfaceFileChecker(settings.interfaceKinds());
        LOG.info("Interface kind catalogue loaded: {}", settings.interfaceKinds());
    }

    /**
     * Accepts a file once it has not been modified for the quiet period (in quiet-period mode), and never a file whose
     * name the file system gave with bytes that are not valid UTF-8, because such a file can be neither read nor moved
     * by that name; it is reported once instead.
     */
    GenericFileFilter<File> outboxFilter() {
        return file -> {
            if (file.isDirectory()) {
                return true;
            }
            if (!unmovable.isMovable(file.getAbsoluteFilePath())) {
                return false;
            }
            String folder = new File(file.getParent()).getName();
            if (MunicipalityCode.isValid(folder) && removed.contains(MunicipalityCode.of(folder))) {
                return false;
            }
            long quietMillis = System.currentTimeMillis() - file.getLastModified();
            // Camel reads a backslash as a path separator and could not move the file, so it is rejected here.
            if (file.getFile().getName().indexOf('\\') >= 0) {
                Path real = file.getFile().toPath().toAbsolutePath();
                if (quietMillis >= Math.max(settings.quietPeriodMillis(), BACKSLASH_QUIET_MILLIS)) {
                    rejectBackslashName(real, real.getParent().getFileName().toString());
                }
                return false;
            }
            return settings.doneMarkerPickup() || quietMillis >= settings.quietPeriodMillis();
        };
    }

    /**
     * Takes the outboxes of exactly these municipalities from now on. Files in the outbox of a removed municipality
     * stay there untouched.
     */
    void serve(Set<MunicipalityCode> codes) {
        for (MunicipalityCode code : served) {
            if (!codes.contains(code)) {
                removed.add(code);
            }
        }
        removed.removeAll(codes);
        served = Set.copyOf(codes);
    }

    /** Determines the municipality from the folder and the move target for success. */
    void identify(Exchange exchange) throws InterfaceFileRejectedException, IOException {
        Path file = ((File) exchange.getMessage().getBody(GenericFile.class).getFile()).toPath().toAbsolutePath();
        String folder = file.getParent().getFileName().toString();
        String stamped = fitted(ZonedDateTime.now(TOKYO).format(STAMP) + "_" + safeName(file.getFileName().toString()));
        exchange.setProperty(FILE, file);
        exchange.setProperty(ERROR_TARGET, settings.errorRoot().resolve(safeFolder(folder)).resolve(stamped));
        if (!MunicipalityCode.isValid(folder) || !served.contains(MunicipalityCode.of(folder))) {
            throw new InterfaceFileRejectedException(
                    "フォルダ「" + folder + "」はこのエージェントが扱う団体コードではありません。",
                    "folder '" + folder + "' is not the code of a municipality this agent serves; put files into"
                            + " outbox/<code>/ of one of " + new java.util.TreeSet<>(served));
        }
        MunicipalityCode code = MunicipalityCode.of(folder);
        exchange.setProperty(CODE, code);
        if (Files.isSymbolicLink(file) || Files.isSymbolicLink(file.getParent())) {
            throw new InterfaceFileRejectedException(
                    "シンボリックリンクは送れません。実ファイルを置いてください。",
                    "symbolic links are refused; put the real file into the outbox");
        }
        if (Files.notExists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new NoSuchFileException(file.toString());
        }
        // Reading a named pipe would block this thread until something writes into it.
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new InterfaceFileRejectedException(
                    "通常のファイルではありません（名前付きパイプなど）。通常のファイルを置いてください。",
                    "not a regular file (a named pipe or a device, for example); put a regular file into the outbox");
        }
        exchange.getMessage().setHeader(TARGET_HEADER, settings.sent(code).resolve(stamped).toString());
    }

    /** Checks the name and records, then puts the manifest in the body for signing. */
    void checkAndDescribe(Exchange exchange) throws InterfaceFileRejectedException, IOException {
        MunicipalityCode code = exchange.getProperty(CODE, MunicipalityCode.class);
        Path file = exchange.getProperty(FILE, Path.class);
        InterfaceFileName name = InterfaceFileName.parse(file.getFileName().toString(), code);
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String sha256 = checkAndDigest(file, name, attributes.size());
        String fileId = FileIds.derive(code, name.name(), attributes.size(), attributes.lastModifiedTime().toMillis(),
                FileIds.dropIdentity(file), sha256);
        ManifestSigner.SigningKey signingKey = signingKeys.current(code);
        FileManifest manifest = new FileManifest(fileId, code.value(), name.name(), attributes.size(), sha256,
                name.kind(), ZonedDateTime.now(TOKYO).toOffsetDateTime().toString(), signingKey.keyId());
        exchange.setProperty(MANIFEST, manifest);
        exchange.setProperty(ATTRIBUTES, attributes);
        Path confirmation = heldFiles.confirmation(code, name.name(), sha256);
        if (confirmation != null) {
            exchange.setProperty(CONFIRMATION, confirmation);
        }
        exchange.getMessage().setBody(manifest.toJson());
        exchange.getMessage().setHeader(DigitalSignatureConstants.SIGNATURE_PRIVATE_KEY, signingKey.privateKey());
    }

    /** Moves a quiet file whose name contains a backslash into the error folder, with its reason. */
    private void rejectBackslashName(Path file, String folder) {
        Path target = settings.errorRoot().resolve(safeFolder(folder)).resolve(fitted(ZonedDateTime.now(TOKYO)
                .format(STAMP) + "_" + safeName(file.getFileName().toString())));
        try {
            AtomicFiles.createDirectories(target.getParent());
            Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
            Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".done"));
            writeReason(file, target, "ファイル名に「\\」は使えません。名前を変えて置き直してください。 / the file name holds a"
                    + " backslash, which is not allowed; rename the file and put it into the outbox again");
        } catch (IOException e) {
            LOG.warn("File with a backslash in its name could not be moved to the error folder, trying again:"
                    + " file={} error={}", InterfaceFileName.printable(file.toString()), e.toString());
        }
    }

    /** Logs a file that was removed from the outbox while it was being taken; nothing of it was queued. */
    void removed(Exchange exchange) {
        Path file = exchange.getProperty(FILE, Path.class);
        Exception cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        LOG.warn("File removed from the outbox while it was being taken, nothing was sent: municipality={} file={}",
                file == null ? "unknown" : InterfaceFileName.printable(file.getParent().getFileName().toString()),
                file == null ? cause.getMessage() : InterfaceFileName.printable(file.getFileName().toString()));
    }

    /** Writes the reason beside the refused file's new place in the error folder. */
    void refuse(Exchange exchange) throws IOException {
        Exception cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        Path target = exchange.getProperty(ERROR_TARGET, Path.class);
        exchange.getMessage().setHeader(TARGET_HEADER, target.toString());
        Path file = exchange.getProperty(FILE, Path.class);
        AtomicFiles.createDirectories(target.getParent());
        writeReason(file, target, cause.getMessage());
    }

    private static void writeReason(Path file, Path target, String reason) throws IOException {
        String text = "file: " + InterfaceFileName.printable(file.getFileName().toString()) + "\n"
                + "refused at: " + ZonedDateTime.now(TOKYO).toOffsetDateTime() + "\n"
                + "reason: " + reason + "\n";
        AtomicFiles.writeAtomically(target.resolveSibling(target.getFileName() + ".reason"),
                text.getBytes(StandardCharsets.UTF_8));
        LOG.warn("File refused: municipality={} file={} movedTo={} reason={}",
                InterfaceFileName.printable(file.getParent().getFileName().toString()),
                InterfaceFileName.printable(file.getFileName().toString()), InterfaceFileName.printable(target.toString()),
                reason);
    }

    /**
     * Checks the records and returns the file's SHA-256. A file of at least {@link #PARALLEL_DIGEST_BYTES} is digested
     * on another thread during the check, and the digest stops when the check rejects the file.
     */
    private String checkAndDigest(Path file, InterfaceFileName name, long size)
            throws IOException, InterfaceFileRejectedException {
        if (size < PARALLEL_DIGEST_BYTES) {
            checker.check(file, name);
            return sha256(file);
        }
        AtomicBoolean rejected = new AtomicBoolean();
        CompletableFuture<String> digest = CompletableFuture.supplyAsync(() -> {
            try {
                return sha256(file, rejected::get);
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        }, digests);
        try {
            checker.check(file, name);
        } catch (IOException | InterfaceFileRejectedException | RuntimeException e) {
            rejected.set(true);
            throw e;
        }
        try {
            return digest.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e;
        }
    }

    static String sha256(Path file) throws IOException {
        return sha256(file, () -> false);
    }

    /** Returns the file's SHA-256, or stops with an IOException once {@code stop} returns true. */
    private static String sha256(Path file, BooleanSupplier stop) throws IOException {
        MessageDigest digest = FileIds.sha256();
        byte[] buffer = new byte[256 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                if (stop.getAsBoolean()) {
                    throw new IOException("digest of " + file + " stopped because the file was rejected");
                }
                digest.update(buffer, 0, read);
            }
        }
        return FileIds.hex(digest.digest());
    }

    static String fitted(String name) {
        return SafeFileNames.fitted(name);
    }

    static String safeName(String name) {
        return SafeFileNames.safeName(name);
    }

    private static String safeFolder(String folder) {
        return folder.matches("[0-9]{6}") ? folder : "unknown";
    }
}
