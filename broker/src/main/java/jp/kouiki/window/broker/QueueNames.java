package jp.kouiki.window.broker;

import java.util.List;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Names of the per-municipality addresses. Each address has one anycast queue of the same name, and every name of
 * one municipality starts with {@code municipality.<code>.}; its security role is limited to the names that
 * {@link #addresses} lists.
 */
public final class QueueNames {

    private QueueNames() {
    }

    /** Files from the municipality to the union. */
    public static String upload(MunicipalityCode code) {
        return "municipality." + code + ".upload";
    }

    /** Files from the union to the municipality. */
    public static String download(MunicipalityCode code) {
        return "municipality." + code + ".download";
    }

    /** Messages that could not be processed; their reasons are in the log and in reason files. */
    public static String deadLetter(MunicipalityCode code) {
        return "municipality." + code + ".dead-letter";
    }

    /** Returns every address of one municipality, each with the address settings and roles of that municipality. */
    public static List<String> addresses(MunicipalityCode code) {
        return List.of(upload(code), download(code), deadLetter(code));
    }

    /** Returns the broker role name of one municipality. */
    public static String municipalityRole(MunicipalityCode code) {
        return "municipality-" + code;
    }

    /** Returns the broker user name of one municipality. */
    public static String municipalityUser(MunicipalityCode code) {
        return "m" + code;
    }
}
