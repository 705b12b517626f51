package jp.kouiki.window.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import jp.kouiki.window.demo.PostalCsvSplitter;

/** Real Japan Post records for tests, and a search for byte sequences in a folder tree. */
final class TestFiles {

    static final Charset WINDOWS_31J = Charset.forName("windows-31j");

    private TestFiles() {
    }

    /** Returns the records of one municipality from the bundled Tokyo file, original bytes with CRLF. */
    static byte[] postalRecords(String fiveDigitCode) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] record : tokyoRecords()) {
            if (new String(record, 0, 5, WINDOWS_31J).equals(fiveDigitCode)) {
                out.write(record);
            }
        }
        return out.toByteArray();
    }

    /** Returns every record of the bundled Tokyo file, each with its CRLF. */
    static List<byte[]> tokyoRecords() throws IOException {
        byte[] all;
        try (InputStream in = TestFiles.class.getResourceAsStream(PostalCsvSplitter.BUNDLED_TOKYO_CSV)) {
            all = in.readAllBytes();
        }
        List<byte[]> records = new ArrayList<>();
        int start = 0;
        for (int i = 1; i < all.length; i++) {
            if (all[i - 1] == '\r' && all[i] == '\n') {
                records.add(java.util.Arrays.copyOfRange(all, start, i + 1));
                start = i + 1;
            }
        }
        return records;
    }

    /** Lists every regular file under a folder whose bytes contain the given sequence. */
    static List<Path> filesContaining(Path root, byte[] needle) throws IOException {
        List<Path> hits = new ArrayList<>();
        if (!Files.exists(root)) {
            return hits;
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                if (indexOf(Files.readAllBytes(file), needle) >= 0) {
                    hits.add(file);
                }
            }
        }
        return hits;
    }

    /** Counts the regular files under a folder. */
    static long countFiles(Path root) throws IOException {
        if (!Files.exists(root)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
