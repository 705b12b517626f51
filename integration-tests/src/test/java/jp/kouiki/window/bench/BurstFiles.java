package jp.kouiki.window.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Drops one POSTAL file of a given size into the outbox of each named municipality at once, for the shaped-link bench.
 * Every file is written under a dot name first; the renames follow only when all are written, so the agent picks up
 * the whole burst together.
 *
 * <p>Usage: {@code BurstFiles OUTBOX_ROOT BYTES CODE...}; prints one line per file: code, name, size, SHA-256.
 */
public final class BurstFiles {

    private BurstFiles() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: BurstFiles OUTBOX_ROOT BYTES CODE...");
            System.exit(2);
        }
        Path outboxRoot = Path.of(args[0]);
        long bytes = Long.parseLong(args[1]);
        BenchFiles files = new BenchFiles();
        List<Path[]> renames = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            MunicipalityCode code = MunicipalityCode.of(args[i]);
            String name = code + "_POSTAL_20261204.csv";
            Path folder = outboxRoot.resolve(code.value());
            BenchFiles.Generated generated = files.write(folder.resolve("." + name + ".tmp"), code, bytes, i * 97);
            renames.add(new Path[] {generated.path(), folder.resolve(name)});
            System.out.println(code + " " + name + " " + generated.size() + " " + generated.sha256());
        }
        for (Path[] rename : renames) {
            Files.move(rename[0], rename[1]);
        }
    }
}
