package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.central.operator.OperatorCommand;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;
import picocli.CommandLine;

/** The operators' command-line tool against a running central server and agent, over the operator port. */
class OperatorCommandIT {

    private static final MunicipalityCode CHIYODA = OperatorApiIT.CHIYODA;
    private static final String ACTOR = OperatorApiIT.ACTOR;
    private static final String VIEWER = OperatorApiIT.VIEWER;

    @TempDir
    Path root;

    /** Output of one command run. */
    record Run(int exitCode, String out, String err) {
    }

    @Test
    void commandsShowAndChangeState() throws Exception {
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            OperatorApiIT.addAccounts(system);
            system.startCentral();
            system.startAgent();
            system.drop(CHIYODA, "131016_POSTAL_20261204.csv", TestFiles.postalRecords("13101"));
            await("file delivered").atMost(Duration.ofSeconds(60))
                    .until(() -> TestFiles.countFiles(system.inbound(CHIYODA)) == 1);
            Path actorPassword = Files.writeString(root.resolve("actor.password"), OperatorApiIT.ACTOR_PASSWORD);
            Path viewerPassword = Files.writeString(root.resolve("viewer.password"), OperatorApiIT.VIEWER_PASSWORD);

            await("delivery in the history").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> run(system, ACTOR, actorPassword, "transfers", "--municipality", "131016",
                            "--outcome", "delivered").out().contains("1 件 / records"));
            Run transfers = run(system, ACTOR, actorPassword, "transfers", "--municipality", "131016", "--outcome",
                    "delivered", "--name", "POSTAL");
            assertEquals(0, transfers.exitCode());
            assertThat(transfers.out()).contains("131016_POSTAL_20261204.csv").contains("1 件 / records");
            system.placeOutbound(CHIYODA.value(), "131016_KYUFU_20261204.csv",
                    "for the municipality\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            await("download written and acknowledged").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> run(system, VIEWER, viewerPassword, "downloads", "131016").out().contains("received"));
            Run downloads = run(system, VIEWER, viewerPassword, "downloads", "131016");
            assertEquals(0, downloads.exitCode());
            assertThat(downloads.out()).contains("131016_KYUFU_20261204.csv").contains("received")
                    .contains("1 件 / records");
            assertThat(system.inbox(CHIYODA).resolve("131016_KYUFU_20261204.csv")).exists();
            Run status = run(system, VIEWER, viewerPassword, "status");
            assertEquals(0, status.exitCode());
            assertThat(status.out()).contains("131016").contains("稼働/running").contains("1件/files")
                    .contains("千代田区").contains("0.1.0-SNAPSHOT");

            Run denied = run(system, VIEWER, viewerPassword, "pause", "131016");
            assertEquals(1, denied.exitCode());
            assertThat(denied.err()).contains("HTTP 403").contains("viewer role");
            Run paused = run(system, ACTOR, actorPassword, "pause", "131016", "--reason", "folder maintenance");
            assertEquals(0, paused.exitCode());
            assertThat(paused.out()).contains("一時停止しました").contains("is paused");
            system.drop(CHIYODA, "131016_POSTAL_20261205.csv", TestFiles.postalRecords("13101"));
            await("why names the pause").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> run(system, ACTOR, actorPassword, "why").out().contains("paused delivery"));
            Run why = run(system, ACTOR, actorPassword, "why");
            assertThat(why.out()).contains("131016 千代田区:").contains("操作者 " + ACTOR + " が")
                    .contains("(reason: folder maintenance)");
            Run statusPaused = run(system, ACTOR, actorPassword, "status");
            assertThat(statusPaused.out()).contains("停止/paused");
            Run resumed = run(system, ACTOR, actorPassword, "resume", "131016");
            assertThat(resumed.out()).contains("再開しました").contains("is resumed");
            await("second file delivered after resume").atMost(Duration.ofSeconds(60))
                    .until(() -> TestFiles.countFiles(system.inbound(CHIYODA)) == 2);
            Run purgeUnconfirmed = run(system, ACTOR, actorPassword, "purge", "131016", "--confirm", "131024");
            assertEquals(1, purgeUnconfirmed.exitCode());
            assertThat(purgeUnconfirmed.err()).contains("confirm=131016");
            Run cancel = run(system, ACTOR, actorPassword, "cancel", "131016", "--file-name",
                    "131016_POSTAL_20261231.csv", "--reason", "not needed");
            assertEquals(0, cancel.exitCode(), cancel.err());
            assertThat(cancel.out()).contains("取り消し").contains("requested");
            Run lateCancel = run(system, ACTOR, actorPassword, "cancel", "131016", "--file-name",
                    "131016_POSTAL_20261204.csv");
            assertEquals(1, lateCancel.exitCode());
            assertThat(lateCancel.err()).contains("already received").contains("pause municipality 131016 to hold it there");
            Run cancellations = run(system, VIEWER, viewerPassword, "cancellations", "--municipality", "131016");
            assertThat(cancellations.out()).contains("131016_POSTAL_20261231.csv").contains(ACTOR);
            Run audit = run(system, ACTOR, actorPassword, "audit");
            assertThat(audit.out()).contains("pause").contains("resume").contains("denied").contains("cancel");
            Run wrong = run(system, "nobody", viewerPassword, "status");
            assertEquals(1, wrong.exitCode());
            assertThat(wrong.err()).contains("HTTP 401");
        }
    }

    /** Runs a subcommand with its arguments as {@code user}, connection options added after the subcommand. */
    static Run run(WindowSystem system, String user, Path passwordFile, String subcommand,
            String... arguments) {
        List<String> args = new ArrayList<>(List.of(subcommand, "--url", "https://localhost:" + system.operatorPort,
                "--truststore", new KeyMaterialLayout(system.keys()).truststore().toString(),
                "--user", user, "--password-file", passwordFile.toString()));
        args.addAll(List.of(arguments));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = new CommandLine(new OperatorCommand());
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args.toArray(String[]::new));
        return new Run(exitCode, out.toString(), err.toString());
    }
}
