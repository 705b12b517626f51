package jp.kouiki.window.central;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.regex.Pattern;
import java.util.Arrays;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Tells the union's batch jobs about files delivered into {@code union/inbound/<code>/}, as configured: a
 * {@code <name>.done} marker beside each file once it is in place, holding its SHA-256 and name in the form of
 * {@code sha256sum}, and one line per file in {@code union/manifests/<yyyyMMdd>/<kind>.csv} (UTF-8, CRLF) for the
 * delivery date in Asia/Tokyo. A delivery finished again after a crash adds no second line.
 */
final class InboundReports {

    private static final Logger LOG = LoggerFactory.getLogger(InboundReports.class);

    /** A file now in place in the union's inbound folder. */
    record DeliveredFile(MunicipalityCode code, String fileId, String fileName, long size, String sha256,
            String kind) {
    }

    static final String MANIFEST_HEADER = "municipality,file_name,size_bytes,sha256,delivered_at,file_id";

    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");
    private static final Pattern KIND = Pattern.compile("[A-Z0-9]{1,40}");

    private final CentralSettings settings;

    InboundReports(CentralSettings settings) {
        this.settings = settings;
    }

    /**
     * Reports a delivered file.
     *
     * @param recovered true when the file may have been reported before a crash, so the day's list is searched for
     *                  its file id first
     */
    synchronized void delivered(DeliveredFile file, boolean recovered) throws IOException {
        if (file.sha256() == null) {
            // Recorded as waiting by a version that kept no digest; there is nothing true to report.
            return;
        }
        if (settings.downloads().inboundDoneMarkers()) {
            writeDoneMarker(file);
        }
        if (settings.downloads().dailyManifests()) {
            appendToManifest(file, recovered);
        }
    }

    private void writeDoneMarker(DeliveredFile file) throws IOException {
        Path target = settings.inbound(file.code()).resolve(file.fileName());
        Path marker = target.resolveSibling(file.fileName() + ".done");
        // After a crash the union may already have taken the file; a marker without its file would mislead it.
        if (!Files.exists(target)) {
            return;
        }
        byte[] content = (file.sha256() + "  " + file.fileName() + "\n").getBytes(StandardCharsets.UTF_8);
        if (Files.exists(marker)) {
            if (Arrays.equals(Files.readAllBytes(marker), content)) {
                return;
            }
            // The delivered file took a free name, so a marker already there belongs to an earlier file of that name.
            LOG.warn("Done marker replaced, it named another file: municipality={} file={} fileId={}", file.code(),
                    file.fileName(), file.fileId());
        }
        AtomicFiles.writeAtomically(marker, content);
    }

    private void appendToManifest(DeliveredFile file, boolean recovered) throws IOException {
        ZonedDateTime now = ZonedDateTime.now(TOKYO);
        Path folder = AtomicFiles.createDirectories(settings.manifests().resolve(now.format(DAY)));
        Path list = folder.resolve(kindName(file.kind()) + ".csv");
        if (recovered && listed(list, file.fileId())) {
            return;
        }
        String line = file.code() + "," + csv(file.fileName()) + "," + file.size() + "," + file.sha256() + ","
                + now.toOffsetDateTime() + "," + file.fileId() + "\r\n";
        try (FileChannel channel = FileChannel.open(list, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            StringBuilder text = new StringBuilder();
            long size = channel.size();
            if (size == 0) {
                text.append(MANIFEST_HEADER).append("\r\n");
            } else if (!endsWithLineEnd(list, size)) {
                // A line cut off by a crash: end it, so the new line stays whole.
                text.append("\r\n");
            }
            text.append(line);
            channel.position(size);
            ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(true);
        }
        AtomicFiles.fsyncDirectory(folder);
    }

    private static String kindName(String kind) {
        return kind != null && KIND.matcher(kind).matches() ? kind : "UNKNOWN";
    }

    private static boolean listed(Path list, String fileId) throws IOException {
        if (!Files.exists(list)) {
            return false;
        }
        try (Stream<String> lines = Files.lines(list, StandardCharsets.UTF_8)) {
            return lines.anyMatch(line -> line.endsWith("," + fileId));
        }
    }

    private static boolean endsWithLineEnd(Path list, long size) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(list.toFile(), "r")) {
            file.seek(size - 1);
            return file.read() == '\n';
        }
    }

    /** Quotes a CSV field when it contains a comma, a quote or a line end (RFC 4180). */
    static String csv(String value) {
        if (value.indexOf(',') < 0 && value.indexOf('"') < 0 && value.indexOf('\r') < 0 && value.indexOf('\n') < 0) {
            return value;
        }
        return "\"" + value.replace("\"", "\"\"") + "\"";
    }
}
