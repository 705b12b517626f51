package jp.kouiki.window.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** What the bench ran on: cores, CPU model, memory, disk, JDK and load average. */
final class Machine {

    private Machine() {
    }

    static String describe(Path work) throws IOException {
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.US_ASCII).stream()
                .filter(line -> line.startsWith("model name"))
                .map(line -> line.substring(line.indexOf(':') + 1).trim())
                .findFirst().orElse("unknown");
        String memory = Files.readAllLines(Path.of("/proc/meminfo"), StandardCharsets.US_ASCII).get(0)
                .replaceAll("\\s+", " ");
        var store = Files.getFileStore(work);
        return String.format(Locale.ROOT, "nproc=%d cpu=%s %s disk=%s (%s) free=%d GiB jdk=%s load=%s",
                Runtime.getRuntime().availableProcessors(), cpu, memory, store.name(), store.type(),
                store.getUsableSpace() >> 30, System.getProperty("java.runtime.version"), loadAverage());
    }

    /** Returns the 1, 5 and 15 minute load averages from /proc/loadavg. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).split(" ");
            return fields[0] + "/" + fields[1] + "/" + fields[2];
        } catch (IOException e) {
            return "unknown";
        }
    }
}
