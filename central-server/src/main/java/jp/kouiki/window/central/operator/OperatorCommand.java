package jp.kouiki.window.central.operator;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The operators' command-line tool: the same views and actions as the operator page, over the operator API with
 * HTTPS. Output is Japanese with English beside it. Exit code 0 on success, 1 when the server refused or failed, 2 on
 * wrong usage.
 */
@Command(name = "operator", mixinStandardHelpOptions = true, version = "window-transfer operator 0.1.0",
        description = "窓口サーバの運用コマンド / Operator commands of the central window server.",
        subcommands = {OperatorCommand.Status.class, OperatorCommand.Why.class, OperatorCommand.Versions.class,
            OperatorCommand.Transfers.class, OperatorCommand.Downloads.class,
            OperatorCommand.Pause.class, OperatorCommand.Resume.class, OperatorCommand.Retry.class,
            OperatorCommand.Purge.class, OperatorCommand.Expect.class, OperatorCommand.Audit.class,
            OperatorCommand.Cancel.class, OperatorCommand.CancellationList.class,
            OperatorAccountsCommand.class})
public final class OperatorCommand implements Runnable {

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        CommandLine commandLine = new CommandLine(new OperatorCommand());
        commandLine.setOut(new PrintWriter(System.out, true, StandardCharsets.UTF_8));
        commandLine.setErr(new PrintWriter(System.err, true, StandardCharsets.UTF_8));
        System.exit(commandLine.execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Connection options: the operator API's address, its CA and the operator who signs in. */
    static final class Connection {

        @Option(names = "--url", description = "Operator port of the central server (default: ${DEFAULT-VALUE}).")
        URI url = URI.create("https://127.0.0.1:8444");

        @Option(names = "--truststore", description = "PKCS12 truststore with the CA of the server certificate; its"
                + " password is read from the .password file beside it (default: ${DEFAULT-VALUE}).")
        Path truststore = Path.of("keys/truststore.p12");

        @Option(names = "--user", required = true, description = "Your operator account name.")
        String user;

        @Option(names = "--password-file", description = "File whose first line is your password; without it the"
                + " password comes from the environment variable WINDOW_OPERATOR_PASSWORD or is asked for.")
        Path passwordFile;

        OperatorApiClient signIn() throws Exception {
            OperatorApiClient client = new OperatorApiClient(url, truststore);
            client.signIn(user, password());
            return client;
        }

        private char[] password() throws IOException {
            if (passwordFile != null) {
                return Files.readAllLines(passwordFile, StandardCharsets.UTF_8).get(0).strip().toCharArray();
            }
            String fromEnvironment = System.getenv("WINDOW_OPERATOR_PASSWORD");
            if (fromEnvironment != null) {
                return fromEnvironment.toCharArray();
            }
            if (System.console() == null) {
                throw new IOException("no password given; use --password-file or WINDOW_OPERATOR_PASSWORD");
            }
            return System.console().readPassword("パスワード / Password for %s: ", user);
        }
    }

    /** Shared by the subcommands: sign in, run, print errors. */
    abstract static class ApiCommand implements Callable<Integer> {

        @Mixin
        Connection connection;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (OperatorApiClient client = connection.signIn()) {
                run(client, spec.commandLine().getOut());
                return 0;
            } catch (IOException | java.security.GeneralSecurityException e) {
                spec.commandLine().getErr().println("失敗しました / Failed: " + e.getMessage());
                return 1;
            }
        }

        abstract void run(OperatorApiClient client, PrintWriter out) throws Exception;

        static String text(JsonNode node) {
            return node == null || node.isNull() || node.isMissingNode() ? "-" : node.asText();
        }

        static String time(JsonNode node) {
            String text = text(node);
            return text.length() >= 16 ? text.substring(5, 16).replace('T', ' ') : text;
        }

        static void printResult(JsonNode result, PrintWriter out) {
            out.println(result.path("japanese").asText() + " / " + result.path("english").asText());
        }
    }

    @Command(name = "status", description = "市区町村ごとの状態 / Status of each municipality.")
    static final class Status extends ApiCommand {

        @Option(names = "--all", description = "List every municipality, not only those with files or contact.")
        boolean all;

