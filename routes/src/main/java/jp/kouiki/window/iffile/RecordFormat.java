package jp.kouiki.window.iffile;

/** How an interface file's records are laid out. */
public enum RecordFormat {

    /** Comma-separated values, one record per line. */
    CSV,
    /** Fixed-length header, data and trailer records of a declared number of bytes. */
    FIXED
}
