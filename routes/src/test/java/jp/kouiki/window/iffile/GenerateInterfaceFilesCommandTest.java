package jp.kouiki.window.iffile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;
import picocli.CommandLine;

class GenerateInterfaceFilesCommandTest {

    @TempDir
    Path directory;

    @Test
    void writesCheckableFilesForPrefecture() throws Exception {
        StringWriter out = new StringWriter();
        CommandLine commandLine = new CommandLine(new GenerateInterfaceFilesCommand());
        commandLine.setOut(new PrintWriter(out));

        int exit = commandLine.execute("--municipalities", "prefecture:13", "--records", "5", "--output-dir",
                directory.toString());

        assertThat(exit).isZero();
        assertThat(out.toString()).contains("generated: 62 files, 5 data records each");
        List<Path> files = list(directory);
        assertThat(files).hasSize(62);
        InterfaceFileChecker checker = new InterfaceFileChecker();
        for (Path file : files) {
            MunicipalityCode code = MunicipalityCode.of(file.getFileName().toString().substring(0, 6));
            assertThat(checker.check(file, InterfaceFileName.parse(file.getFileName().toString(), code))).isEqualTo(7);
        }
    }

    @Test
    void writesBrokenFiles() throws Exception {
        int exit = new CommandLine(new GenerateInterfaceFilesCommand()).execute("--records", "5", "--corrupt",
                "WRONG_CODE", "--output-dir", directory.toString());

        assertThat(exit).isZero();
        Path file = list(directory).get(0);
        assertThatThrownBy(() -> new InterfaceFileChecker().check(file,
                InterfaceFileName.parse(file.getFileName().toString(), MunicipalityCode.of("131016"))))
                .hasMessageContaining("carries local government code '131024'");
    }

    private static List<Path> list(Path folder) throws Exception {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }
}
