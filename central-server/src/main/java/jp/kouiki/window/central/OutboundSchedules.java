package jp.kouiki.window.central;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;

import jp.kouiki.window.calendar.JapaneseCalendar;
import jp.kouiki.window.config.Settings;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.schedule.ScheduleSettings;
import jp.kouiki.window.schedule.TransferSchedule;

/**
 * The central server's release schedules for the union's outbound files: a file in {@code union/outbound/<folder>/}
 * that a schedule selects stays there, untouched, until the schedule's window opens, and is then queued for its
 * municipalities as any other outbound file. The first schedule that selects a file decides; a file that no schedule
 * selects is queued at once. Windows follow Asia/Tokyo time and the Japanese calendar.
 *
 * <p>Configured as {@code central.outbound.schedules=NAME,...} and, for each NAME, {@code cron}, {@code
 * length-minutes}, {@code days} and {@code releases} under {@code central.outbound.schedule.NAME.}, where releases is
 * {@code folder:all,011002} (outbound folders: municipality codes or {@code all}), {@code name:REGEX} (whole file
 * names) or {@code all} (every outbound file).
 */
public final class OutboundSchedules {

    /** Start of the keys of a named release schedule, {@code central.outbound.schedule.<name>.cron} and the rest. */
    static final String SCHEDULE_PREFIX = "central.outbound.schedule.";
    /** The accepted form of a releases value, for error messages. */
    static final String RELEASES_FORM = "all, folder:all or folder:CODE[,CODE...] (outbound folders), or name:REGEX";
    private static final DateTimeFormatter OPENS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm", Locale.ROOT);

    /** A schedule and the outbound files it holds: by folder, by whole name, or every file when both are null. */
    record Rule(TransferSchedule schedule, Set<String> folders, Pattern namePattern) {

        boolean selects(String folder, String fileName) {
            if (folders != null) {
                return folders.contains(folder);
            }
            if (namePattern != null) {
                return namePattern.matcher(fileName).matches();
            }
            return true;
        }
    }

    /**
     * A file in {@code union/outbound/<folder>/} that a release schedule holds now, the schedule's name and when it
     * next opens ({@code yyyy-MM-dd HH:mm}, Asia/Tokyo), or null when it never opens again.
     */
    public record HeldFile(String folder, String fileName, String schedule, String opens) {
    }

    private final List<Rule> rules;
    private final Clock clock;

    OutboundSchedules(List<Rule> rules, Clock clock) {
        this.rules = List.copyOf(rules);
        this.clock = clock;
    }

    /** Reads the schedules; an empty {@code central.outbound.schedules} releases every file at once. */
    static OutboundSchedules from(Settings settings, Clock clock) throws IOException {
        List<String> names = settings.list("central.outbound.schedules");
        if (names.isEmpty()) {
            return new OutboundSchedules(List.of(), clock);
        }
        JapaneseCalendar calendar = ScheduleSettings.calendar(settings, "central.calendar.");
        List<Rule> rules = new ArrayList<>();
        for (String name : names) {
            ScheduleSettings.name(settings, "central.outbound.schedules", name);
            TransferSchedule schedule = ScheduleSettings.schedule(settings, SCHEDULE_PREFIX, name, calendar);
            String key = SCHEDULE_PREFIX + name + ".releases";
            String releases = settings.text(key);
            try {
                rules.add(rule(schedule, releases));
            } catch (IllegalArgumentException e) {
                throw settings.invalid(key, releases, RELEASES_FORM + " (" + e.getMessage() + ")");
            }
        }
        return new OutboundSchedules(rules, clock);
    }

    static Rule rule(TransferSchedule schedule, String releases) {
        String value = releases.strip();
        if (value.equals("all")) {
            return new Rule(schedule, null, null);
        }
        int colon = value.indexOf(':');
        String kind = colon < 0 ? "" : value.substring(0, colon).strip().toLowerCase(Locale.ROOT);
        String argument = colon < 0 ? "" : value.substring(colon + 1).strip();
        if (argument.isEmpty()) {
            throw new IllegalArgumentException("'" + releases + "' does not say which files");
        }
        return switch (kind) {
            case "folder" -> new Rule(schedule, folders(argument), null);
            case "name" -> new Rule(schedule, null, namePattern(argument));
            default -> throw new IllegalArgumentException("'" + releases + "' is not a file selector");
        };
    }

    private static Set<String> folders(String list) {
        Set<String> folders = new LinkedHashSet<>();
        for (String folder : list.split(",")) {
            String value = folder.strip();
            if (!value.equals(CentralSettings.BROADCAST_FOLDER)) {
                value = MunicipalityCode.of(value).value();
            }
            folders.add(value);
        }
        return Set.copyOf(folders);
    }

    private static Pattern namePattern(String regex) {
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("invalid regular expression: " + e.getDescription(), e);
        }
    }

    /** Returns whether a file in {@code union/outbound/<folder>/} may be queued now. */
    boolean mayRelease(String folder, String fileName) {
        return holdingSchedule(folder, fileName, now()) == null;
    }

    /**
     * Returns why a file in {@code union/outbound/<folder>/} waits, in Japanese and English, or null when it may be
     * queued now.
     */
    String waitingReason(String folder, String fileName) {
        ZonedDateTime now = now();
        TransferSchedule schedule = holdingSchedule(folder, fileName, now);
        if (schedule == null) {
            return null;
        }
        String opens = opens(schedule, now);
        return opens == null
                ? "配信スケジュール " + schedule.name() + " の枠が今後開きません / release schedule " + schedule.name()
                        + " does not open again; change central.outbound.schedule." + schedule.name() + " settings"
                : "配信スケジュール " + schedule.name() + " の枠を待っています（" + opens + " に開始）/ waiting for release"
                        + " schedule " + schedule.name() + ", which opens " + opens + " (Asia/Tokyo)";
    }

    /**
     * Returns the files for one municipality that a release schedule holds now: those in
     * {@code outboundRoot/<code>/} and in {@code outboundRoot/all/}. Names starting with a dot (files still being
     * written) and done-markers are left out.
     */
    public List<HeldFile> heldFiles(Path outboundRoot, String code) throws IOException {
        List<HeldFile> held = new ArrayList<>();
        if (rules.isEmpty()) {
            return held;
        }
        for (String folder : List.of(code, CentralSettings.BROADCAST_FOLDER)) {
            Path directory = outboundRoot.resolve(folder);
            if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try (Stream<Path> files = Files.list(directory)) {
                for (Path file : files.sorted().toList()) {
                    String name = file.getFileName().toString();
                    if (name.startsWith(".") || name.endsWith(".done")
                            || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                        continue;
                    }
                    ZonedDateTime now = now();
                    TransferSchedule schedule = holdingSchedule(folder, name, now);
                    if (schedule != null) {
                        held.add(new HeldFile(folder, name, schedule.name(), opens(schedule, now)));
                    }
                }
            }
        }
        return held;
    }

    private static String opens(TransferSchedule schedule, ZonedDateTime now) {
        return schedule.nextOpening(now).map(OPENS::format).orElse(null);
    }

    private TransferSchedule holdingSchedule(String folder, String fileName, ZonedDateTime now) {
        for (Rule rule : rules) {
            if (rule.selects(folder, fileName)) {
                return rule.schedule().isOpen(now) ? null : rule.schedule();
            }
        }
        return null;
    }

    private ZonedDateTime now() {
        return ZonedDateTime.now(clock.withZone(JapaneseCalendar.TOKYO));
    }

    List<Rule> rules() {
        return rules;
    }
}