        @Override
        void run(OperatorApiClient client, PrintWriter out) throws Exception {
            out.println("コード  状態/state   配信待ち/queued  バイト/bytes  最古/oldest  退避/dead  本日配信/today"
                    + "  最終配信/last  エージェント/agent (版/version)  名称/name");
            for (JsonNode status : client.get("/operator/api/municipalities", Map.of())) {
                boolean quiet = status.path("uploadMessages").asLong() == 0 && status.path("deadLetters").asLong() == 0
                        && status.path("deliveredTodayFiles").asLong() == 0 && status.path("agentLastSeenAt").isNull()
                        && !status.path("paused").asBoolean();
                if (quiet && !all) {
                    continue;
                }
                out.printf("%s  %-11s  %15d  %12d  %11s  %9d  %14s  %13s  %s (%s)  %s%n", text(status.path("code")),
                        status.path("paused").asBoolean() ? "停止/paused" : "稼働/running",
                        status.path("uploadMessages").asLong(), status.path("uploadBytes").asLong(),
                        age(status.path("oldestWaitingSeconds")), status.path("deadLetters").asLong(),
                        status.path("deliveredTodayFiles").asLong() + "件/files", time(status.path("lastDeliveredAt")),
                        time(status.path("agentLastSeenAt")), text(status.path("agentVersion"))
                                + (status.path("agentVersionNotAccepted").asBoolean() ? " 受付外/NOT-ACCEPTED" : ""),
                        text(status.path("name")));
            }
        }

        private static String age(JsonNode seconds) {
            if (seconds.isNull() || seconds.isMissingNode()) {
                return "-";
            }
            long value = seconds.asLong();
            return value < 3600 ? value / 60 + "分/min" : value / 3600 + "時間/h";
        }
    }

    @Command(name = "why", description = "ファイルが待機している理由 / Why files wait, per municipality.")
    static final class Why extends ApiCommand {

        @Override
        void run(OperatorApiClient client, PrintWriter out) throws Exception {
            JsonNode explanations = client.get("/operator/api/why", Map.of());
            if (explanations.isEmpty()) {
                out.println("待機中のファイルはありません。 / No file is waiting.");
            }
            for (JsonNode explanation : explanations) {
                out.println(text(explanation.path("code")) + " " + text(explanation.path("name")) + ":");
                for (JsonNode reason : explanation.path("reasons")) {
                    out.println("  - " + reason.path("japanese").asText());
                    out.println("    " + reason.path("english").asText());
                }
            }
        }
    }

    @Command(name = "versions", description = "窓口サーバとエージェントのバージョン・設定ダイジェスト / Versions and"
            + " configuration digests of the window server and the agents.")
    static final class Versions extends ApiCommand {

        @Option(names = "--all", description = "List every municipality, not only those whose agent has been seen.")
        boolean all;

        @Override
        void run(OperatorApiClient client, PrintWriter out) throws Exception {
            JsonNode report = client.get("/operator/api/versions", Map.of());
            JsonNode central = report.path("central");
            out.println("窓口サーバ / window server: バージョン/version=" + text(central.path("version"))
                    + " 設定ダイジェスト/configDigest=" + text(central.path("configDigest")) + " 役割/role="
                    + text(central.path("role")));
            out.println("受け付けるエージェントのバージョン / accepted agent versions: " + accepted(report)
                    + "  多数派/majority: " + text(report.path("majorityVersion")));
            JsonNode summary = report.path("summary");
            out.printf("接続済み/seen %d  受付外/not accepted %d  多数派と異なる/differ from majority %d"
                    + "  古い設定/outdated config %d  設定ダイジェストの種類/distinct config digests %d"
                    + "  エージェント数/agent installations %d%n", summary.path("agentsSeen").asInt(),
                    summary.path("versionNotAccepted").asInt(), summary.path("versionDiffersFromMajority").asInt(),
                    summary.path("configDigestOutdated").asInt(), summary.path("configDigests").asInt(),
                    summary.path("instances").asInt());
            out.println("コード  バージョン/version  設定ダイジェスト/config digest                                      "
                    + "  要確認/check     名称/name");
            for (JsonNode agent : report.path("agents")) {
                if (!all && agent.path("version").isNull()) {
                    continue;
                }
                out.printf("%s  %-18s  %-64s  %-15s  %s%n", text(agent.path("code")), text(agent.path("version")),
                        text(agent.path("configDigest")), flags(agent), text(agent.path("name")));
            }
        }

        private static String accepted(JsonNode report) {
            java.util.List<String> versions = new java.util.ArrayList<>();
            report.path("acceptedAgentVersions").forEach(version -> versions.add(version.asText()));
            return versions.isEmpty() ? "すべて/any" : String.join(",", versions);
        }

        /** Returns the row's flags: NOT-ACCEPTED, MINORITY and OUTDATED-CONFIG, or "-" when there are none. */
        private static String flags(JsonNode agent) {
            java.util.List<String> flags = new java.util.ArrayList<>();
            if (agent.path("versionNotAccepted").asBoolean()) {
                flags.add("NOT-ACCEPTED");
            }
            if (agent.path("versionDiffersFromMajority").asBoolean()) {
                flags.add("MINORITY");
            }
            if (agent.path("configDigestOutdated").asBoolean()) {
                flags.add("OUTDATED-CONFIG");
            }
            return flags.isEmpty() ? "-" : String.join(",", flags);
        }
    }

