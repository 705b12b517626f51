package jp.kouiki.window.transfer;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import jp.kouiki.window.municipality.MunicipalityCode;

/** Derives file ids and formats digests. */
public final class FileIds {

    private FileIds() {
    }

    /**
     * Derives the id of a file from what identifies one drop of it: municipality, name, size, modification time and
     * content digest. The same drop picked up again after a crash gets the same id, so the broker's duplicate
     * detection drops the second copy. A file dropped again under a name used before gets a new id.
     */
    public static String derive(MunicipalityCode code, String fileName, long size, long lastModifiedMillis,
            String sha256Hex) {
        String identity = code + "\n" + fileName + "\n" + size + "\n" + lastModifiedMillis + "\n" + sha256Hex;
        return hex(sha256().digest(identity.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
