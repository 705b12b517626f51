package jp.kouiki.window.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.calendar.JapaneseCalendar;
import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.pacing.BandwidthLimiter;

/**
 * Writes the agent's status file, {@code status.txt} in its data folder, in Japanese with English beside it: the
 * rate in force, and for each municipality with queued files their number and bytes, the files held by a schedule
 * with its next opening, and the expected completion, then receipts and the downloads waiting for their name in the
 * inbox. When the bulk files cannot be sent by the configured deadline, it logs a warning at once and every 15
 * minutes while that stays so.
 */
final class StatusReport {

    static final String FILE_NAME = "status.txt";

    private static final Logger LOG = LoggerFactory.getLogger(StatusReport.class);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm", Locale.ROOT);
    private static final long WARN_REPEAT_MINUTES = 15;
    /** Receipts listed per municipality, newest first. */
    private static final int RECENT_RECEIPTS = 10;

    private final AgentSettings settings;
    private final QueueInspector queues;
    private final UploadForwarder uploads;
    private final ScheduleGate schedules;
    private final BandwidthLimiter limiter;
    private final Clock clock;
    private final BacklogEstimator estimator;
    /** The municipalities served now, which a reload of {@code agent.municipalities} may change. */
    private final Supplier<List<MunicipalityCode>> served;
    private ZonedDateTime lastDeadlineWarning;
    private java.util.function.Supplier<String> versionRejection = () -> null;

    StatusReport(AgentSettings settings, Supplier<List<MunicipalityCode>> served, QueueInspector queues,
            UploadForwarder uploads, ScheduleGate schedules, BandwidthLimiter limiter, Clock clock) {
        this.settings = settings;
        this.served = served;
        this.queues = queues;
        this.uploads = uploads;
        this.schedules = schedules;
        this.limiter = limiter;
        this.clock = clock;
        this.estimator = new BacklogEstimator(settings.pacing().windows(), settings.pacing().estimateRate(),
                schedules::isOpenAt);
    }

    /** Sets where the central server's latest rejection of this agent's version comes from. */
    void showVersionRejection(java.util.function.Supplier<String> refusal) {
        this.versionRejection = refusal;
    }

    Path file() {
        return settings.dataDirectory().resolve(FILE_NAME);
    }

