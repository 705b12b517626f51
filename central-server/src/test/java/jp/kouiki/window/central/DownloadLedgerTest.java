package jp.kouiki.window.central;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.central.operator.DownloadOperations;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.DownloadManifest;

class DownloadLedgerTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");

    @TempDir
    Path root;

    @Test
    void recentListsNewestFirstWithNames() throws Exception {
        DownloadLedger ledger = new DownloadLedger(root);
        ledger.recordAcknowledged(manifest("a", "131016_KYUFU_20261201.csv"));
        ledger.recordRefused(manifest("b", "131016_KYUFU_20261202.csv"), "inbox folder missing");
        age(root.resolve("acknowledged/131016").resolve(fileId("a")), 60);

        List<DownloadOperations.Recorded> recent = ledger.recent(CHIYODA, 10);

        assertThat(recent).extracting(DownloadOperations.Recorded::state).containsExactly("refused", "received");
        assertThat(recent.get(0).fileName()).isEqualTo("131016_KYUFU_20261202.csv");
        assertThat(recent.get(0).reason()).isEqualTo("inbox folder missing");
        assertThat(recent.get(1).fileName()).isEqualTo("131016_KYUFU_20261201.csv");
        assertThat(recent.get(1).size()).isEqualTo(12);
        assertThat(ledger.recent(CHIYODA, 1)).hasSize(1);
        assertThat(ledger.recent(MunicipalityCode.of("131024"), 10)).isEmpty();
    }

    @Test
    void refusalWithoutNameKeepsWholeReason() throws Exception {
        DownloadLedger ledger = new DownloadLedger(root);
        Path folder = Files.createDirectories(root.resolve("refused/131016"));
        Files.writeString(folder.resolve(fileId("c")), "written before names were kept");

        assertThat(ledger.status(CHIYODA, fileId("c")).reason()).isEqualTo("written before names were kept");
        DownloadOperations.Recorded recorded = ledger.recent(CHIYODA, 10).get(0);
        assertThat(recorded.fileName()).isNull();
        assertThat(recorded.reason()).isEqualTo("written before names were kept");
    }

    @Test
    void statusReadsReasonAfterName() throws Exception {
        DownloadLedger ledger = new DownloadLedger(root);
        ledger.recordRefused(manifest("d", "131016_KYUFU_20261203.csv"), "wrong month");

        assertThat(ledger.status(CHIYODA, fileId("d")).state()).isEqualTo("refused");
        assertThat(ledger.status(CHIYODA, fileId("d")).reason()).isEqualTo("wrong month");
    }

    private static DownloadManifest manifest(String id, String fileName) {
        return DownloadManifest.of(fileId(id), CHIYODA, fileName, 12, "0".repeat(64), "KYUFU", false,
                "2026-12-05T09:00:00+09:00");
    }

    private static String fileId(String id) {
        return id.repeat(32);
    }

    private static void age(Path file, long seconds) throws Exception {
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minusSeconds(seconds)));
    }
}
