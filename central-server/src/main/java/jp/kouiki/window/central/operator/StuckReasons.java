package jp.kouiki.window.central.operator;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.central.OutboundSchedules;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Explains, for each municipality with waiting files, why they wait and what to do next. Each cause is one plain
 * sentence in Japanese with English beside it, derived from the current state. The causes are an agent whose version
 * is not accepted, a pause, delivery turned off, a file whose name is taken in the union's folder, a dead-lettered file
 * and its reason, a held possible duplicate, an incomplete upload, a silent agent, files simply queued, downloads not
 * yet fetched, or outbound files that a release schedule holds in the union's folder. The most pressing cause comes
 * first. A municipality whose agent's version is not accepted is explained even when nothing waits at the central
 * server, because its files then wait at the agent.
 */
public final class StuckReasons {

    /** One cause: a short key, the sentence in Japanese and in English. */
    public record Reason(String cause, String japanese, String english) {
        public String sentence() {
            return japanese + " / " + english;
        }
    }

    /** A municipality with waiting files: its most pressing sentence, and every cause found. */
    public record Explanation(String code, String name, String sentence, List<Reason> reasons) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(StuckReasons.class);
    /** Files of one kind named in sentences before the rest are counted. */
    private static final int NAMED_FILES = 3;

    /** The union's outbound files for one municipality that a release schedule holds now. */
    @FunctionalInterface
    public interface ScheduledOutbound {
        List<OutboundSchedules.HeldFile> heldFiles(MunicipalityCode code) throws IOException;
    }

    private final OperatorViews views;
    private final Duration agentSilentAlert;
    private final ScheduledOutbound scheduledOutbound;

    public StuckReasons(OperatorViews views, Duration agentSilentAlert) {
        this(views, agentSilentAlert, code -> List.of());
    }

    public StuckReasons(OperatorViews views, Duration agentSilentAlert, ScheduledOutbound scheduledOutbound) {
        this.views = views;
        this.agentSilentAlert = agentSilentAlert;
        this.scheduledOutbound = scheduledOutbound;
    }

    /** Explains every municipality that has waiting files, in code order. */
    public List<Explanation> explainAll() throws SQLException {
        List<Explanation> explanations = new ArrayList<>();
        for (MunicipalityStatus status : views.statuses()) {
            if (status.hasWaitingFiles() || status.agentVersionNotAccepted()
                    || !heldOutbound(MunicipalityCode.of(status.code())).isEmpty()) {
                explanations.add(explain(status));
            }
        }
        return explanations;
    }

    /** Explains one municipality; for a municipality without waiting files the sentence states that none wait. */
    public Explanation explain(MunicipalityStatus status) throws SQLException {
        MunicipalityCode code = MunicipalityCode.of(status.code());
        List<Reason> reasons = new ArrayList<>();
        agentVersionNotAccepted(status, reasons);
        paused(status, reasons);
        deliveryDisabled(status, reasons);
        nameTaken(code, reasons);
        deadLetters(code, reasons);
        held(code, reasons);
        receiving(code, status, reasons);
        agentSilent(status, reasons);
        queued(status, reasons);
        downloads(status, reasons);
        scheduledDownloads(code, reasons);
        if (reasons.isEmpty()) {
            reasons.add(new Reason("none", "待機中のファイルはありません。", "No file is waiting."));
        }
        return new Explanation(status.code(), status.name(), reasons.get(0).sentence(), List.copyOf(reasons));
    }

    private void agentVersionNotAccepted(MunicipalityStatus status, List<Reason> reasons) {
        if (!status.agentVersionNotAccepted()) {
            return;
        }
        String accepted = String.join(", ", views.versions().snapshot().accepted());
        reasons.add(new Reason("agent-version",
                "エージェントのバージョン " + status.agentVersion() + " は受け付けられません（受け付けるバージョン: " + accepted
                        + "）。ファイルはエージェントで待機しています。市区町村側で受け付けるバージョンのエージェントを導入するか、"
                        + "central.accepted-agent-versions を見直してください。",
                "Agent version " + status.agentVersion() + " is not accepted; accepted: " + accepted + ". Its files"
                        + " wait at the agent; install an accepted version at the municipality, or review"
                        + " central.accepted-agent-versions."));
    }

    private static void paused(MunicipalityStatus status, List<Reason> reasons) {
        if (!status.paused()) {
            return;
        }
        Instant at = Times.parse(status.pausedAt());
        String why = status.pauseReason() == null || status.pauseReason().isBlank() ? ""
                : "（理由: " + status.pauseReason() + "）";
        String whyEnglish = status.pauseReason() == null || status.pauseReason().isBlank() ? ""
                : " (reason: " + status.pauseReason() + ")";
        reasons.add(new Reason("paused",
                "操作者 " + status.pausedBy() + " が " + Times.brief(at) + " に配信を一時停止しました" + why + "。"
                        + "resume で再開すると待機中の " + status.uploadMessages() + " 件が配信されます。",
                "Operator " + status.pausedBy() + " paused delivery at " + Times.brief(at) + whyEnglish + "; run"
                        + " resume to let its " + status.uploadMessages() + " waiting files flow."));
    }

