package jp.kouiki.window.transfer;

import java.io.IOException;
import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Description of one interface file that the agent sends before the file itself. The agent signs the exact JSON bytes with the
 * municipality's signing key, so the union can prove where a file came from even after a TLS accelerator.
 *
 * @param fileId       32 hexadecimal digits, unique per file; a name seen before is still a new file
 * @param municipality six-digit code of the sending municipality
 * @param fileName     the interface file's name, starting with the municipality code and an underscore
 * @param size         plaintext size in bytes
 * @param sha256       SHA-256 of the plaintext, 64 lowercase hexadecimal digits
 * @param ifKind       interface file kind taken from the name, such as POSTAL
 * @param pickedUpAt   when the agent took the file, ISO-8601 with offset
 * @param signingKeyId id of the municipality's signing key that signed the manifest (16 hexadecimal digits, see
 *                     {@code SigningKeys.keyId}), so that the receiver verifies with that key while keys rotate; null
 *                     from senders that predate key ids, whose manifests are verified with the current key
 */
@JsonPropertyOrder({"fileId", "municipality", "fileName", "size", "sha256", "ifKind", "pickedUpAt", "signingKeyId"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record FileManifest(
        String fileId,
        String municipality,
        String fileName,
        long size,
        String sha256,
        String ifKind,
        String pickedUpAt,
        String signingKeyId) {

    /** Creates a manifest without a signing key id. */
    public FileManifest(String fileId, String municipality, String fileName, long size, String sha256, String ifKind,
            String pickedUpAt) {
        this(fileId, municipality, fileName, size, sha256, ifKind, pickedUpAt, null);
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);
    private static final Pattern FILE_ID = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern KEY_ID = Pattern.compile("[0-9a-f]{16}");

    /** Checks every field's form; the municipality code's check digit included. */
    public FileManifest validate() {
        if (fileId == null || !FILE_ID.matcher(fileId).matches()) {
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
        if (signingKeyId != null && !KEY_ID.matcher(signingKeyId).matches()) {
            throw new IllegalArgumentException("manifest signingKeyId '" + signingKeyId
                    + "' is not 16 lowercase hexadecimal digits");
        }
        return this;
    }

    /** Returns a copy of this manifest that names the signing key. */
    public FileManifest withSigningKeyId(String keyId) {
        return new FileManifest(fileId, municipality, fileName, size, sha256, ifKind, pickedUpAt, keyId);
    }

    public MunicipalityCode municipalityCode() {
        return MunicipalityCode.of(municipality);
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write manifest as JSON", e);
        }
    }

    /** Parses and validates a manifest; the exception message names the field that is wrong. */
    public static FileManifest fromJson(byte[] json) {
        try {
            return JSON.readValue(json, FileManifest.class).validate();
        } catch (IOException e) {
            throw new IllegalArgumentException("manifest is not valid JSON of the expected fields: "
                    + e.getMessage(), e);
        }
    }

    public static boolean isFileId(String text) {
        return text != null && FILE_ID.matcher(text).matches();
    }
}
