package jp.kouiki.window.municipality;

import java.util.regex.Pattern;

/**
 * A six-digit national local government code (全国地方公共団体コード, JIS X 0402): two digits for the
 * prefecture, three for the municipality and one check digit.
 */
public record MunicipalityCode(String value) implements Comparable<MunicipalityCode> {

    private static final Pattern SIX_DIGITS = Pattern.compile("[0-9]{6}");
    private static final Pattern FIVE_DIGITS = Pattern.compile("[0-9]{5}");

    public MunicipalityCode {
        if (value == null || !SIX_DIGITS.matcher(value).matches()) {
            throw new IllegalArgumentException("municipality code '" + value
                    + "' is not six digits; expected a code such as 131016 (five digits and a check digit)");
        }
        int expected = checkDigit(value.substring(0, 5));
        int actual = value.charAt(5) - '0';
        if (expected != actual) {
            throw new IllegalArgumentException("municipality code " + value + " has check digit " + actual
                    + " where " + expected + " is expected; correct the code in the file name or in the sending system");
        }
    }

    /** Parses a six-digit code, checking its check digit. */
    public static MunicipalityCode of(String value) {
        return new MunicipalityCode(value);
    }

    /** Appends the check digit to a five-digit code, as Japan Post's data writes it. */
    public static MunicipalityCode fromFiveDigits(String fiveDigits) {
        if (fiveDigits == null || !FIVE_DIGITS.matcher(fiveDigits).matches()) {
            throw new IllegalArgumentException("five-digit local government code '" + fiveDigits + "' is not five digits");
        }
        return new MunicipalityCode(fiveDigits + checkDigit(fiveDigits));
    }

    /** Returns true when the text is six digits with a correct check digit. */
    public static boolean isValid(String value) {
        return value != null && SIX_DIGITS.matcher(value).matches()
                && checkDigit(value.substring(0, 5)) == value.charAt(5) - '0';
    }

    /**
     * Computes the check digit of a five-digit code: the digits weighted 6, 5, 4, 3, 2 sum to S, and the check digit
     * is (11 - S mod 11) mod 10.
     */
    public static int checkDigit(String fiveDigits) {
        int sum = 0;
        for (int i = 0; i < 5; i++) {
            sum += (fiveDigits.charAt(i) - '0') * (6 - i);
        }
        return (11 - sum % 11) % 10;
    }

    /** Returns the first five digits, the form in which Japan Post's postal data and some IF records carry the code. */
    public String fiveDigits() {
        return value.substring(0, 5);
    }

    /** Returns the two-digit prefecture number, which identifies the union the municipality belongs to. */
    public String prefecture() {
        return value.substring(0, 2);
    }

    @Override
    public int compareTo(MunicipalityCode other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
