package jp.kouiki.window.files;

import java.nio.charset.StandardCharsets;

import jp.kouiki.window.transfer.FileIds;

/** Names under which a file of any name, even a refused one, can be moved aside into a sent or error folder. */
public final class SafeFileNames {

    /** Maximum name length in sent/ and error/ folders, in UTF-8 bytes, leaving room for ".reason" within 255 bytes. */
    public static final int MAX_NAME_BYTES = 240;

    private SafeFileNames() {
    }

    /**
     * Shortens a name that would not fit a file system's 255-byte limit with its ".reason" suffix: keeps its start and
     * adds a digest of the whole name, so that even a file refused for its over-long name can be moved aside.
     */
    public static String fitted(String name) {
        if (name.getBytes(StandardCharsets.UTF_8).length <= MAX_NAME_BYTES) {
            return name;
        }
        String digest = "~" + FileIds.hex(FileIds.sha256().digest(name.getBytes(StandardCharsets.UTF_8))).substring(0, 12);
        StringBuilder kept = new StringBuilder();
        int bytes = digest.length();
        for (int i = 0; i < name.length(); ) {
            int codePoint = name.codePointAt(i);
            int size = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + size > MAX_NAME_BYTES) {
                break;
            }
            kept.appendCodePoint(codePoint);
            bytes += size;
            i += Character.charCount(codePoint);
        }
        return kept + digest;
    }

    /**
     * Replaces characters that a file system or Camel's move expression would take as a path separator or control
     * sequence, so that even a file refused for its name can be moved aside under a name close to its own.
     */
    public static String safeName(String name) {
        StringBuilder safe = new StringBuilder(name.length());
        name.codePoints().forEach(c -> safe.appendCodePoint(c == '/' || c == '\\' || Character.isISOControl(c)
                || Character.getType(c) == Character.FORMAT ? '_' : c));
        return safe.toString();
    }
}
