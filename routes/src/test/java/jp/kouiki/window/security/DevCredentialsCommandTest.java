package jp.kouiki.window.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;
import picocli.CommandLine;

class DevCredentialsCommandTest {

    @TempDir
    Path keys;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine commandLine = DevCredentialsCommand.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    @Test
    void validCodesCreateFilesAndPrintSummary() {
        int exitCode = run("--keys-dir", keys.toString(), "--municipalities", "131016,131032",
                "--server-name", "window.example.test");

        assertThat(exitCode).isZero();
        assertThat(out.toString()).startsWith("Created 26 files in " + keys);
        assertThat(out.toString().lines()).hasSize(1);
        assertThat(new KeyMaterialLayout(keys).clientKeystore(MunicipalityCode.of("131032"))).isRegularFile();
    }

    @Test
    void secondRunReportsExistingFiles() {
        run("--keys-dir", keys.toString(), "--municipalities", "131016");
        out.getBuffer().setLength(0);

        int exitCode = run("--keys-dir", keys.toString(), "--municipalities", "131016");

        assertThat(exitCode).isZero();
        assertThat(out.toString()).startsWith("Created 0 files").contains("21 files already existed");
    }

    @Test
    void wrongCheckDigitExitsWithTwo() {
        int exitCode = run("--keys-dir", keys.toString(), "--municipalities", "131017");

        assertThat(exitCode).isEqualTo(2);
        assertThat(err.toString()).contains("municipality code 131017 has check digit 7 where 6 is expected");
        assertThat(keys).isEmptyDirectory();
    }

    @Test
    void wardCodeExitsWithTwo() {
        // 011011 is Chuo ward of Sapporo, so its files travel under Sapporo's code 011002.
        int exitCode = run("--keys-dir", keys.toString(), "--municipalities", "011011");

        assertThat(exitCode).isEqualTo(2);
        assertThat(err.toString()).contains("is a ward of a designated city").contains("011002");
    }

    @Test
    void missingSelectionExitsWithTwo() {
        int exitCode = run("--keys-dir", keys.toString());

        assertThat(exitCode).isEqualTo(2);
        assertThat(err.toString()).contains("--municipalities, --prefecture or --all");
    }

    @Test
    void unknownPrefectureExitsWithTwo() {
        int exitCode = run("--keys-dir", keys.toString(), "--prefecture", "48");

        assertThat(exitCode).isEqualTo(2);
        assertThat(err.toString()).contains("prefecture '48' has no member municipalities");
    }

    @Test
    void brokenKeysDirectoryExitsWithOne() throws Exception {
        run("--keys-dir", keys.toString(), "--municipalities", "131016");
        Files.delete(new KeyMaterialLayout(keys).caPrivateKey());

        int exitCode = run("--keys-dir", keys.toString(), "--municipalities", "131032");

        assertThat(exitCode).isEqualTo(1);
        assertThat(err.toString()).startsWith("dev-credentials failed: CA certificate ");
        assertThat(err.toString().lines()).hasSize(1);
    }

    @Test
    void invalidServerNameExitsWithTwo() {
        int exitCode = run("--keys-dir", keys.toString(), "--municipalities", "131016", "--server-name", "a b");

        assertThat(exitCode).isEqualTo(2);
        assertThat(err.toString()).contains("server name 'a b' is not a valid DNS name");
    }
}
