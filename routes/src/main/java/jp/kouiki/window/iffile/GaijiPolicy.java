package jp.kouiki.window.iffile;

/**
 * What happens to 外字: characters that the target character set of a conversion cannot hold, cannot give back
 * unchanged, or holds only as a user-defined (private use) character whose glyph depends on the sender's own table.
 */
public enum GaijiPolicy {

    /** The file is rejected with a reason that lists each character by line, column and code point. */
    REFUSE,
    /** Each such character is written as the kind's replacement character and listed in the delivery report. */
    REPLACE
}
