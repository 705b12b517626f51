package jp.kouiki.window.central;

import java.io.File;
import java.io.IOException;
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
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.apache.camel.Exchange;
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
import jp.kouiki.window.security.ManifestSignatures;
import jp.kouiki.window.transfer.DownloadManifest;
import jp.kouiki.window.transfer.FileIds;

/**
 * The outbound route's steps: find out which municipality a file in {@code union/outbound/} goes to (or that it goes
 * to all of them), check its name and records against each destination, sign a download manifest per destination
 * with the union's key and queue one encrypted copy per destination.
 *
 * <p>A file in {@code outbound/<code>/} must be named like every interface file, starting with the destination's code
 * and an underscore. A file in {@code outbound/all/} must not start with a code; each municipality receives it as
 * {@code <code>_<name>}, so that every file in an inbox names its municipality, and its records are checked against
 * each destination, so a POSTAL file with one municipality's records cannot be broadcast.
 */
final class OutboundPickup {

    static final String TARGET_HEADER = "WindowMoveTarget";
    static final String FILTER_BEAN = "outboundFilter";

    private static final String FILE = "WindowFile";
    private static final String FOLDER = "WindowFolder";
    private static final String ERROR_TARGET = "WindowErrorTarget";
    private static final Logger LOG = LoggerFactory.getLogger(OutboundPickup.class);
    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");
    private static final Pattern CODE_PREFIX = Pattern.compile("[0-9]{6}_.*");

    private final CentralSettings settings;
    private final MunicipalityRoster roster;
    private final PrivateKey unionSigningKey;
    private final DownloadQueueWriter writer;
    private final InterfaceFileChecker checker;
    /** Files in union/outbound/ that a release schedule holds, so that each is logged once when held and released. */
    private final Set<Path> heldBySchedule = ConcurrentHashMap.newKeySet();
    private final UnmovableEntries unmovable = new UnmovableEntries("outbound folder");

    OutboundPickup(CentralSettings settings, MunicipalityRoster roster, PrivateKey unionSigningKey,
            DownloadQueueWriter writer) {
        this.settings = settings;
        this.roster = roster;
        this.unionSigningKey = unionSigningKey;
        this.writer = writer;
        this.checker = new InterfaceFileChecker(settings.interfaceKinds());
    }

    /**
     * Accepts a file once it has not been modified for the quiet period, in quiet-period mode, and while no release
     * schedule holds it.
     */
    GenericFileFilter<File> outboundFilter() {
        return file -> file.isDirectory() || unmovable.isMovable(file.getAbsoluteFilePath())
                && (settings.downloads().doneMarkerPickup()
                        || System.currentTimeMillis() - file.getLastModified() >= settings.downloads()
                                .quietPeriodMillis())
                && released(file.getFile().toPath());
    }

    /** Returns whether no release schedule holds the file now, and logs once when one starts or stops holding it. */
    private boolean released(Path file) {
        String folder = file.getParent().getFileName().toString();
        String name = file.getFileName().toString();
        String waiting = settings.downloads().releaseSchedules().waitingReason(folder, name);
        if (waiting == null) {
            if (heldBySchedule.remove(file)) {
                LOG.info("Outbound file released by its schedule: folder={} file={}",
                        InterfaceFileName.printable(folder), InterfaceFileName.printable(name));
            }
            return true;
        }
        if (heldBySchedule.add(file)) {
            LOG.info("Outbound file waits for its release schedule: folder={} file={} reason={}",
                    InterfaceFileName.printable(folder), InterfaceFileName.printable(name), waiting);
        }
        return false;
    }

