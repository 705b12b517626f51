package jp.kouiki.window.broker;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Settings of one embedded broker.
 *
 * @param dataDirectory        where the journal, bindings, paging and large-message files live
 * @param inVmServerId         id of the in-VM acceptor, unique within one JVM
 * @param municipalities       the municipalities whose addresses and queues the broker creates
 * @param createDownloadQueues whether to create {@code municipality.<code>.download} queues too
 * @param journalType          NIO or ASYNCIO; ASYNCIO falls back to NIO where libaio is missing
 * @param maxSizeBytes         memory per address before messages page to disk, in bytes
 * @param maxDeliveryAttempts  deliveries before a message moves to its dead-letter queue; -1 for no limit
 * @param redeliveryDelayMillis delay before a rolled-back message is delivered again, in ms
 * @param idCacheSize          duplicate-detection ids remembered per address
 * @param maxDiskUsagePercent  disk use, in percent of the data directory's disk, above which the broker stops taking
 *                             messages
 */
public record BrokerSettings(
        Path dataDirectory,
        int inVmServerId,
        List<MunicipalityCode> municipalities,
        boolean createDownloadQueues,
        String journalType,
        long maxSizeBytes,
        int maxDeliveryAttempts,
        long redeliveryDelayMillis,
        int idCacheSize,
        int maxDiskUsagePercent) {

    public BrokerSettings {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        municipalities = List.copyOf(municipalities);
        if (!journalType.equals("NIO") && !journalType.equals("ASYNCIO")) {
            throw new IllegalArgumentException("broker journal type '" + journalType + "' is not supported; use NIO or ASYNCIO");
        }
        if (maxSizeBytes < 64 * 1024) {
            throw new IllegalArgumentException("broker max size per address is " + maxSizeBytes
                    + " bytes; use at least 65536 (64 KiB)");
        }
        if (maxDiskUsagePercent < 1 || maxDiskUsagePercent > 100) {
            throw new IllegalArgumentException("broker max disk usage is " + maxDiskUsagePercent
                    + " percent; use 1 to 100");
        }
        if (idCacheSize < 1000) {
            throw new IllegalArgumentException("broker duplicate-id cache size is " + idCacheSize + "; use at least 1000");
        }
    }

    /**
     * Duplicate-detection ids remembered per address. Artemis allocates the list for them when an address first takes
     * a message with an id: 50,000 ids took 200 KiB per address, about 700 MiB for the upload and download addresses
     * of 1,741 municipalities. A file is sent again within minutes of its first copy, long before 2,000 later files
     * of the same municipality push its id out, and the central server's stored markers catch a late retry as well.
     */
    public static final int DEFAULT_ID_CACHE_SIZE = 2_000;

    /** Settings with the defaults used by both the agent and the central server. */
    public static BrokerSettings defaults(Path dataDirectory, int inVmServerId, List<MunicipalityCode> municipalities) {
        return new BrokerSettings(dataDirectory, inVmServerId, municipalities, true, "ASYNCIO",
                10L * 1024 * 1024, 10, 0, DEFAULT_ID_CACHE_SIZE, 90);
    }

    public BrokerSettings withMaxDeliveryAttempts(int attempts) {
        return new BrokerSettings(dataDirectory, inVmServerId, municipalities, createDownloadQueues, journalType,
                maxSizeBytes, attempts, redeliveryDelayMillis, idCacheSize, maxDiskUsagePercent);
    }

    public BrokerSettings withJournalType(String type) {
        return new BrokerSettings(dataDirectory, inVmServerId, municipalities, createDownloadQueues, type,
                maxSizeBytes, maxDeliveryAttempts, redeliveryDelayMillis, idCacheSize, maxDiskUsagePercent);
    }
}
