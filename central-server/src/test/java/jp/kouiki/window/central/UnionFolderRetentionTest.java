package jp.kouiki.window.central;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Properties;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.config.Settings;
import jp.kouiki.window.municipality.MunicipalityCode;

class UnionFolderRetentionTest {

    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    /** 2026-12-04 10:00 in Tokyo: with 90 days, reasons of 2026-09-05 and later are kept. */
    private static final ZonedDateTime NOW = ZonedDateTime.of(2026, 12, 4, 10, 0, 0, 0, TOKYO);
    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final String OLD_ID = "0123456789abcdef0123456789abcdef";
    private static final String PENDING_ID = "11111111111111111111111111111111";
    private static final String RECENT_ID = "22222222222222222222222222222222";

    @TempDir
    Path root;

    private DeliveryLedger ledger;
    private UnionFolderRetention retention;
    private Path staging;

    @BeforeEach
    void createRetention() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("central.municipalities", CHIYODA.value());
        properties.setProperty("central.union-root", root.resolve("union").toString());
        properties.setProperty("central.data-dir", root.resolve("data").toString());
        properties.setProperty("central.rejected.retention-days", "90");
        properties.setProperty("central.staging.retention-days", "7");
        CentralSettings settings = CentralSettings.from(Settings.of(CentralSettings.DEFAULTS, properties));
        ledger = new DeliveryLedger(root.resolve("data/ledger"));
        retention = new UnionFolderRetention(settings, ledger, Clock.fixed(NOW.toInstant(), TOKYO));
        staging = Files.createDirectories(settings.inbound(CHIYODA).resolve(".part"));
    }

    @Test
    void rejectedReasonsExpireByTheirDay() throws Exception {
        Path old = file(root.resolve("union/rejected/131016/20260904-235959-999_" + OLD_ID + ".reason"));
        Path kept = file(root.resolve("union/rejected/131016/20260905-000000-000_" + RECENT_ID + ".reason"));

        int deleted = retention.expireRejectedReasons();

        assertEquals(1, deleted);
        assertThat(old).doesNotExist();
        assertThat(kept).exists();
    }

    @Test
    void staleStagedFileIsDeleted() throws Exception {
        Path stale = staged(OLD_ID + ".part", 8);

        int deleted = retention.expireStaging();

        assertEquals(1, deleted);
        assertThat(stale).doesNotExist();
        assertThat(staging).isEmptyDirectory();
    }

    @Test
    void recentStagedFileIsKept() throws Exception {
        Path recent = staged(RECENT_ID + ".part", 6);

        int deleted = retention.expireStaging();

        assertEquals(0, deleted);
        assertThat(recent).exists();
    }

    @Test
    void pendingStagedFileIsKeptHoweverOld() throws Exception {
        ledger.recordPending(CHIYODA, PENDING_ID, "131016_POSTAL_20260101.csv", 1, "00".repeat(32), "POSTAL");
        Path pending = staged(PENDING_ID + ".part", 300);

        int deleted = retention.expireStaging();

        assertEquals(0, deleted);
        assertThat(pending).exists();
    }

    @Test
    void interruptedExpiryIsFinished() throws Exception {
        ledger.recordPending(CHIYODA, PENDING_ID, "131016_POSTAL_20260101.csv", 1, "00".repeat(32), "POSTAL");
        Path ownedByDelivery = staged(".expired-" + PENDING_ID + ".part", 1);
        Path stale = staged(".expired-" + OLD_ID + ".part", 30);

        int deleted = retention.expireStaging();

        assertEquals(1, deleted);
        assertThat(stale).doesNotExist();
        assertThat(ownedByDelivery).doesNotExist();
        assertThat(staging.resolve(PENDING_ID + ".part")).exists();
    }

    @Test
    void zeroDaysKeepsEverything() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("central.municipalities", CHIYODA.value());
        properties.setProperty("central.union-root", root.resolve("union").toString());
        properties.setProperty("central.staging.retention-days", "0");
        CentralSettings settings = CentralSettings.from(Settings.of(CentralSettings.DEFAULTS, properties));
        Path stale = staged(OLD_ID + ".part", 1000);
        Path reason = file(root.resolve("union/rejected/131016/20000101-000000-000_" + OLD_ID + ".reason"));

        new UnionFolderRetention(settings, ledger, Clock.fixed(NOW.toInstant(), TOKYO)).expire();

        assertThat(stale).exists();
        assertThat(reason).exists();
    }

    private Path staged(String name, int daysOld) throws Exception {
        Path file = file(staging.resolve(name));
        Files.setLastModifiedTime(file, FileTime.from(NOW.minusDays(daysOld).toInstant()));
        return file;
    }

    private static Path file(Path file) throws Exception {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, "x");
    }
}
