package jp.kouiki.window.central;

import java.nio.file.Path;

import jp.kouiki.window.config.Settings;
import jp.kouiki.window.pacing.ByteRate;

/**
 * Ingress caps of the window endpoint, as set at start-up; the caps file, when given, overrides the rates while the
 * server runs.
 *
 * @param globalRate       bytes per second of chunk bodies accepted from all municipalities together
 * @param municipalityRate bytes per second accepted from one municipality
 * @param burstMillis      how far, in ms of a cap, accepted bytes may run ahead before requests get 429
 * @param capsFile         properties file with global-rate and municipality-rate, re-read when it changes; or null
 */
public record AdmissionSettings(ByteRate globalRate, ByteRate municipalityRate, long burstMillis, Path capsFile) {

    static AdmissionSettings from(Settings settings) {
        String capsFile = settings.text("central.admission.caps-file", "");
        return new AdmissionSettings(
                rate(settings, "central.admission.global-rate"),
                rate(settings, "central.admission.municipality-rate"),
                settings.number("central.admission.burst-ms", 100, 600_000),
                capsFile.isEmpty() ? null : Path.of(capsFile).toAbsolutePath());
    }

    static ByteRate rate(Settings settings, String key) {
        String value = settings.text(key);
        try {
            return ByteRate.parse(value);
        } catch (IllegalArgumentException e) {
            throw settings.invalid(key, value, ByteRate.FORM);
        }
    }
}