    /** Writes the status file and checks the bulk deadline; logs and goes on when that fails. */
    void update() {
        try {
            AtomicFiles.writeAtomically(file(), render().getBytes(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            LOG.warn("Status file could not be written, trying again at the next interval: file={} error={}", file(),
                    e.toString());
        }
    }

    String render() {
        ZonedDateTime now = ZonedDateTime.now(clock.withZone(JapaneseCalendar.TOKYO));
        Map<MunicipalityCode, List<BacklogEstimator.Item>> queued = queuedItems();
        Map<MunicipalityCode, BacklogEstimator.Completion> completions = estimator.estimate(queued, now);
        StringBuilder text = new StringBuilder();
        text.append("状態 / status at ").append(TIME.format(now)).append(" (Asia/Tokyo)\n");
        text.append("現在の帯域上限 / rate cap now: ").append(limiter.currentRate()).append('\n');
        text.append("バージョン / version: ").append(CentralClient.VERSION).append("  設定ダイジェスト / config digest: ")
                .append(settings.configDigest()).append('\n');
        String refusal = versionRejection.get();
        if (refusal != null) {
            text.append("中央の窓口サーバがこのエージェントのバージョンを受け付けません。ファイルは送信待ちのまま保持されます。"
                    + " / The central window server does not accept this agent's version, so files stay queued: ")
                    .append(refusal).append('\n');
        }
        if (queued.isEmpty()) {
            text.append("送信待ちのファイルはありません / no files queued\n");
        }
        queued.forEach((code, items) -> appendMunicipality(text, code, items, completions.get(code), now));
        appendSending(text);
        checkDeadline(text, completions, now);
        for (MunicipalityCode code : served.get()) {
            appendReceipts(text, code);
            appendWaitingDownloads(text, code);
        }
        return text.toString();
    }

    /**
     * Lists how many uploaded files still wait for word of their delivery, and the latest receipts, so that municipal
     * staff can tell from this file whether a file arrived.
     */
    private void appendReceipts(StringBuilder text, MunicipalityCode code) {
        try {
            long awaiting = countFiles(settings.dataDirectory().resolve("receipts").resolve(code.value()), "");
            List<Path> receipts = new ArrayList<>();
            Path sent = settings.sent(code);
            if (Files.isDirectory(sent)) {
                try (Stream<Path> files = Files.list(sent)) {
                    receipts.addAll(files.filter(file -> file.getFileName().toString().endsWith(".receipt")).toList());
                }
            }
            if (awaiting == 0 && receipts.isEmpty()) {
                return;
            }
            receipts.sort(Comparator.comparing(StatusReport::modified).reversed());
            text.append(code).append(": 配信確認待ち ").append(awaiting).append(" 件 / awaiting delivery receipt: ")
                    .append(awaiting).append(" files\n");
            for (Path receipt : receipts.subList(0, Math.min(RECENT_RECEIPTS, receipts.size()))) {
                List<String> lines = Files.readAllLines(receipt, StandardCharsets.UTF_8);
                String name = receipt.getFileName().toString();
                text.append("    ").append(name, 0, name.length() - ".receipt".length()).append(": ")
                        .append(lines.size() > 1 ? lines.get(1) : "").append('\n');
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            text.append(code).append(": 配信確認を読めません / receipts could not be read: ").append(e.getMessage())
                    .append('\n');
        }
    }

    /**
     * Lists the downloads that wait because a file of the same name is still in the inbox, from the reasons the inbox
     * writer keeps in {@code waiting/<code>/}, so that staff see which inbox file to take.
     */
    private void appendWaitingDownloads(StringBuilder text, MunicipalityCode code) {
        Path folder = settings.waiting(code);
        if (!Files.isDirectory(folder)) {
            return;
        }
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> reasons = files.filter(file -> file.getFileName().toString().endsWith(".reason")).sorted()
                    .toList();
            for (Path reason : reasons) {
                List<String> lines = Files.readAllLines(reason, StandardCharsets.UTF_8);
                String name = lines.stream().filter(line -> line.startsWith("file: ")).findFirst()
                        .map(line -> line.substring("file: ".length())).orElse(reason.getFileName().toString());
                long count = lines.stream().filter(line -> line.startsWith("fileId: ")).count();
                text.append(code).append(": 受信待ち ").append(name).append(' ').append(count)
                        .append(" 件（受信フォルダの同名ファイルを取り出すと置かれます） / waiting downloads of ")
                        .append(name).append(": ").append(count).append(", placed once the file of that name is taken"
                        + " from inbox/").append(code).append("/\n");
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            text.append(code).append(": 受信待ちを読めません / waiting downloads could not be read: ")
                    .append(e.getMessage()).append('\n');
        }
    }

    /** Lists each upload in progress with bytes sent of the total, the rate and the time left. */
    private void appendSending(StringBuilder text) {
        uploads.inFlight().entrySet().stream()
                .sorted(Map.Entry.comparingByKey(Comparator.comparing(MunicipalityCode::value)))
                .forEach(entry -> {
                    UploadProgress.Figures figures = entry.getValue().progress();
                    String japanese = String.format(Locale.ROOT, "%.1f MB / %.1f MB（%d %%）", figures.sent() / 1e6,
                            figures.total() / 1e6, figures.percent());
                    text.append(entry.getKey()).append(": 送信中 ").append(entry.getValue().fileName()).append(' ')
                            .append(japanese).append(" / sending ").append(entry.getValue().fileName()).append(": ")
                            .append(figures.describe()).append('\n');
                });
    }

    private static long countFiles(Path folder, String suffix) throws IOException {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(file -> !file.getFileName().toString().startsWith(".")
                    && file.getFileName().toString().endsWith(suffix)).count();
        }
    }

    private static java.nio.file.attribute.FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return java.nio.file.attribute.FileTime.fromMillis(0);
        }
    }

