package jp.kouiki.window.central.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

class OperatorAccountsTest {

    @TempDir
    Path folder;

    @Test
    void putWritesOwnerOnlyFileThatLoads() throws Exception {
        Path file = folder.resolve("operator-accounts");

        OperatorAccounts.put(file, "yamada.taro", OperatorRole.ACTOR, "yamada password 1".toCharArray());
        OperatorAccounts.put(file, "suzuki.hanako", OperatorRole.VIEWER, "suzuki password 1".toCharArray());

        OperatorAccounts accounts = new OperatorAccounts(file);
        assertThat(accounts.size()).isEqualTo(2);
        assertThat(accounts.find("yamada.taro").role()).isEqualTo(OperatorRole.ACTOR);
        assertThat(accounts.find("suzuki.hanako").role()).isEqualTo(OperatorRole.VIEWER);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.readString(file)).doesNotContain("password 1");
    }

    @Test
    void putReplacesExistingAccount() throws Exception {
        Path file = folder.resolve("operator-accounts");
        OperatorAccounts.put(file, "yamada.taro", OperatorRole.VIEWER, "first password".toCharArray());

        OperatorAccounts.put(file, "yamada.taro", OperatorRole.ACTOR, "second password".toCharArray());

        OperatorAccounts.Account account = new OperatorAccounts(file).find("yamada.taro");
        assertThat(account.role()).isEqualTo(OperatorRole.ACTOR);
        assertThat(PasswordHash.verify("second password".toCharArray(), account.passwordHash())).isTrue();
    }

    @Test
    void changedFileIsReadAgain() throws Exception {
        Path file = folder.resolve("operator-accounts");
        OperatorAccounts.put(file, "yamada.taro", OperatorRole.ACTOR, "yamada password 1".toCharArray());
        OperatorAccounts accounts = new OperatorAccounts(file);
        assertThat(accounts.find("yamada.taro")).isNotNull();

        OperatorAccounts.remove(file, "yamada.taro");

        assertThat(accounts.find("yamada.taro")).isNull();
    }

    @Test
    void removeFromInvalidFileFailsWithTheLine() throws Exception {
        Path file = folder.resolve("operator-accounts");
        OperatorAccounts.put(file, "yamada.taro", OperatorRole.ACTOR, "yamada password 1".toCharArray());
        OperatorAccounts.put(file, "lockme", OperatorRole.ACTOR, "lockme password 1".toCharArray());
        Files.writeString(file, "broken line\n", StandardOpenOption.APPEND);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine command = new CommandLine(new OperatorAccountsCommand());
        command.setOut(new PrintWriter(out));
        command.setErr(new PrintWriter(err));

        int exitCode = command.execute("remove", "--file", file.toString(), "lockme");

        assertThat(exitCode).isEqualTo(1);
        assertThat(out.toString()).contains("Account lockme removed");
        assertThat(err.toString()).contains("line 3").contains("keeps the accounts it read before, lockme included");
        assertThat(Files.readString(file)).doesNotContain("lockme:");
    }

    @Test
    void parseNamesTheInvalidLine() {
        assertThatThrownBy(() -> OperatorAccounts.parse(List.of("# comment", "yamada:root:pbkdf2-sha256$1$a$b")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("line 2: ");
    }

    @Test
    void rejectsNameWithColon() {
        assertThatThrownBy(() -> OperatorAccounts.put(folder.resolve("a"), "a:b", OperatorRole.ACTOR,
                "long enough password".toCharArray()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("account name 'a:b' is invalid");
    }
}
