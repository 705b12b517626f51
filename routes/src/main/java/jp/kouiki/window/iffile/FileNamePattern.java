package jp.kouiki.window.iffile;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The file name of one IF kind, written as a template: {@code {code}} the six-digit municipality code, {@code {kind}}
 * the kind id, {@code {date}} a calendar date as yyyyMMdd, {@code {seq}} a sequence number of 1 to 9 digits; every
 * other character stands for itself (letters match in either case). The template starts with {@code {code}_{kind}}.
 */
public final class FileNamePattern {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z]+)}");
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("uuuuMMdd")
            .withResolverStyle(ResolverStyle.STRICT);

    private final String template;
    private final Pattern pattern;

    private FileNamePattern(String template, Pattern pattern) {
        this.template = template;
        this.pattern = pattern;
    }

    /** Compiles a template for the kind {@code kindId}, rejecting unknown placeholders. */
    static FileNamePattern compile(String template, String kindId) {
        if (!template.startsWith("{code}_{kind}")) {
            throw new IllegalArgumentException("name pattern '" + template + "' does not start with {code}_{kind}");
        }
        StringBuilder regex = new StringBuilder();
        Matcher matcher = PLACEHOLDER.matcher(template);
        int last = 0;
        while (matcher.find()) {
            regex.append(Pattern.quote(template.substring(last, matcher.start())));
            regex.append(placeholder(matcher.group(1), kindId, template));
            last = matcher.end();
        }
        regex.append(Pattern.quote(template.substring(last)));
        return new FileNamePattern(template, Pattern.compile(regex.toString(), Pattern.CASE_INSENSITIVE));
    }

    private static String placeholder(String name, String kindId, String template) {
        switch (name) {
            case "code":
                return "[0-9]{6}";
            case "kind":
                return Pattern.quote(kindId);
            case "date":
                return "(?<date>[0-9]{8})";
            case "seq":
                return "[0-9]{1,9}";
            default:
                throw new IllegalArgumentException("name pattern '" + template + "' has the unknown placeholder {"
                        + name + "}; use {code}, {kind}, {date} or {seq}");
        }
    }

    /** Returns true when the name has the pattern's shape and its date, if any, is a real calendar date. */
    public boolean matches(String name) {
        Matcher matcher = pattern.matcher(name);
        if (!matcher.matches()) {
            return false;
        }
        if (pattern.pattern().contains("(?<date>")) {
            try {
                LocalDate.parse(matcher.group("date"), DATE);
            } catch (DateTimeParseException e) {
                return false;
            }
        }
        return true;
    }

    /** Fills the template with example values, for messages. */
    public String example(String code, String kindId) {
        return template.replace("{code}", code).replace("{kind}", kindId).replace("{date}", "20261204")
                .replace("{seq}", "001");
    }

    public String template() {
        return template;
    }

    @Override
    public String toString() {
        return template;
    }
}