    private Map<MunicipalityCode, List<BacklogEstimator.Item>> queuedItems() {
        Map<MunicipalityCode, List<BacklogEstimator.Item>> queued = new TreeMap<>(
                java.util.Comparator.comparing(MunicipalityCode::value));
        Map<MunicipalityCode, UploadForwarder.InFlight> sending = uploads.inFlight();
        for (MunicipalityCode code : settings.municipalities()) {
            List<BacklogEstimator.Item> items = new ArrayList<>();
            UploadForwarder.InFlight current = sending.get(code);
            if (current != null) {
                items.add(new BacklogEstimator.Item(Math.max(0, current.size() - current.sent()),
                        current.priorityClass(), current.schedule()));
            }
            for (QueueInspector.Waiting waiting : queues.waiting(code)) {
                items.add(new BacklogEstimator.Item(waiting.size(), waiting.priorityClass(), waiting.schedule()));
            }
            if (!items.isEmpty()) {
                queued.put(code, items);
            }
        }
        return queued;
    }

    private void appendMunicipality(StringBuilder text, MunicipalityCode code, List<BacklogEstimator.Item> items,
            BacklogEstimator.Completion completion, ZonedDateTime now) {
        long bytes = items.stream().mapToLong(BacklogEstimator.Item::bytes).sum();
        long bulk = items.stream().filter(item -> item.priorityClass() == PriorityClass.BULK).count();
        String expected = completion == null || completion.all() == null
                ? "8 日以内に完了しない見込み / not expected within 8 days"
                : "完了見込み " + TIME.format(completion.all()) + " / expected complete " + TIME.format(completion.all());
        text.append(code).append(": 送信待ち ").append(items.size()).append(" 件 ").append(size(bytes))
                .append("（一括 ").append(bulk).append(" 件）、").append(expected)
                .append(" / queued ").append(items.size()).append(" files ").append(size(bytes)).append(" for ")
                .append(code).append(" (bulk ").append(bulk).append(")\n");
        Map<String, Integer> held = new LinkedHashMap<>();
        for (BacklogEstimator.Item item : items) {
            if (item.schedule() != null && !schedules.isOpenAt(item.schedule(), now)) {
                held.merge(item.schedule(), 1, Integer::sum);
            }
        }
        held.forEach((schedule, count) -> {
            ZonedDateTime opens = schedules.nextOpening(schedule, now);
            String at = opens == null ? "未定 / unknown" : TIME.format(opens);
            text.append("    スケジュール ").append(schedule).append(" 待ち ").append(count).append(" 件、開始 ")
                    .append(at).append(" / waiting for schedule ").append(schedule).append(": ").append(count)
                    .append(" files, opens ").append(at).append('\n');
        });
    }

    private void checkDeadline(StringBuilder text, Map<MunicipalityCode, BacklogEstimator.Completion> completions,
            ZonedDateTime now) {
        LocalTime deadlineTime = settings.pacing().priority().bulkDeadline();
        if (deadlineTime == null) {
            return;
        }
        ZonedDateTime deadline = now.with(deadlineTime).withSecond(0).withNano(0);
        if (!deadline.isAfter(now)) {
            deadline = deadline.plusDays(1);
        }
        List<String> late = new ArrayList<>();
        for (Map.Entry<MunicipalityCode, BacklogEstimator.Completion> entry : completions.entrySet()) {
            ZonedDateTime bulkDone = entry.getValue().bulk();
            if (bulkDone == null || bulkDone.isAfter(deadline)) {
                late.add(entry.getKey() + "=" + (bulkDone == null ? "beyond 8 days" : TIME.format(bulkDone)));
            }
        }
        if (late.isEmpty()) {
            return;
        }
        text.append("一括ファイルは期限 ").append(TIME.format(deadline)).append(" までに送り終わらない見込みです / bulk files"
                + " will miss the deadline ").append(TIME.format(deadline)).append(": ").append(late).append('\n');
        if (lastDeadlineWarning == null || !now.isBefore(lastDeadlineWarning.plusMinutes(WARN_REPEAT_MINUTES))) {
            lastDeadlineWarning = now;
            LOG.warn("Bulk deadline will be missed at the allowed rates: deadline={} expectedCompletion={}; raise"
                    + " agent.pacing.windows for the hours before the deadline, or move the deadline"
                    + " (agent.priority.bulk-deadline)", TIME.format(deadline), late);
        }
    }

    private static String size(long bytes) {
        if (bytes >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
        }
        if (bytes >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        }
        return String.format(Locale.ROOT, "%.1f KB", bytes / 1e3);
    }
}
