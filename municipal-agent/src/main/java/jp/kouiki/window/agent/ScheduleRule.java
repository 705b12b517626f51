package jp.kouiki.window.agent;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.schedule.TransferSchedule;
import jp.kouiki.window.transfer.FileManifest;

/**
 * A named schedule and the files it holds back until its window opens: {@code class:bulk} (a priority class),
 * {@code folder:131016,132012} (outbox folders by municipality code) or {@code name:REGEX} (file names).
 */
record ScheduleRule(TransferSchedule schedule, PriorityClass priorityClass, Set<MunicipalityCode> folders,
        Pattern namePattern) {

    /** The accepted form of a releases value, for error messages. */
    static final String RELEASES_FORM = "class:daily, class:bulk, folder:CODE[,CODE...] or name:REGEX";

    static ScheduleRule of(TransferSchedule schedule, String releases) {
        String value = releases.strip();
        int colon = value.indexOf(':');
        String kind = colon < 0 ? "" : value.substring(0, colon).strip().toLowerCase(Locale.ROOT);
        String argument = colon < 0 ? "" : value.substring(colon + 1).strip();
        if (argument.isEmpty()) {
            throw new IllegalArgumentException("'" + releases + "' does not say which files; expected "
                    + RELEASES_FORM);
        }
        return switch (kind) {
            case "class" -> new ScheduleRule(schedule, PriorityClass.ofLabel(argument), null, null);
            case "folder" -> new ScheduleRule(schedule, null, folders(argument), null);
            case "name" -> new ScheduleRule(schedule, null, null, Pattern.compile(argument));
            default -> throw new IllegalArgumentException("'" + releases + "' is not a file selector; expected "
                    + RELEASES_FORM);
        };
    }

    private static Set<MunicipalityCode> folders(String codes) {
        java.util.Set<MunicipalityCode> folders = new java.util.LinkedHashSet<>();
        for (String code : codes.split(",")) {
            folders.add(MunicipalityCode.of(code.strip()));
        }
        return Set.copyOf(folders);
    }

    boolean holds(MunicipalityCode code, FileManifest manifest, PriorityClass fileClass) {
        if (priorityClass != null) {
            return priorityClass == fileClass;
        }
        if (folders != null) {
            return folders.contains(code);
        }
        return namePattern.matcher(manifest.fileName()).matches();
    }
}
