package jp.kouiki.window.agent;

import java.time.LocalTime;
import java.util.Set;
import java.util.regex.Pattern;

import jp.kouiki.window.transfer.FileManifest;

/**
 * Decides the class of a file: bulk when it is at least {@code bulkMinBytes} long, when its IF kind is one of
 * {@code bulkKinds}, or when its name matches {@code bulkNamePattern}; daily otherwise.
 *
 * @param bulkMinBytes    size from which a file is bulk, in bytes; 0 turns the size rule off
 * @param bulkKinds       IF kinds that are always bulk, in upper case
 * @param bulkNamePattern file names that are always bulk, or null
 * @param bulkDeadline    time of day (Asia/Tokyo) by which the bulk backlog should be sent, or null for none
 */
record PriorityRules(long bulkMinBytes, Set<String> bulkKinds, Pattern bulkNamePattern, LocalTime bulkDeadline) {

    PriorityClass classify(FileManifest manifest) {
        boolean bySize = bulkMinBytes > 0 && manifest.size() >= bulkMinBytes;
        boolean byKind = manifest.ifKind() != null && bulkKinds.contains(manifest.ifKind().toUpperCase(
                java.util.Locale.ROOT));
        boolean byName = bulkNamePattern != null && bulkNamePattern.matcher(manifest.fileName()).matches();
        return bySize || byKind || byName ? PriorityClass.BULK : PriorityClass.DAILY;
    }
}
