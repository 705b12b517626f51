package jp.kouiki.window.iffile;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import jp.kouiki.window.iffile.InterfaceFileCorrupter.Corruption;
import jp.kouiki.window.municipality.Municipality;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Writes fixed-length test IF files in the SHOTOKU layout for municipalities of the bundled list, optionally broken
 * one way. Runs from the routes test jar, for example
 * {@code java -cp "routes/target/routes-0.1.0-SNAPSHOT-tests.jar:routes/target/classes:<dependencies>"
 * jp.kouiki.window.iffile.GenerateInterfaceFilesCommand --municipalities prefecture:13 --output-dir /tmp/if}.
 */
@Command(name = "generate-if-files", mixinStandardHelpOptions = true,
        description = "Writes fixed-length 500-byte header/data/trailer IF files, one per municipality, with names"
                + " that carry 外字 and other characters that break Shift_JIS round trips.")
public final class GenerateInterfaceFilesCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--municipalities", defaultValue = "131016", paramLabel = "CODES",
            description = "Comma-separated six-digit codes, prefecture:NN for every member of prefecture NN, or all."
                    + " Default: ${DEFAULT-VALUE}.")
    private String municipalities;

    @Option(names = "--records", defaultValue = "1000", paramLabel = "N",
            description = "Data records per file. Default: ${DEFAULT-VALUE}.")
    private long records;

    @Option(names = "--charset", defaultValue = "windows-31j", paramLabel = "CHARSET",
            description = "windows-31j, shift_jis, utf-8 or utf-8-bom. Names the charset cannot hold are left out."
                    + " Default: ${DEFAULT-VALUE}.")
    private String charset;

    @Option(names = "--line-end", defaultValue = "crlf", paramLabel = "END",
            description = "crlf, lf or none. Default: ${DEFAULT-VALUE}.")
    private String lineEnd;

    @Option(names = "--kind", defaultValue = FixedLengthFileGenerator.KIND, paramLabel = "ID",
            description = "IF kind id in file names and headers, at most 10 characters. Default: ${DEFAULT-VALUE}.")
    private String kind;

    @Option(names = "--corrupt", paramLabel = "CORRUPTION",
            description = "Break every file one way: ${COMPLETION-CANDIDATES}.")
    private Corruption corruption;

    @Option(names = "--output-dir", required = true, paramLabel = "DIR",
            description = "Directory for the files; created if missing.")
    private Path outputDirectory;

    public static void main(String[] args) {
        CommandLine commandLine = new CommandLine(new GenerateInterfaceFilesCommand());
        commandLine.setOut(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true));
        commandLine.setErr(new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true));
        System.exit(commandLine.execute(args));
    }

    @Override
    public Integer call() throws IOException {
        FileCharset fileCharset = FileCharset.parse(charset);
        FileCharset layout = fileCharset.isShiftJisFamily() ? fileCharset : FileCharset.WINDOWS_31J;
        LineEnd end = LineEnd.parse(lineEnd);
        FixedLengthFileGenerator generator = new FixedLengthFileGenerator(fileCharset, layout, end,
                GaijiNames.writableIn(fileCharset)).kind(kind);
        List<MunicipalityCode> codes = codes(MunicipalityDirectory.bundled());
        Files.createDirectories(outputDirectory);
        long bytes = 0;
        for (MunicipalityCode code : codes) {
            bytes += Files.size(write(generator, code, end));
        }
        spec.commandLine().getOut().printf("生成しました / generated: %d files, %d data records each, %d bytes, %s%s"
                + " in %s%n", codes.size(), records, bytes, fileCharset.configName(),
                corruption == null ? "" : ", broken: " + corruption, outputDirectory);
        return 0;
    }

    private Path write(FixedLengthFileGenerator generator, MunicipalityCode code, LineEnd end) throws IOException {
        if (corruption == null) {
            return generator.writeFile(outputDirectory, code, 1, records);
        }
        Path clean = generator.writeFile(Files.createTempDirectory(outputDirectory, ".clean"), code, 1, records);
        Path broken = outputDirectory.resolve(clean.getFileName());
        MunicipalityCode other = code.equals(MunicipalityCode.of("131024")) ? MunicipalityCode.of("131016")
                : MunicipalityCode.of("131024");
        new InterfaceFileCorrupter(end, FixedLengthFileGenerator.RECORD_LENGTH, other).corrupt(clean, broken,
                corruption);
        Files.delete(clean);
        Files.delete(clean.getParent());
        return broken;
    }

    private List<MunicipalityCode> codes(MunicipalityDirectory directory) {
        if (municipalities.equals("all")) {
            return directory.members().stream().map(Municipality::code).toList();
        }
        if (municipalities.startsWith("prefecture:")) {
            return directory.membersOfPrefecture(municipalities.substring("prefecture:".length())).stream()
                    .map(Municipality::code).toList();
        }
        List<MunicipalityCode> codes = new ArrayList<>();
        for (String code : municipalities.split(",")) {
            codes.add(directory.member(MunicipalityCode.of(code.trim())).code());
        }
        return codes;
    }
}
