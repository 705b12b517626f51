package jp.kouiki.window.central.operator;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Adds, changes and removes operator accounts in the accounts file on the central server's machine. The running
 * server reads the file again on its next sign-in.
 */
@Command(name = "accounts", description = "運用者アカウントの管理 / Manage operator accounts in the accounts file.",
        subcommands = {OperatorAccountsCommand.Add.class, OperatorAccountsCommand.Remove.class})
final class OperatorAccountsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "add", description = "アカウントを追加または変更 / Add an account, or set its role and password.")
    static final class Add implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--file", required = true, description = "The accounts file (central.operator.accounts-file).")
        Path file;

        @Parameters(index = "0", paramLabel = "NAME", description = "Account name: letters, digits and ._@-.")
        String name;

        @Option(names = "--role", required = true, description = "viewer (read only) or actor (may act).")
        String role;

        @Option(names = "--password-stdin", description = "Read the password from the first line of standard input"
                + " instead of asking for it twice.")
        boolean passwordFromStandardInput;

        @Override
        public Integer call() throws Exception {
            char[] password = password();
            try {
                OperatorAccounts.put(file, name, OperatorRole.parse(role), password);
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("失敗しました / Failed: " + e.getMessage());
                return 1;
            } finally {
                Arrays.fill(password, '\0');
            }
            spec.commandLine().getOut().println("アカウント " + name + "（" + role + "）を " + file
                    + " に書き込みました。 / Account " + name + " (" + role + ") written to " + file + ".");
            return 0;
        }

        private char[] password() throws Exception {
            if (passwordFromStandardInput || System.console() == null) {
                String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                return line == null ? new char[0] : line.toCharArray();
            }
            char[] first = System.console().readPassword("新しいパスワード / New password: ");
            char[] second = System.console().readPassword("もう一度 / Again: ");
            if (!Arrays.equals(first, second)) {
                throw new IllegalArgumentException("the two passwords differ; run the command again");
            }
            return first;
        }
    }

    @Command(name = "remove", description = "アカウントを削除 / Remove an account.")
    static final class Remove implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--file", required = true, description = "The accounts file (central.operator.accounts-file).")
        Path file;

        @Parameters(paramLabel = "NAME", description = "Account name.")
        String name;

        @Override
        public Integer call() throws Exception {
            boolean removed = OperatorAccounts.remove(file, name);
            spec.commandLine().getOut().println(removed
                    ? "アカウント " + name + " を削除しました。 / Account " + name + " removed."
                    : "アカウント " + name + " はありません。 / There is no account " + name + ".");
            String problem = OperatorAccounts.problem(file);
            if (problem != null) {
                // The server keeps the accounts it read last while the file is invalid, so the removal is not in force.
                spec.commandLine().getErr().println("ファイルに誤りがあるため、窓口サーバは前に読んだアカウント（" + name
                        + " を含む）を使い続けます。その行を直すか削除してください。 / The file is invalid (" + problem
                        + "), so the server keeps the accounts it read before, " + name + " included; correct or"
                        + " delete that line.");
                return 1;
            }
            return removed ? 0 : 1;
        }
    }
}
