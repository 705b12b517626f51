package jp.kouiki.window.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The entry files of a ledger folder (one small file per file id), listed in the order they were written. */
public final class LedgerEntries {

    private LedgerEntries() {
    }

    /**
     * Lists the regular files under the folder, to the depth given, leaving out dot-files such as temporaries, by the
     * time they were last written and then by name. Returns an empty list when the folder does not exist.
     */
    public static List<Path> inWrittenOrder(Path folder, int depth) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        Map<Path, FileTime> written = new HashMap<>();
        try (Stream<Path> entries = Files.find(folder, depth, (path, attributes) -> {
            boolean entry = attributes.isRegularFile() && !path.getFileName().toString().startsWith(".");
            if (entry) {
                written.put(path, attributes.lastModifiedTime());
            }
            return entry;
        })) {
            // sorted() takes every entry, and so fills the map, before it compares any.
            return entries.sorted(Comparator.comparing((Path entry) -> written.get(entry))
                    .thenComparing(entry -> entry.getFileName().toString())).toList();
        }
    }
}
