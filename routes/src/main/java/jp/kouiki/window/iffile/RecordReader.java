package jp.kouiki.window.iffile;

import java.io.IOException;
import java.io.InputStream;

/**
 * Reads an interface file one record at a time into a reused buffer, so that memory does not grow with the file.
 * Records end at each line end, which must be the declared one, or are blocks of a fixed number of bytes.
 */
final class RecordReader {

    /** Bytes read past a too-long record while looking for its line end, to name its length in the message. */
    private static final int OVERLONG_SCAN = 64 * 1024;

    private final InputStream in;
    private final LineEnd lineEnd;
    private final int fixedLength;
    private final RejectionMessages messages;
    private final byte[] chunk = new byte[64 * 1024];
    private final byte[] record;
    private int chunkPosition;
    private int chunkLimit;
    private int length;
    private long number;
    private long offset;
    private long nextOffset;

    /**
     * @param fixedLength bytes per record for records without line ends, or 0 when records end with {@code lineEnd}
     * @param capacity    the longest record accepted, in bytes without the line end
     */
    RecordReader(InputStream in, LineEnd lineEnd, int fixedLength, int capacity, RejectionMessages messages) {
        this.in = in;
        this.lineEnd = lineEnd;
        this.fixedLength = fixedLength;
        this.record = new byte[capacity];
        this.messages = messages;
    }

    /** Consumes the prefix when the file starts with it, returning whether it did. */
    boolean skipPrefix(byte[] prefix) throws IOException {
        while (chunkLimit - chunkPosition < prefix.length) {
            System.arraycopy(chunk, chunkPosition, chunk, 0, chunkLimit - chunkPosition);
            chunkLimit -= chunkPosition;
            chunkPosition = 0;
            int read = in.read(chunk, chunkLimit, chunk.length - chunkLimit);
            if (read < 0) {
                return false;
            }
            chunkLimit += read;
        }
        if (!java.util.Arrays.equals(chunk, chunkPosition, chunkPosition + prefix.length, prefix, 0, prefix.length)) {
            return false;
        }
        chunkPosition += prefix.length;
        nextOffset += prefix.length;
        return true;
    }

    /** Reads the next record, returning false at the end of the file. */
    boolean next() throws IOException, InterfaceFileRejectedException {
        number++;
        offset = nextOffset;
        length = 0;
        return fixedLength > 0 ? nextFixed() : nextDelimited();
    }

    private boolean nextFixed() throws IOException, InterfaceFileRejectedException {
        while (length < fixedLength) {
            if (chunkPosition == chunkLimit && !fill()) {
                if (length == 0) {
                    return false;
                }
                throw messages.truncated(number, length);
            }
            int count = Math.min(fixedLength - length, chunkLimit - chunkPosition);
            System.arraycopy(chunk, chunkPosition, record, length, count);
            chunkPosition += count;
            length += count;
        }
        nextOffset = offset + length;
        return true;
    }

    /** Copies the bytes up to the next line feed span by span, because a loop per byte took most of a check's time. */
    private boolean nextDelimited() throws IOException, InterfaceFileRejectedException {
        long total = 0;
        int previous = -1;
        while (true) {
            if (chunkPosition == chunkLimit && !fill()) {
                if (total == 0) {
                    return false;
                }
                throw messages.incompleteLastRecord(number, total);
            }
            int lineFeed = indexOfLineFeed();
            int stop = lineFeed < 0 ? chunkLimit : lineFeed;
            int span = stop - chunkPosition;
            if (span > 0) {
                int count = Math.min(record.length - length, span);
                System.arraycopy(chunk, chunkPosition, record, length, count);
                length += count;
                total += span;
                previous = chunk[stop - 1] & 0xFF;
                if (total > record.length + OVERLONG_SCAN) {
                    throw messages.overlong(number, -1);
                }
            }
            if (lineFeed >= 0) {
                chunkPosition = lineFeed + 1;
                break;
            }
            chunkPosition = stop;
        }
        nextOffset = offset + total + 1;
        if (lineEnd == LineEnd.CRLF) {
            if (previous != '\r') {
                throw messages.lineEndMissing(number);
            }
            total--;
            length = (int) Math.min(length, total);
        } else if (previous == '\r') {
            throw messages.crlfWhereLf(number);
        }
        if (total > record.length) {
            throw messages.overlong(number, total);
        }
        return true;
    }

    /** Returns the index of the next line feed in the buffered chunk, or -1 when it contains none. */
    private int indexOfLineFeed() {
        for (int i = chunkPosition; i < chunkLimit; i++) {
            if (chunk[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Reads the next block of the file into the chunk, returning false at the end of the file. */
    private boolean fill() throws IOException {
        int read = in.read(chunk, 0, chunk.length);
        if (read <= 0) {
            return false;
        }
        chunkPosition = 0;
        chunkLimit = read;
        return true;
    }

    byte[] bytes() {
        return record;
    }

    /** Bytes of the current record without its line end. */
    int length() {
        return length;
    }

    /** Returns the current record's number, from 1. */
    long number() {
        return number;
    }

    /** Returns the file offset of the current record's first byte, from 0. */
    long offset() {
        return offset;
    }
}
