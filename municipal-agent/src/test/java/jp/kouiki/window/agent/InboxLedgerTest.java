package jp.kouiki.window.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.files.AtomicFiles;
import jp.kouiki.window.municipality.MunicipalityCode;

class InboxLedgerTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final String FIRST = "0123456789abcdef0123456789abcdef";
    private static final String SECOND = "fedcba9876543210fedcba9876543210";

    @TempDir
    Path root;

    @Test
    void leftoverTemporariesAreDeleted() throws Exception {
        InboxLedger ledger = new InboxLedger(root);
        ledger.recordPending(CHIYODA, FIRST, "131016_KYUFU_20261204.csv");
        ledger.recordPending(CHIYODA, SECOND, "131016_KYUFU_20261205.csv");
        ledger.recordReceived(CHIYODA, SECOND, "131016_KYUFU_20261205.csv");
        Path halfPending = Files.writeString(root.resolve("pending/131016/" + AtomicFiles.TEMPORARY_PREFIX + "1a-7"), "");
        Path halfReceived = Files.writeString(root.resolve("received/131016/" + AtomicFiles.TEMPORARY_PREFIX + "1b-7"),
                "131016_KYUFU");

        assertThat(ledger.deleteLeftoverTemporaries()).isEqualTo(2);

        assertThat(halfPending).doesNotExist();
        assertThat(halfReceived).doesNotExist();
        assertThat(ledger.pending()).containsExactly(
                new InboxLedger.Pending(CHIYODA, FIRST, "131016_KYUFU_20261204.csv"));
        assertThat(ledger.isKnown(CHIYODA, SECOND)).isTrue();
        assertThat(ledger.deleteLeftoverTemporaries()).isZero();
    }
}