    /** Determines the destination folder and the move targets for success and refusal. */
    void identify(Exchange exchange) throws InterfaceFileRejectedException {
        Path file = ((File) exchange.getMessage().getBody(GenericFile.class).getFile()).toPath().toAbsolutePath();
        String folder = file.getParent().getFileName().toString();
        String safeFolder = folder.equals(CentralSettings.BROADCAST_FOLDER) || folder.matches("[0-9]{6}")
                ? folder : "unknown";
        String stamped = SafeFileNames.fitted(ZonedDateTime.now(TOKYO).format(STAMP) + "_"
                + SafeFileNames.safeName(file.getFileName().toString()));
        exchange.setProperty(FILE, file);
        exchange.setProperty(FOLDER, folder);
        exchange.setProperty(ERROR_TARGET, settings.outboundError(safeFolder).resolve(stamped));
        if (!folder.equals(CentralSettings.BROADCAST_FOLDER)
                && (!MunicipalityCode.isValid(folder) || !roster.isServed(MunicipalityCode.of(folder)))) {
            throw new InterfaceFileRejectedException(
                    "フォルダ「" + folder + "」はこの窓口サーバが扱う団体コードでも all でもありません。",
                    "folder '" + folder + "' is neither the code of a municipality this server serves nor "
                            + CentralSettings.BROADCAST_FOLDER + "; put files into union/outbound/<code>/ or"
                            + " union/outbound/" + CentralSettings.BROADCAST_FOLDER + "/");
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
        exchange.getMessage().setHeader(TARGET_HEADER, settings.outboundSent(folder).resolve(stamped).toString());
    }

    /** Checks the file against every destination, then queues one signed, encrypted copy per destination. */
    void checkAndQueue(Exchange exchange) throws Exception {
        Path file = exchange.getProperty(FILE, Path.class);
        String folder = exchange.getProperty(FOLDER, String.class);
        String name = file.getFileName().toString();
        boolean broadcast = folder.equals(CentralSettings.BROADCAST_FOLDER);
        List<InterfaceFileName> destinations = broadcast ? broadcastNames(name)
                : List.of(InterfaceFileName.parseForRecipient(name, MunicipalityCode.of(folder)));
        if (checker.catalogue().find(destinations.get(0).kind()).isEmpty()) {
            // Records of a kind outside the catalogue are not checked, so one look (and one warning) is enough.
            checker.check(file, destinations.get(0));
        } else {
            for (InterfaceFileName destination : destinations) {
                checker.check(file, destination);
            }
        }
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String sha256 = sha256(file);
        String dropIdentity = FileIds.dropIdentity(file);
        String queuedAt = ZonedDateTime.now(TOKYO).toOffsetDateTime().toString();
        List<DownloadQueueWriter.Signed> downloads = new ArrayList<>();
        for (InterfaceFileName destination : destinations) {
            String fileId = FileIds.derive(destination.code(), destination.name(), attributes.size(),
                    attributes.lastModifiedTime().toMillis(), "download;" + dropIdentity, sha256);
            DownloadManifest manifest = DownloadManifest.of(fileId, destination.code(), destination.name(),
                    attributes.size(), sha256, destination.kind(), broadcast, queuedAt);
            byte[] json = manifest.toJson();
            downloads.add(new DownloadQueueWriter.Signed(manifest, json, ManifestSignatures.sign(json,
                    unionSigningKey)));
        }
        writer.queueAll(file, downloads);
    }

    /** Returns each served municipality's name for a broadcast file, checked as that municipality's file name. */
    private List<InterfaceFileName> broadcastNames(String name) throws InterfaceFileRejectedException {
        if (CODE_PREFIX.matcher(name).matches()) {
            throw new InterfaceFileRejectedException(
                    "全団体向けフォルダ all のファイル名「" + InterfaceFileName.printable(name)
                            + "」が団体コードで始まっています。1団体向けなら outbound/<団体コード>/ に置いてください。"
                            + "全団体向けなら団体コードを付けずに置くと、各団体には「団体コード_名前」で届きます。",
                    "file name '" + InterfaceFileName.printable(name) + "' in the folder for all municipalities"
                            + " starts with a municipality code; put a file for one municipality into"
                            + " union/outbound/<code>/, or name a file for all without a code, as each municipality"
                            + " receives it as <code>_<name>");
        }
        List<InterfaceFileName> names = new ArrayList<>();
        for (MunicipalityCode code : roster.served()) {
            names.add(InterfaceFileName.parse(code + "_" + name, code));
        }
        return names;
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

    private static String sha256(Path file) throws IOException {
        MessageDigest digest = FileIds.sha256();
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return FileIds.hex(digest.digest());
    }
}
