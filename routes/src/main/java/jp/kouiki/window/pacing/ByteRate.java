package jp.kouiki.window.pacing;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A transfer rate in bytes per second, written in settings as a number and a unit: {@code 2MB/s} (decimal, 2,000,000
 * bytes per second), {@code 2MiB/s} (binary, 2,097,152), {@code 512KiB/s}, {@code 100Mbit/s} (12,500,000 bytes per
 * second) or {@code 0}, which means unlimited.
 */
public record ByteRate(long bytesPerSecond) {

    /** No cap. */
    public static final ByteRate UNLIMITED = new ByteRate(0);

    /** The accepted form, for error messages. */
    public static final String FORM = "a rate such as 2MB/s, 512KiB/s, 100Mbit/s or 0 for unlimited"
            + " (units B, KB, MB, GB, KiB, MiB, GiB, kbit, Mbit, Gbit, each followed by /s)";

    private static final Pattern RATE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-z]*)/s");

    public ByteRate {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("a rate cannot be negative: " + bytesPerSecond + " bytes/s");
        }
    }

    public boolean isUnlimited() {
        return bytesPerSecond == 0;
    }

    /**
     * Parses a rate.
     *
     * @throws IllegalArgumentException naming the text and {@link #FORM} when the text is not a rate
     */
    public static ByteRate parse(String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.equals("0") || value.equals("unlimited")) {
            return UNLIMITED;
        }
        Matcher matcher = RATE.matcher(value);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("'" + text.trim() + "' is not a rate; expected " + FORM);
        }
        double number = Double.parseDouble(matcher.group(1));
        double bytes = number * unitBytes(matcher.group(2), text);
        if (bytes >= Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException("rate '" + text.trim() + "' is too large; expected " + FORM);
        }
        return new ByteRate(Math.round(bytes));
    }

    private static double unitBytes(String unit, String text) {
        return switch (unit) {
            case "", "b" -> 1;
            case "kb" -> 1e3;
            case "mb" -> 1e6;
            case "gb" -> 1e9;
            case "kib" -> 1024;
            case "mib" -> 1024 * 1024;
            case "gib" -> 1024.0 * 1024 * 1024;
            case "kbit" -> 1e3 / 8;
            case "mbit" -> 1e6 / 8;
            case "gbit" -> 1e9 / 8;
            default -> throw new IllegalArgumentException("'" + text.trim() + "' has an unknown unit '" + unit
                    + "'; expected " + FORM);
        };
    }

    /** Returns the rate in a short readable form, such as {@code 2.0MB/s} or {@code unlimited}. */
    @Override
    public String toString() {
        if (isUnlimited()) {
            return "unlimited";
        }
        if (bytesPerSecond >= 1_000_000) {
            return String.format(Locale.ROOT, "%.1fMB/s", bytesPerSecond / 1e6);
        }
        if (bytesPerSecond >= 1_000) {
            return String.format(Locale.ROOT, "%.1fKB/s", bytesPerSecond / 1e3);
        }
        return bytesPerSecond + "B/s";
    }
}