    @Command(name = "transfers", description = "転送履歴の検索 / Search the transfer history.")
    static final class Transfers extends ApiCommand {

        @Option(names = "--municipality", description = "Six-digit municipality code.")
        String municipality;

        @Option(names = "--from", description = "First day, yyyy-MM-dd (Asia/Tokyo), or an ISO-8601 date-time.")
        String from;

        @Option(names = "--to", description = "Last day, yyyy-MM-dd (included), or an ISO-8601 date-time.")
        String to;

        @Option(names = "--name", description = "Part of the file name.")
        String name;

        @Option(names = "--outcome", description = "announced, held, stored, waiting, delivered, rejected, retried or"
                + " cancelled.")
        String outcome;

        @Option(names = "--limit", description = "Maximum number of records to list (default: ${DEFAULT-VALUE}).")
        int limit = 200;

        @Override
        void run(OperatorApiClient client, PrintWriter out) throws Exception {
            Map<String, String> query = new LinkedHashMap<>();
            query.put("municipality", municipality);
            query.put("from", from);
            query.put("to", to);
            query.put("name", name);
            query.put("outcome", outcome);
            query.put("limit", Integer.toString(limit));
            JsonNode transfers = client.get("/operator/api/transfers", query);
            out.println("市区町村/municipality  受付/announced  配信/delivered  結果/outcome  サイズ/size  ファイル/file"
                    + "  ID  理由/reason");
            for (JsonNode transfer : transfers) {
                out.printf("%s  %s  %s  %s  %s  %s  %s  %s%n", text(transfer.path("municipality")),
                        time(transfer.path("announcedAt")), time(transfer.path("deliveredAt")),
                        text(transfer.path("outcome")), text(transfer.path("size")), text(transfer.path("fileName")),
                        text(transfer.path("fileId")), text(transfer.path("reason")));
            }
            out.println(transfers.size() + " 件 / records");
        }
    }

    @Command(name = "downloads", description = "団体あてファイルの状態 / Files queued for a municipality, and those its"
            + " agent received or refused.")
    static final class Downloads extends ApiCommand {

        @Parameters(index = "0", paramLabel = "CODE", description = "Six-digit municipality code.")
        String code;

        @Option(names = "--limit", description = "Maximum number of records to list (default: ${DEFAULT-VALUE}).")
        int limit = 200;

        @Override
        void run(OperatorApiClient client, PrintWriter out) throws Exception {
            JsonNode downloads = client.get("/operator/api/municipalities/" + code + "/downloads",
                    Map.of("limit", Integer.toString(limit)));
            out.println("時刻/at  状態/state  サイズ/size  ファイル/file  ID  理由/reason");
            for (JsonNode download : downloads) {
                out.printf("%s  %s  %s  %s  %s  %s%n", time(download.path("at")), text(download.path("state")),
                        text(download.path("size")), text(download.path("fileName")), text(download.path("fileId")),
                        text(download.path("reason")));
            }
            out.println(downloads.size() + " 件 / records");
        }
    }

    @Command(name = "pause", description = "市区町村の配信を一時停止 / Pause a municipality's delivery.")
    static final class Pause extends ApiCommand {

        @Parameters(paramLabel = "CODE", description = "Six-digit municipality code.")
        String code;

        @Option(names = "--reason", description = "Why, shown to other operators.")
        String reason = "";

        @Override
        void run(OperatorApiClient client, PrintWriter out) throws Exception {
            printResult(client.post("/operator/api/municipalities/" + code + "/pause",
                    new ObjectMapper().createObjectNode().put("reason", reason)), out);
        }
    }

    @Command(name = "resume", description = "配信を再開 / Resume a municipality's delivery.")
    static final class Resume extends ApiCommand {

        @Parameters(paramLabel = "CODE", description = "Six-digit municipality code.")
        String code;

        @Override
        void run(OperatorApiClient client, PrintWriter out) throws Exception {
            printResult(client.post("/operator/api/municipalities/" + code + "/resume",
                    new ObjectMapper().createObjectNode()), out);
        }
    }

    @Command(name = "retry", description = "退避キューのファイルを再送 / Move a dead-lettered file back to its queue.")
    static final class Retry extends ApiCommand {

        @Parameters(index = "0", paramLabel = "CODE", description = "Six-digit municipality code.")
        String code;

        @Parameters(index = "1", paramLabel = "FILE_ID", description = "The file id, 32 hexadecimal digits.")
        String fileId;

        @Override
        void run(OperatorApiClient client, PrintWriter out) throws Exception {
            printResult(client.post("/operator/api/municipalities/" + code + "/dead-letters/" + fileId + "/retry",
                    new ObjectMapper().createObjectNode()), out);
        }
    }

