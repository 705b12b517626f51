package jp.kouiki.window.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;
import picocli.CommandLine;

class PostalCsvSplitCommandTest {

    @TempDir
    Path work;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine commandLine = PostalCsvSplitCommand.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    @Test
    void bundledFileIsDefaultInput() {
        Path output = work.resolve("out");

        int exitCode = run("--output-dir", output.toString(), "--date", "2026-12-04");

        assertThat(exitCode).isZero();
        List<String> lines = out.toString().lines().toList();
        assertThat(lines).hasSize(63);
        assertThat(lines.get(0)).startsWith("131016 千代田区 " + output.resolve("131016_POSTAL_20261204.csv"));
        assertThat(lines.get(62)).isEqualTo("Wrote 62 files with 4087 records and 489473 bytes to " + output);
    }

    @Test
    void inputFileAndDefaultDate() throws IOException {
        Path input = work.resolve("input.csv");
        Files.write(input, "13362,\"a\"\r\n".getBytes(Charset.forName("windows-31j")));
        Path output = work.resolve("out");
        String today = PostalCsvSplitter.fileName(
                MunicipalityCode.of("133621"), LocalDate.now(PostalCsvSplitCommand.JAPAN));

        int exitCode = run("--input", input.toString(), "--output-dir", output.toString());

        assertThat(exitCode).isZero();
        assertThat(out.toString()).contains("133621 利島村 " + output.resolve(today) + " 1 records 11 bytes");
    }

    @Test
    void invalidDateExitsWithTwo() {
        int exitCode = run("--output-dir", work.toString(), "--date", "2026-13-01");

        assertThat(exitCode).isEqualTo(2);
        assertThat(err.toString()).contains("'2026-13-01' is not a valid date in yyyy-MM-dd form");
    }

    @Test
    void invalidInputExitsWithOne() throws IOException {
        Path input = work.resolve("input.csv");
        Files.write(input, "99999,\"a\"\r\n".getBytes(Charset.forName("windows-31j")));

        int exitCode = run("--input", input.toString(), "--output-dir", work.resolve("out").toString());

        assertThat(exitCode).isEqualTo(1);
        assertThat(err.toString()).startsWith("postal-csv-split failed: line 1: local government code 99999");
        assertThat(err.toString().lines()).hasSize(1);
    }
}