    private void deliveryDisabled(MunicipalityStatus status, List<Reason> reasons) {
        if (views.settings().remoteUnionDelivery() && status.uploadMessages() > 0) {
            reasons.add(new Reason("union-agent",
                    status.uploadMessages() + " 件が広域連合のエージェントの取得を待っています（central.union.delivery=remote）。"
                            + "残る場合はエージェントが動いているか確認してください。",
                    status.uploadMessages() + " files wait for the union's agent to fetch them"
                            + " (central.union.delivery=remote); if they stay, check that the union's agent runs and"
                            + " reaches this server."));
            return;
        }
        if (views.settings().deliveryEnabled() || status.uploadMessages() == 0) {
            return;
        }
        reasons.add(new Reason("delivery-disabled",
                "連合フォルダへの配信が無効に設定されています（central.delivery.enabled=false）。"
                        + status.uploadMessages() + " 件がキューで待機中です。true に設定してサーバを再起動してください。",
                "Delivery to the union's folders is turned off (central.delivery.enabled=false), so "
                        + status.uploadMessages() + " files stay queued; set it to true and restart the server."));
    }

    private void nameTaken(MunicipalityCode code, List<Reason> reasons) throws SQLException {
        List<Transfer> waiting = views.waitingForName(code);
        for (Transfer file : named(waiting)) {
            reasons.add(new Reason("name-taken",
                    "ファイル " + file.fileName() + " は同名のファイルが連合フォルダ inbound/" + code + "/ に残っているため"
                            + "待機中です。連合側システムが既存のファイルを取り込むと配信されます。",
                    "File " + file.fileName() + " waits because a file of the same name is still in the union's"
                            + " folder inbound/" + code + "/; it is delivered as soon as the union's system takes the"
                            + " existing file."));
        }
        more(waiting.size(), "name-taken", "同名ファイル待ち", "waiting for their name", reasons);
    }

    private void deadLetters(MunicipalityCode code, List<Reason> reasons) throws SQLException {
        List<BrokerView.QueuedFile> files = views.broker().listDeadLetters(code);
        for (BrokerView.QueuedFile file : files.subList(0, Math.min(NAMED_FILES, files.size()))) {
            Transfer record = file.fileId() == null ? null : views.history().find(code.value(), file.fileId());
            String reason;
            String reasonEnglish;
            if (record != null && record.reason() != null) {
                reason = record.reason();
                reasonEnglish = record.reason();
            } else if (file.download()) {
                reason = "団体のエージェントが拒否したか、運用者が取り下げたダウンロードです。理由は広域連合フォルダの outbound-error/"
                        + code + "/ にあります";
                reasonEnglish = "a download that the municipality's agent refused or an operator withdrew; the reason is"
                        + " in outbound-error/" + code + "/ of the union's folders";
            } else {
                reason = "理由は記録されていません";
                reasonEnglish = "no reason recorded";
            }
            reasons.add(new Reason("dead-letter",
                    "ファイル " + file.fileName() + "（ID " + file.fileId() + "）は配信できず退避キューにあります（理由: "
                            + reason + "）。原因を取り除いてから retry で再送するか、purge で削除してください。",
                    "File " + file.fileName() + " (id " + file.fileId() + ") is in the dead-letter queue: "
                            + reasonEnglish + ". Remove the cause, then retry it, or purge the dead letters."));
        }
        more(files.size(), "dead-letter", "退避キュー", "in the dead-letter queue", reasons);
    }

    private void held(MunicipalityCode code, List<Reason> reasons) throws SQLException {
        List<Transfer> held = views.held(code);
        for (Transfer file : named(held)) {
            reasons.add(new Reason("held",
                    "ファイル " + file.fileName() + " は以前のファイルと同名・同内容のため重複の可能性として保留されました。"
                            + "市区町村の担当者がエージェントの held/" + code + "/ で再送を確認するか破棄してください。",
                    "File " + file.fileName() + " was held as a possible duplicate of an earlier file with the same"
                            + " name and bytes; the municipality's staff confirm or discard it in held/" + code
                            + "/ at the agent."));
        }
        more(held.size(), "held", "保留", "held", reasons);
    }

