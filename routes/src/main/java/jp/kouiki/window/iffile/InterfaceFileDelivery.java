package jp.kouiki.window.iffile;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.transfer.FileIds;

/**
 * The central server's last step before a decrypted file becomes visible to the union: checks it and, when its IF
 * kind declares a conversion, replaces the staged file by the converted one. The signed manifest's SHA-256 stays
 * that of the file as sent. A report beside the union's folder records the delivered file's size and SHA-256, the
 * conversion and every replaced character, and notes a kind that was not checked.
 */
public final class InterfaceFileDelivery {

    private static final Logger LOG = LoggerFactory.getLogger(InterfaceFileDelivery.class);

    private final InterfaceFileChecker checker;

    public InterfaceFileDelivery(InterfaceFileChecker checker) {
        this.checker = checker;
    }

    /**
     * Prepares the staged file {@code part} for delivery, leaving it as the union must receive it.
     *
     * @param originalSha256 SHA-256 of the file as sent, from the signed manifest
     * @param reportFolder   where a report is written when there is something to report
     * @return the report file, or null when the file was checked and is delivered unchanged
     */
    public Path prepare(Path part, InterfaceFileName name, String fileId, String originalSha256, Path reportFolder)
            throws IOException, InterfaceFileRejectedException {
        InterfaceKind kind = checker.catalogue().find(name.kind()).orElse(null);
        if (kind == null) {
            checker.inspect(part, name);
            return writeReport(reportFolder, name, fileId, unknownKindReport(part, name, fileId, originalSha256),
                    null);
        }
        if (!kind.converts()) {
            checker.inspect(part, name);
            return null;
        }
        return convert(kind, part, name, fileId, originalSha256, reportFolder);
    }

    private Path convert(InterfaceKind kind, Path part, InterfaceFileName name, String fileId, String originalSha256,
            Path reportFolder) throws IOException, InterfaceFileRejectedException {
        // NOTE: a JVM killed during conversion leaves these two files in .part/; a redelivery of the same file id
        // overwrites and then deletes them, but a file that is never redelivered leaves them behind.
        Path converted = part.resolveSibling(fileId + ".converted");
        Path replacementList = part.resolveSibling(fileId + ".replacements");
        MessageDigest digest = FileIds.sha256();
        long originalSize = Files.size(part);
        InterfaceFileReport report;
        try {
            try (OutputStream out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(converted),
                    64 * 1024), digest);
                    Writer replacements = Files.newBufferedWriter(replacementList, StandardCharsets.UTF_8)) {
                report = checker.convert(kind, part, name, out, replacements);
            }
            AtomicFiles.fsync(converted);
            Files.move(converted, part, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            String sha256 = HexFormat.of().formatHex(digest.digest());
            String summary = conversionReport(kind, name, fileId, originalSize, originalSha256, Files.size(part),
                    sha256, report);
            Path written = writeReport(reportFolder, name, fileId, summary, replacementList);
            LOG.info("File converted for delivery: municipality={} file={} fileId={} kind={} from={} to={}"
                    + " replacements={} sha256={} report={}", name.code(), InterfaceFileName.printable(name.name()),
                    fileId, kind.id(), kind.charset().configName(), kind.convertTo().configName(),
                    report.gaijiCount(), sha256, written);
            return written;
        } finally {
            Files.deleteIfExists(converted);
            Files.deleteIfExists(replacementList);
        }
    }

    private static String conversionReport(InterfaceKind kind, InterfaceFileName name, String fileId, long originalSize,
            String originalSha256, long size, String sha256, InterfaceFileReport report) {
        return header(name, fileId)
                + "IF 種別 / kind: " + kind.id() + "\n"
                + "受信（送信元のまま） / received as sent: " + originalSize + " bytes, " + kind.charset().configName()
                + ", sha256 " + originalSha256 + " (signed manifest)\n"
                + "配信（変換後） / delivered: " + size + " bytes, " + kind.convertTo().configName() + ", sha256 "
                + sha256 + "\n"
                + "レコード数 / records: " + report.records() + " (data records: " + report.dataRecords() + ")\n"
                + "外字の扱い / gaiji policy: " + kind.gaijiPolicy().name().toLowerCase(java.util.Locale.ROOT)
                + ", replacement " + GaijiFinding.codePoints(kind.replacement()) + "\n"
                + "置換した文字 / replaced characters: " + report.gaijiCount() + "\n"
                + (report.gaijiCount() == 0 ? "" : "\n行 / line\t列 / column\t行内バイト / record byte\t元の文字 / original"
                        + "\t置換後 / replacement\n");
    }

    private static String unknownKindReport(Path part, InterfaceFileName name, String fileId, String originalSha256)
            throws IOException {
        return header(name, fileId)
                + "IF 種別 / kind: " + name.kind() + "\n"
                + "配信 / delivered: " + Files.size(part) + " bytes unchanged, sha256 " + originalSha256 + "\n"
                + "注記 / note: IF 種別 " + name.kind() + " はカタログにないため、レコードを検査せずそのまま配信しました。"
                + " / IF kind " + name.kind() + " is not in the interface kind catalogue, so its records were not"
                + " checked and the file was delivered unchanged.\n";
    }

    private static String header(InterfaceFileName name, String fileId) {
        return "ファイル / file: " + name.name() + "\n"
                + "ファイル ID / fileId: " + fileId + "\n"
                + "団体コード / municipality: " + name.code() + "\n";
    }

    /** Writes the report under a temporary name, appends the replacement list when given, and renames it into place. */
    private static Path writeReport(Path folder, InterfaceFileName name, String fileId, String summary,
            Path replacementList) throws IOException {
        AtomicFiles.createDirectories(folder);
        Path target = folder.resolve(name.name() + "." + fileId + ".report");
        Path temporary = folder.resolve(".tmp-" + fileId + ".report");
        try (OutputStream out = Files.newOutputStream(temporary)) {
            out.write(summary.getBytes(StandardCharsets.UTF_8));
            if (replacementList != null) {
                try (InputStream list = Files.newInputStream(replacementList)) {
                    list.transferTo(out);
                }
            }
        }
        AtomicFiles.fsync(temporary);
        Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        AtomicFiles.fsyncDirectory(folder);
        return target;
    }
}
