package jp.kouiki.window.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Turns a push-style encrypting stream into a pull-style source: each read pulls plaintext, pushes it through the
 * encrypting stream and hands out whatever ciphertext that produced. Memory stays bounded by one cipher segment plus
 * one read buffer, whatever the file size, and no extra thread is needed.
 */
final class EncryptingInputStream extends InputStream {

    /** Creates the encrypting stream around the sink that collects its ciphertext. */
    interface EncryptorFactory {
        OutputStream open(OutputStream sink) throws IOException;
    }

    private static final int READ_SIZE = 64 * 1024;

    private final InputStream plaintext;
    private final OutputStream encryptor;
    private final byte[] readBuffer = new byte[READ_SIZE];
    private byte[] pending = new byte[READ_SIZE * 2];
    private int pendingStart;
    private int pendingEnd;
    private boolean finished;

    EncryptingInputStream(InputStream plaintext, EncryptorFactory factory) throws IOException {
        this.plaintext = plaintext;
        this.encryptor = factory.open(new OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                append(bytes, offset, length);
            }
        });
    }

    private void append(byte[] bytes, int offset, int length) {
        if (pendingEnd + length > pending.length) {
            int live = pendingEnd - pendingStart;
            if (live + length <= pending.length) {
                System.arraycopy(pending, pendingStart, pending, 0, live);
            } else {
                byte[] larger = new byte[Math.max(pending.length * 2, live + length)];
                System.arraycopy(pending, pendingStart, larger, 0, live);
                pending = larger;
            }
            pendingStart = 0;
            pendingEnd = live;
        }
        System.arraycopy(bytes, offset, pending, pendingEnd, length);
        pendingEnd += length;
    }

    /** Pulls plaintext until some ciphertext is pending or the plaintext has ended. */
    private void fill() throws IOException {
        while (pendingStart == pendingEnd && !finished) {
            int read = plaintext.read(readBuffer);
            if (read < 0) {
                encryptor.close();
                finished = true;
            } else if (read > 0) {
                encryptor.write(readBuffer, 0, read);
            }
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int read = read(one, 0, 1);
        return read < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] target, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        fill();
        if (pendingStart == pendingEnd) {
            return -1;
        }
        int count = Math.min(length, pendingEnd - pendingStart);
        System.arraycopy(pending, pendingStart, target, offset, count);
        pendingStart += count;
        return count;
    }

    @Override
    public void close() throws IOException {
        Arrays.fill(readBuffer, (byte) 0);
        plaintext.close();
    }
}