    private void receiving(MunicipalityCode code, MunicipalityStatus status, List<Reason> reasons)
            throws SQLException {
        List<Transfer> receiving = views.receiving(code);
        if (receiving.isEmpty()) {
            return;
        }
        String seen = status.agentLastSeenAt() == null ? "エージェントの接続記録はありません"
                : "エージェントの最終接続は " + Times.brief(Times.parse(status.agentLastSeenAt())) + " です";
        String seenEnglish = status.agentLastSeenAt() == null ? "the agent has not been seen"
                : "the agent was last seen at " + Times.brief(Times.parse(status.agentLastSeenAt()));
        Transfer first = receiving.get(0);
        reasons.add(new Reason("receiving",
                receiving.size() + " 件の受信が途中です（例: " + first.fileName() + "）。" + seen
                        + "。エージェントが接続すると続きから再開します。",
                receiving.size() + " announced files have not arrived completely (for example " + first.fileName()
                        + "); " + seenEnglish + ". The agent resumes each upload where it stopped when it connects."));
    }

    private void agentSilent(MunicipalityStatus status, List<Reason> reasons) {
        if (status.agentSilentSeconds() == null || status.agentSilentSeconds() < agentSilentAlert.toSeconds()) {
            return;
        }
        long minutes = status.agentSilentSeconds() / 60;
        String at = Times.brief(Times.parse(status.agentLastSeenAt()));
        reasons.add(new Reason("agent-silent",
                "エージェントから " + minutes + " 分間接続がありません（最終 " + at + "）。市区町村側のエージェントと回線を"
                        + "確認してください。",
                "The agent has not been seen for " + minutes + " min (last at " + at + "); check the agent at the"
                        + " municipality and its line."));
    }

    private static void queued(MunicipalityStatus status, List<Reason> reasons) {
        if (status.uploadMessages() == 0 || status.paused()) {
            return;
        }
        String since = status.oldestWaitingAt() == null ? "" : Times.brief(Times.parse(status.oldestWaitingAt()));
        reasons.add(new Reason("queued",
                status.uploadMessages() + " 件が配信待ちで、最も古いファイル（" + status.oldestWaitingFile() + "）は "
                        + since + " からです。配信は動作中です。待ち時間が増え続ける場合は、ログでこの市区町村の"
                        + " municipality=" + status.code() + " の警告を確認してください。",
                status.uploadMessages() + " files wait for delivery, the oldest (" + status.oldestWaitingFile()
                        + ") since " + since + "; delivery is running. If the wait keeps growing, look for warnings"
                        + " with municipality=" + status.code() + " in the log."));
    }

    private static void downloads(MunicipalityStatus status, List<Reason> reasons) {
        if (status.downloadMessages() == 0) {
            return;
        }
        String seen = status.agentLastSeenAt() == null ? "未接続" : Times.brief(Times.parse(status.agentLastSeenAt()));
        String seenEnglish = status.agentLastSeenAt() == null ? "never" : seen;
        reasons.add(new Reason("download",
                status.downloadMessages() + " 件のダウンロードがエージェントの取得を待っています（最終接続 " + seen + "）。",
                status.downloadMessages() + " download files wait for the agent to fetch them (last seen "
                        + seenEnglish + ")."));
    }

    private void scheduledDownloads(MunicipalityCode code, List<Reason> reasons) {
        List<OutboundSchedules.HeldFile> held = heldOutbound(code);
        if (held.isEmpty()) {
            return;
        }
        OutboundSchedules.HeldFile first = held.get(0);
        String file = "union/outbound/" + first.folder() + "/" + first.fileName();
        String opens = first.opens() == null ? "今後開きません" : first.opens() + " に開きます";
        String opensEnglish = first.opens() == null ? "does not open again" : "opens " + first.opens();
        reasons.add(new Reason("scheduled-download",
                held.size() + " 件の配信ファイルが連合のフォルダで配信スケジュール " + first.schedule() + " の枠を待っています（例: "
                        + file + "）。枠は " + opens + "。",
                held.size() + " outbound files wait in the union's folder for release schedule " + first.schedule()
                        + " (for example " + file + "), which " + opensEnglish + " (Asia/Tokyo)."));
    }

    /** Returns the held outbound files, or none when the union's folder cannot be read, which is logged. */
    private List<OutboundSchedules.HeldFile> heldOutbound(MunicipalityCode code) {
        try {
            return scheduledOutbound.heldFiles(code);
        } catch (IOException e) {
            LOG.warn("Outbound folder could not be read for release schedules: municipality={} error={}", code,
                    e.toString());
            return List.of();
        }
    }

    private static List<Transfer> named(List<Transfer> files) {
        return files.subList(0, Math.min(NAMED_FILES, files.size()));
    }

    private static void more(int count, String cause, String japanese, String english, List<Reason> reasons) {
        if (count > NAMED_FILES) {
            int rest = count - NAMED_FILES;
            reasons.add(new Reason(cause, "ほかに " + rest + " 件が" + japanese + "です。",
                    rest + " more files are " + english + "."));
        }
    }
}
