package jp.kouiki.window.security;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import jp.kouiki.window.municipality.MunicipalityCode;

/** Command line for listing and rotating a municipality's manifest signing key. */
@Command(name = "signing-key", mixinStandardHelpOptions = true, version = "window-transfer signing-key 0.1.0",
        description = "Lists or rotates a municipality's signing key, which signs every manifest it sends.",
        subcommands = {SigningKeyCommand.ListKeys.class, SigningKeyCommand.Rotate.class})
public final class SigningKeyCommand {

    /** Options naming the municipality's key folder. */
    static class Target {
        @Option(names = "--keys-dir", required = true, description = "Key material folder, as in the settings.")
        Path keysDirectory;

        @Option(names = "--municipality", required = true, description = "Six-digit municipality code.")
        String municipality;

        MunicipalityCode code() {
            return MunicipalityCode.of(municipality);
        }
    }

    @Command(name = "list", description = "Lists the public keys in the folder with their ids; current signs new files.")
    static final class ListKeys implements Callable<Integer> {
        @CommandLine.Mixin
        Target target;

        @Override
        public Integer call() throws Exception {
            KeyMaterialLayout layout = new KeyMaterialLayout(target.keysDirectory);
            Path current = layout.signingPublicKey(target.code());
            out().printf("key %s current%n", SigningKeys.keyId(SigningKeys.readPublicKey(current)));
            try (DirectoryStream<Path> files = Files.newDirectoryStream(current.getParent(), "signing-public-*.pem")) {
                for (Path file : files) {
                    out().printf("key %s previous (%s)%n", SigningKeys.keyId(SigningKeys.readPublicKey(file)),
                            file.getFileName());
                }
            }
            return 0;
        }
    }

    @Command(name = "rotate", description = "Replaces the signing key pair; the previous public key is kept beside it.")
    static final class Rotate implements Callable<Integer> {
        @CommandLine.Mixin
        Target target;

        @Override
        public Integer call() throws Exception {
            DevCredentialGenerator.SigningKeyRotation rotation = new DevCredentialGenerator(target.keysDirectory)
                    .rotateSigningKey(target.code());
            KeyMaterialLayout layout = new KeyMaterialLayout(target.keysDirectory);
            out().printf("signing key of %s rotated: previous %s, new %s%n", target.municipality,
                    rotation.previousKeyId(), rotation.newKeyId());
            out().printf("install %s at the window server as municipalities/%s/signing-public-%s.pem;"
                    + " until then the agent keeps new files queued and retries%n",
                    layout.signingPublicKey(target.code()), target.municipality, rotation.newKeyId());
            return 0;
        }
    }

    private static PrintWriter out() {
        return new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new SigningKeyCommand()).execute(args));
    }
}
