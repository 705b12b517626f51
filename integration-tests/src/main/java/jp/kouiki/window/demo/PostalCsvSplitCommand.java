package jp.kouiki.window.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.Callable;

import jp.kouiki.window.municipality.MunicipalityDirectory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * Command line entry point for {@link PostalCsvSplitter}. Exit code 0 on success, 2 for invalid options, 1 when the
 * input is invalid or a file cannot be read or written.
 */
@Command(name = "postal-csv-split", mixinStandardHelpOptions = true,
        description = "Splits a Japan Post postal code CSV file into one file per municipality, named"
                + " CODE_POSTAL_yyyyMMdd.csv, keeping the original bytes.")
public final class PostalCsvSplitCommand implements Callable<Integer> {

    /** Time zone of the default date, because the files are dated in Japan. */
    static final ZoneId JAPAN = ZoneId.of("Asia/Tokyo");

    @Spec
    private CommandSpec spec;

    @Option(names = "--input", paramLabel = "FILE",
            description = "Japan Post CSV file (Windows-31J, CRLF). Default: the bundled Tokyo file "
                    + PostalCsvSplitter.BUNDLED_TOKYO_CSV + ".")
    private Path input;

    @Option(names = "--output-dir", required = true, paramLabel = "DIR",
            description = "Directory for the output files; created if missing.")
    private Path outputDirectory;

    @Option(names = "--date", paramLabel = "yyyy-MM-dd", converter = IsoDateConverter.class,
            description = "Date in the output file names. Default: today in Asia/Tokyo.")
    private LocalDate date;

    public static void main(String[] args) {
        CommandLine commandLine = newCommandLine();
        // Explicit UTF-8 for the municipality names, because under LANG=C the JVM's default encoding is ASCII.
        commandLine.setOut(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true));
        commandLine.setErr(new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true));
        System.exit(commandLine.execute(args));
    }

    /** Creates the command line, printing an I/O failure such as invalid input as one message line. */
    static CommandLine newCommandLine() {
        CommandLine commandLine = new CommandLine(new PostalCsvSplitCommand());
        commandLine.setExecutionExceptionHandler((exception, failed, parseResult) -> {
            if (exception instanceof IOException) {
                failed.getErr().println("postal-csv-split failed: " + exception.getMessage());
            } else {
                exception.printStackTrace(failed.getErr());
            }
            return failed.getCommandSpec().exitCodeOnExecutionException();
        });
        return commandLine;
    }

    @Override
    public Integer call() throws IOException {
        MunicipalityDirectory directory = MunicipalityDirectory.bundled();
        LocalDate fileDate = date != null ? date : LocalDate.now(JAPAN);
        List<PostalCsvSplitter.SplitFile> files;
        if (input != null) {
            files = PostalCsvSplitter.split(input, outputDirectory, directory, fileDate);
        } else {
            files = splitBundled(directory, fileDate);
        }

        PrintWriter out = spec.commandLine().getOut();
        long totalBytes = 0;
        int totalRecords = 0;
        for (PostalCsvSplitter.SplitFile file : files) {
            out.printf("%s %s %s %d records %d bytes sha256 %s%n", file.code(), file.municipalityName(), file.file(),
                    file.records(), file.bytes(), file.sha256Hex());
            totalBytes += file.bytes();
            totalRecords += file.records();
        }
        out.printf("Wrote %d files with %d records and %d bytes to %s%n", files.size(), totalRecords, totalBytes,
                outputDirectory);
        return 0;
    }

    private List<PostalCsvSplitter.SplitFile> splitBundled(MunicipalityDirectory directory, LocalDate fileDate)
            throws IOException {
        try (InputStream in = PostalCsvSplitCommand.class.getResourceAsStream(PostalCsvSplitter.BUNDLED_TOKYO_CSV)) {
            if (in == null) {
                throw new IOException("bundled postal file " + PostalCsvSplitter.BUNDLED_TOKYO_CSV
                        + " is missing from the classpath; pass a file with --input");
            }
            return PostalCsvSplitter.split(in, outputDirectory, directory, fileDate);
        }
    }

    /** Parses dates in ISO form (yyyy-MM-dd) with a message that shows the expected form. */
    static final class IsoDateConverter implements ITypeConverter<LocalDate> {

        @Override
        public LocalDate convert(String value) {
            try {
                return LocalDate.parse(value);
            } catch (DateTimeParseException e) {
                throw new TypeConversionException("'" + value + "' is not a valid date in yyyy-MM-dd form,"
                        + " such as 2026-12-04");
            }
        }
    }
}
