package jp.kouiki.window.security;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;

import jp.kouiki.window.municipality.Municipality;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Command line entry point that creates development key material with {@link DevCredentialGenerator}. Exit code 0
 * on success, 2 for invalid options or municipality codes, 1 when generation fails.
 */
@Command(name = "dev-credentials", mixinStandardHelpOptions = true,
        description = "Creates the missing development CA, TLS stores, signing keys and Tink keysets in a keys"
                + " directory. Existing files are never overwritten.")
public final class DevCredentialsCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--keys-dir", required = true, paramLabel = "DIR",
            description = "Keys directory to create or complete.")
    private Path keysDirectory;

    @Option(names = "--municipalities", split = ",", paramLabel = "CODE",
            description = "Comma-separated six-digit municipality codes with check digit, such as 131016,131024.")
    private List<String> municipalities = new ArrayList<>();

    @Option(names = "--prefecture", split = ",", paramLabel = "NN",
            description = "Selects every member municipality of the prefectures with these two-digit numbers, such as 13.")
    private List<String> prefectures = new ArrayList<>();

    @Option(names = "--all", description = "Selects all member municipalities of the bundled list (1,741).")
    private boolean all;

    @Option(names = "--server-name", paramLabel = "DNS_NAME",
            description = "Extra DNS name for the server certificate besides localhost; repeatable.")
    private List<String> serverNames = new ArrayList<>();

    public static void main(String[] args) {
        CommandLine commandLine = newCommandLine();
        // Explicit UTF-8, because under LANG=C the JVM's default encoding is ASCII.
        commandLine.setOut(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true));
        commandLine.setErr(new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true));
        System.exit(commandLine.execute(args));
    }

    /** Creates the command line, printing an I/O or key generation failure as one message line. */
    static CommandLine newCommandLine() {
        CommandLine commandLine = new CommandLine(new DevCredentialsCommand());
        commandLine.setExecutionExceptionHandler((exception, failed, parseResult) -> {
            if (exception instanceof IOException || exception instanceof GeneralSecurityException) {
                failed.getErr().println("dev-credentials failed: " + exception.getMessage());
            } else {
                exception.printStackTrace(failed.getErr());
            }
            return failed.getCommandSpec().exitCodeOnExecutionException();
        });
        return commandLine;
    }

    @Override
    public Integer call() throws IOException, GeneralSecurityException {
        Set<MunicipalityCode> codes = selectedCodes(MunicipalityDirectory.bundled());
        DevCredentialGenerator.Summary summary;
        try {
            summary = new DevCredentialGenerator(keysDirectory).generate(codes, serverNames);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        spec.commandLine().getOut().printf(
                "Created %d files in %s (%d certificates, %d private keys, %d public keys, %d keystores,"
                        + " %d password files, %d keysets) for %d municipalities; %d files already existed.%n",
                summary.createdFiles(), keysDirectory, summary.certificates(), summary.privateKeys(),
                summary.publicKeys(), summary.keystores(), summary.passwordFiles(), summary.keysets(), codes.size(),
                summary.existingFiles());
        return 0;
    }

    private Set<MunicipalityCode> selectedCodes(MunicipalityDirectory directory) {
        if (municipalities.isEmpty() && prefectures.isEmpty() && !all) {
            throw new ParameterException(spec.commandLine(),
                    "no municipalities selected; give --municipalities, --prefecture or --all");
        }
        Set<MunicipalityCode> codes = new TreeSet<>();
        for (String value : municipalities) {
            try {
                codes.add(directory.member(MunicipalityCode.of(value.strip())).code());
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage(), e);
            }
        }
        for (String prefecture : prefectures) {
            List<Municipality> members = directory.membersOfPrefecture(prefecture.strip());
            if (members.isEmpty()) {
                throw new ParameterException(spec.commandLine(), "prefecture '" + prefecture
                        + "' has no member municipalities; give a two-digit prefecture number from 01 to 47");
            }
            members.forEach(member -> codes.add(member.code()));
        }
        if (all) {
            directory.members().forEach(member -> codes.add(member.code()));
        }
        return codes;
    }
}
