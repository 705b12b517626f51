package jp.kouiki.window.central;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;

/** The files that the delivery ledger lists as delivered or rejected since an instant. */
class DeliveryLedgerTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final String DELIVERED = "1".repeat(32);
    private static final String REJECTED = "2".repeat(32);
    private static final String OLD = "3".repeat(32);
    private static final String WAITING = "4".repeat(32);

    @TempDir
    Path root;

    @Test
    void endedSinceListsRecentOutcomes() throws Exception {
        DeliveryLedger ledger = new DeliveryLedger(root);
        Instant start = Instant.now().minusSeconds(1);
        ledger.recordDelivered(CHIYODA, DELIVERED, "131016_POSTAL_20261204.csv");
        ledger.recordRejected(CHIYODA, REJECTED, "record 3 is invalid");
        ledger.recordDelivered(CHIYODA, OLD, "131016_POSTAL_20261101.csv");
        Files.setLastModifiedTime(root.resolve("delivered").resolve(CHIYODA.value()).resolve(OLD),
                FileTime.from(start.minus(Duration.ofHours(2))));
        ledger.recordPending(CHIYODA, WAITING, "131016_POSTAL_20261205.csv", 10, "a".repeat(64), "POSTAL");

        List<DeliveryLedger.Ended> ended = ledger.endedSince(start);

        assertThat(ended).extracting(DeliveryLedger.Ended::fileId).containsExactlyInAnyOrder(DELIVERED, REJECTED);
        DeliveryLedger.Ended delivered = ended.stream().filter(entry -> entry.fileId().equals(DELIVERED)).findFirst()
                .orElseThrow();
        assertThat(delivered.state()).isEqualTo("delivered");
        assertThat(delivered.fileName()).isEqualTo("131016_POSTAL_20261204.csv");
        assertThat(delivered.at()).isAfterOrEqualTo(start);
        DeliveryLedger.Ended rejected = ended.stream().filter(entry -> entry.fileId().equals(REJECTED)).findFirst()
                .orElseThrow();
        assertThat(rejected.state()).isEqualTo("rejected");
        assertThat(rejected.fileName()).isNull();
        assertThat(rejected.reason()).isEqualTo("record 3 is invalid");
    }

    @Test
    void emptyLedgerListsNothing() throws Exception {
        assertThat(new DeliveryLedger(root).endedSince(Instant.EPOCH)).isEmpty();
    }
}
