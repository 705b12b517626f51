package jp.kouiki.window.crypto;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.KeyMaterialLayout;

/** Command line for rotating, retiring and destroying a municipality's encryption keyset. */
@Command(name = "keyset", mixinStandardHelpOptions = true, version = "window-transfer keyset 0.1.0",
        description = "Lists, rotates, retires or destroys a municipality's encryption keyset.",
        subcommands = {KeysetCommand.ListKeys.class, KeysetCommand.Add.class, KeysetCommand.Promote.class,
                KeysetCommand.Retire.class, KeysetCommand.Destroy.class})
public final class KeysetCommand {

    /** Options naming the keyset file. */
    static class Target {
        @Option(names = "--keys-dir", required = true, description = "Key material folder, as in the settings.")
        Path keysDirectory;

        @Option(names = "--municipality", required = true, description = "Six-digit municipality code.")
        String municipality;

        Path keyset() {
            return new KeyMaterialLayout(keysDirectory).encryptionKeyset(MunicipalityCode.of(municipality));
        }
    }

    @Command(name = "list", description = "Lists the keys with their ids; the primary one encrypts new files.")
    static final class ListKeys implements Callable<Integer> {
        @CommandLine.Mixin
        Target target;

        @Override
        public Integer call() throws Exception {
            for (KeysetRotation.KeyInfo key : KeysetRotation.list(target.keyset())) {
                out().printf("key %d %s%s%n", Integer.toUnsignedLong(key.keyId()), key.status(),
                        key.primary() ? " primary" : "");
            }
            return 0;
        }
    }

    @Command(name = "add", description = "Adds a new key; with --primary, new files are encrypted with it.")
    static final class Add implements Callable<Integer> {
        @CommandLine.Mixin
        Target target;

        @Option(names = "--primary", description = "Make the new key primary.")
        boolean primary;

        @Override
        public Integer call() throws Exception {
            int keyId = KeysetRotation.addKey(target.keyset(), primary);
            out().printf("added key %d%s to %s%n", Integer.toUnsignedLong(keyId), primary ? " as primary" : "",
                    target.keyset());
            return 0;
        }
    }

    @Command(name = "promote", description = "Makes an existing key primary.")
    static final class Promote implements Callable<Integer> {
        @CommandLine.Mixin
        Target target;

        @Parameters(index = "0", description = "Key id, as listed.")
        long keyId;

        @Override
        public Integer call() throws Exception {
            KeysetRotation.promote(target.keyset(), (int) keyId);
            out().printf("key %d is now primary in %s%n", keyId, target.keyset());
            return 0;
        }
    }

    @Command(name = "retire", description = "Removes every key but the primary; run only when no file encrypted"
            + " under the old keys is still queued anywhere.")
    static final class Retire implements Callable<Integer> {
        @CommandLine.Mixin
        Target target;

        @Override
        public Integer call() throws Exception {
            int removed = KeysetRotation.retireNonPrimary(target.keyset());
            out().printf("removed %d old keys from %s%n", removed, target.keyset());
            return 0;
        }
    }

    @Command(name = "destroy", description = "Overwrites and deletes the keyset of a municipality that leaves; its"
            + " data left anywhere becomes unreadable.")
    static final class Destroy implements Callable<Integer> {
        @CommandLine.Mixin
        Target target;

        @Option(names = "--confirm", required = true, description = "The municipality code again, to confirm.")
        String confirmation;

        @Override
        public Integer call() throws Exception {
            if (!confirmation.equals(target.municipality)) {
                out().println("--confirm " + confirmation + " does not repeat the municipality code "
                        + target.municipality + "; nothing was destroyed");
                return 2;
            }
            KeysetRotation.destroy(target.keyset());
            out().printf("destroyed %s%n", target.keyset());
            return 0;
        }
    }

    private static PrintWriter out() {
        return new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new KeysetCommand()).execute(args));
    }
}