    @Command(name = "purge", description = "退避キューを削除 / Delete every dead letter of a municipality.")
    static final class Purge extends ApiCommand {

        @Parameters(paramLabel = "CODE", description = "Six-digit municipality code.")
        String code;

        @Option(names = "--confirm", required = true, paramLabel = "CODE",
                description = "The same municipality code again, to confirm the deletion.")
        String confirm;

        @Override
        void run(OperatorApiClient client, PrintWriter out) throws Exception {
            printResult(client.post("/operator/api/municipalities/" + code + "/dead-letters/purge?confirm="
                    + java.net.URLEncoder.encode(confirm, StandardCharsets.UTF_8),
                    new ObjectMapper().createObjectNode()), out);
        }
    }

    @Command(name = "expect", description = "毎日の到着予定ファイルを登録 / Expect a municipality's file of an IF"
            + " kind every day by a time; a missing file raises an alert.")
    static final class Expect extends ApiCommand {

        @Parameters(index = "0", paramLabel = "CODE", description = "Six-digit municipality code.")
        String code;

        @Parameters(index = "1", paramLabel = "IF_KIND", description = "IF kind as in the file name, such as JUKI.")
        String ifKind;

        @Parameters(index = "2", paramLabel = "HH:MM", description = "Due time, Asia/Tokyo.")
        String dueTime;

        @Override
        void run(OperatorApiClient client, PrintWriter out) throws Exception {
            client.post("/operator/api/expected-files", new ObjectMapper().createObjectNode().put("municipality", code)
                    .put("ifKind", ifKind).put("dueTime", dueTime));
            out.println(code + " の " + ifKind + " を毎日 " + dueTime + " までに予定として登録しました。 / Expecting "
                    + ifKind + " from " + code + " every day by " + dueTime + ".");
        }
    }

    @Command(name = "audit", description = "監査記録 / The audit trail of sign-ins and actions.")
    static final class Audit extends ApiCommand {

        @Option(names = "--limit", description = "Maximum number of records to list (default: ${DEFAULT-VALUE}).")
        int limit = 50;

        @Override
        void run(OperatorApiClient client, PrintWriter out) throws Exception {
            for (JsonNode entry : client.get("/operator/api/audit", Map.of("limit", Integer.toString(limit)))) {
                out.printf("%s  %s  %s  %s  %s  %s%n", text(entry.path("at")), text(entry.path("operator")),
                        text(entry.path("action")), text(entry.path("target")), text(entry.path("result")),
                        text(entry.path("detail")));
            }
        }
    }

    @Command(name = "cancel", description = "エージェントで送信待ちのファイルを取り消し / Cancel a file that still waits at"
            + " a municipality's agent.")
    static final class Cancel extends ApiCommand {

        @Parameters(index = "0", paramLabel = "CODE", description = "Six-digit municipality code.")
        String code;

        @Option(names = "--file-id", paramLabel = "FILE_ID", description = "The file id, 32 hexadecimal digits.")
        String fileId;

        @Option(names = "--file-name", paramLabel = "NAME", description = "The file's name, such as"
                + " 131016_JUKI_20261204.csv.")
        String fileName;

        @Option(names = "--reason", description = "Why, for the reason file at the agent and the audit trail.")
        String reason = "";

        @Override
        void run(OperatorApiClient client, PrintWriter out) throws Exception {
            com.fasterxml.jackson.databind.node.ObjectNode body = new ObjectMapper().createObjectNode();
            if (fileId != null) {
                body.put("fileId", fileId);
            }
            if (fileName != null) {
                body.put("fileName", fileName);
            }
            body.put("reason", reason);
            JsonNode result = client.post("/operator/api/municipalities/" + code + "/cancellations", body);
            printResult(result, out);
            out.println("取り消し / cancellation " + text(result.path("id")) + ": " + text(result.path("state")));
        }
    }

    @Command(name = "cancellations", description = "取り消しの一覧 / List cancellations and whether the agent has"
            + " carried them out.")
    static final class CancellationList extends ApiCommand {

        @Option(names = "--municipality", paramLabel = "CODE", description = "Only this municipality.")
        String municipality;

        @Override
        void run(OperatorApiClient client, PrintWriter out) throws Exception {
            Map<String, String> query = municipality == null ? Map.of() : Map.of("municipality", municipality);
            for (JsonNode entry : client.get("/operator/api/cancellations", query)) {
                String target = entry.path("fileId").isNull() ? text(entry.path("fileName")) : text(entry.path("fileId"));
                out.printf("%s  %s  %s  %s  %s  %s  files=%d%n", text(entry.path("requestedAt")),
                        text(entry.path("municipality")), text(entry.path("id")), target, text(entry.path("operator")),
                        text(entry.path("state")), entry.path("files").size());
            }
        }
    }
}
