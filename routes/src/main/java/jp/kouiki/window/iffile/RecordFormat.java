package jp.kouiki.window.iffile;

/** The record layout of an interface file. */
public enum RecordFormat {

    /** Comma-separated values, one record per line. */
    CSV,
    /** Fixed-length header, data and trailer records of a declared number of bytes. */
    FIXED
}
