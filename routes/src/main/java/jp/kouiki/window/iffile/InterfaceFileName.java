package jp.kouiki.window.iffile;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * The name of an interface file: the sender's six-digit municipality code, an underscore, the IF kind, then anything
 * the kind defines (date, sequence) and an extension, for example {@code 131016_POSTAL_20261204.csv}.
 */
public record InterfaceFileName(String name, MunicipalityCode code, String kind) {

    private static final Pattern SHAPE = Pattern.compile("([0-9]{6})_([A-Za-z0-9]+)(?:[_.].*)?");
    private static final int MAX_LENGTH = 200;
    /**
     * Maximum name length in UTF-8 bytes. Common file systems allow 255 bytes, and the agent adds a 20-byte time stamp in
     * {@code sent/} and {@code error/} and a 7-byte {@code .reason} suffix.
     */
    static final int MAX_BYTES = 200;
    private static final String RESERVED = "/\\:*?\"<>|";
    /**
     * Name endings of the files that the product writes beside IF files: completion markers in the union's folders,
     * staging files, the agent's reasons and receipts, and the confirmations staff create for held files. A file sent
     * under such a name could pass for one of them, for example as a forged completion marker of another file.
     */
    private static final List<String> RESERVED_ENDINGS = List.of(".done", ".part", ".reason",
            ".receipt", ".confirm", ".camellock");

    /**
     * Parses a file name sent by {@code sender}, rejecting a name that no file system of the union could store
     * safely, or whose code is malformed, has a wrong check digit or names another municipality.
     */
    public static InterfaceFileName parse(String name, MunicipalityCode sender) throws InterfaceFileRejectedException {
        return parse(name, sender, false);
    }

    /**
     * Parses a file name sent to {@code recipient}, as {@link #parse} does, with a message about the recipient's
     * folder when the name's code is another municipality's.
     */
    public static InterfaceFileName parseForRecipient(String name, MunicipalityCode recipient)
            throws InterfaceFileRejectedException {
        return parse(name, recipient, true);
    }

    /** Parses a name that must carry {@code owner}'s code, the sender's or, with {@code toRecipient}, the recipient's. */
    private static InterfaceFileName parse(String name, MunicipalityCode owner, boolean toRecipient)
            throws InterfaceFileRejectedException {
        if (name.length() > MAX_LENGTH || name.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new InterfaceFileRejectedException(
                    "ファイル名「" + printable(name) + "」は使えません。" + MAX_LENGTH + "文字以内（UTF-8 で " + MAX_BYTES
                            + "バイト以内）で、先頭に団体コードを付けてください。",
                    "file name '" + printable(name) + "' is not allowed; use at most " + MAX_LENGTH
                            + " characters (" + MAX_BYTES + " bytes in UTF-8) starting with the municipality code");
        }
        if (name.startsWith(".") || name.endsWith(".") || name.endsWith(" ") || hasForbiddenCharacter(name)) {
            throw new InterfaceFileRejectedException(
                    "ファイル名「" + printable(name) + "」は使えません。制御文字や / \\ : * ? \" < > | を含めず、"
                            + "先頭に団体コードを付けてください。",
                    "file name '" + printable(name) + "' is not allowed; remove control characters and any of"
                            + " / \\ : * ? \" < > |, do not start it with a dot or end it with a dot or space, and start"
                            + " it with the municipality code");
        }
        String lowerCase = name.toLowerCase(Locale.ROOT);
        if (RESERVED_ENDINGS.stream().anyMatch(lowerCase::endsWith)) {
            throw new InterfaceFileRejectedException(
                    "ファイル名「" + printable(name) + "」は使えません。末尾の .done .part .reason .receipt .confirm"
                            + " .camelLock は完了印や作業用ファイルのために予約されています。別の拡張子にしてください。",
                    "file name '" + printable(name) + "' is not allowed; the endings .done, .part, .reason,"
                            + " .receipt, .confirm and .camelLock are reserved for completion markers and working"
                            + " files, so use another extension");
        }
        Matcher matcher = SHAPE.matcher(name);
        if (!matcher.matches()) {
            throw new InterfaceFileRejectedException(
                    "ファイル名「" + printable(name) + "」が「団体コード6桁_IF種別_…」の形式ではありません。例: " + owner
                            + "_POSTAL_20261204.csv",
                    "file name '" + printable(name) + "' does not start with a six-digit municipality code, an underscore and"
                            + " the IF kind, as in " + owner + "_POSTAL_20261204.csv");
        }
        String digits = matcher.group(1);
        if (!MunicipalityCode.isValid(digits)) {
            int expected = MunicipalityCode.checkDigit(digits.substring(0, 5));
            throw new InterfaceFileRejectedException(
                    "ファイル名の団体コード " + digits + " の検査数字が誤っています（" + digits.charAt(5) + " ではなく "
                            + expected + "）。ファイル名を正しい団体コードで付け直してください。",
                    "municipality code " + digits + " in the file name has check digit " + digits.charAt(5)
                            + " where " + expected + " is expected; rename the file with the correct code");
        }
        MunicipalityCode code = MunicipalityCode.of(digits);
        if (!code.equals(owner) && toRecipient) {
            throw new InterfaceFileRejectedException(
                    "ファイル名の団体コード " + code + " が送付先の団体コード " + owner
                            + " と一致しません。" + code + " あてのファイルなら " + code + " のフォルダに置き、"
                            + "そうでなければファイル名を直してください。",
                    "municipality code " + code + " in the file name does not match the receiving municipality "
                            + owner + "; a municipality may receive only its own files, so put the file in the"
                            + " folder of " + code + " or correct its name");
        }
        if (!code.equals(owner)) {
            throw new InterfaceFileRejectedException(
                    "ファイル名の団体コード " + code + " が送信元の団体コード " + owner
                            + " と一致しません。他団体のファイルは送れません。正しいフォルダに置いてください。",
                    "municipality code " + code + " in the file name does not match the sending municipality "
                            + owner + "; a municipality may send only its own files, so put the file in the folder"
                            + " of " + code + " or correct its name");
        }
        return new InterfaceFileName(name, code, matcher.group(2).toUpperCase(Locale.ROOT));
    }

    private static boolean hasForbiddenCharacter(String name) {
        return name.codePoints().anyMatch(c -> Character.isISOControl(c) || RESERVED.indexOf(c) >= 0
                || Character.getType(c) == Character.FORMAT && c != 0x200D);
    }

    /** Writes control and format characters as \\uXXXX so that a message shows them instead of acting on them. */
    public static String printable(String name) {
        StringBuilder text = new StringBuilder(name.length());
        name.codePoints().forEach(c -> {
            if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
                text.append(String.format(Locale.ROOT, "\\u%04X", c));
            } else {
                text.appendCodePoint(c);
            }
        });
        return text.toString();
    }
}
