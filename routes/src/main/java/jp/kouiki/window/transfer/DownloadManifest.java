package jp.kouiki.window.transfer;

import java.io.IOException;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Description of one file from the union to one municipality. The central server signs the exact JSON bytes with the
 * union's signing key, and the agent checks the signature before it writes anything into the inbox. The type field
 * keeps a download manifest from ever being taken for an upload manifest ({@link FileManifest} rejects the unknown
 * field, and this record rejects a missing or other type).
 *
 * @param type         always {@value #TYPE}
 * @param fileId       32 hexadecimal digits, unique per file and destination
 * @param municipality six-digit code of the destination municipality
 * @param fileName     the name the file gets in the destination's inbox, starting with the destination code
 * @param size         plaintext size in bytes
 * @param sha256       SHA-256 of the plaintext, 64 lowercase hexadecimal digits
 * @param ifKind       interface file kind taken from the name, such as POSTAL
 * @param broadcast    whether the union sent the same file to every municipality it serves
 * @param queuedAt     when the central server queued the file, ISO-8601 with offset
 */
@JsonPropertyOrder({"type", "fileId", "municipality", "fileName", "size", "sha256", "ifKind", "broadcast", "queuedAt"})
public record DownloadManifest(
        String type,
        String fileId,
        String municipality,
        String fileName,
        long size,
        String sha256,
        String ifKind,
        boolean broadcast,
        String queuedAt) {

    public static final String TYPE = "window-download/v1";

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
            .configure(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES, true);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /** Creates a manifest of the current type. */
    public static DownloadManifest of(String fileId, MunicipalityCode destination, String fileName, long size,
            String sha256, String ifKind, boolean broadcast, String queuedAt) {
        return new DownloadManifest(TYPE, fileId, destination.value(), fileName, size, sha256, ifKind, broadcast,
                queuedAt).validate();
    }

    /** Checks every field's form, the municipality code's check digit included. */
    public DownloadManifest validate() {
        if (!TYPE.equals(type)) {
            throw new IllegalArgumentException("manifest type '" + type + "' is not " + TYPE);
        }
        if (!FileManifest.isFileId(fileId)) {
            throw new IllegalArgumentException("manifest fileId '" + fileId + "' is not 32 lowercase hexadecimal digits");
        }
        MunicipalityCode.of(municipality);
        if (fileName == null || fileName.isEmpty() || fileName.length() > 200) {
            throw new IllegalArgumentException("manifest fileName is missing or longer than 200 characters");
        }
        if (size < 0) {
            throw new IllegalArgumentException("manifest size " + size + " is negative");
        }
        if (sha256 == null || !SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("manifest sha256 '" + sha256 + "' is not 64 lowercase hexadecimal digits");
        }
        return this;
    }

    public MunicipalityCode municipalityCode() {
        return MunicipalityCode.of(municipality);
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write download manifest as JSON", e);
        }
    }

    /** Parses and validates a manifest; the exception message names the field that is wrong. */
    public static DownloadManifest fromJson(byte[] json) {
        try {
            return JSON.readValue(json, DownloadManifest.class).validate();
        } catch (IOException e) {
            throw new IllegalArgumentException("download manifest is not valid JSON of the expected fields: "
                    + e.getMessage(), e);
        }
    }
}
