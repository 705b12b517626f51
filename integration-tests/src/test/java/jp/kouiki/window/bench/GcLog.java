package jp.kouiki.window.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Heap use read from a unified GC log written with {@code -Xlog:gc}: the largest heap before a collection, the
 * largest after one, the last after one and the number of collections, in MiB.
 */
record GcLog(long maxBeforeGcMib, long maxAfterGcMib, long lastAfterGcMib, int collections) {

    /** Heap sizes in a GC log line, such as "30M->12M(64M)". */
    private static final Pattern HEAP = Pattern.compile("(\\d+)([KMG])->(\\d+)([KMG])\\((\\d+)([KMG])\\)");

    static GcLog read(Path file) throws IOException {
        long maxBefore = 0;
        long maxAfter = 0;
        long lastAfter = -1;
        int collections = 0;
        if (!Files.exists(file)) {
            return new GcLog(-1, -1, -1, 0);
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            Matcher matcher = HEAP.matcher(line);
            if (matcher.find()) {
                maxBefore = Math.max(maxBefore, mebibytes(matcher.group(1), matcher.group(2)));
                lastAfter = mebibytes(matcher.group(3), matcher.group(4));
                maxAfter = Math.max(maxAfter, lastAfter);
                collections++;
            }
        }
        return new GcLog(maxBefore, maxAfter, lastAfter, collections);
    }

    private static long mebibytes(String amount, String unit) {
        long value = Long.parseLong(amount);
        return switch (unit) {
            case "K" -> value / 1024;
            case "G" -> value * 1024;
            default -> value;
        };
    }
}
