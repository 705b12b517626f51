package jp.kouiki.window.agent;

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

class AgentFolderRetentionTest {

    private static final ZoneId TOKYO = ZoneId.of("Asia/Tokyo");
    /** 2026-12-04 10:00 in Tokyo: files of 2026-11-04 are exactly 30 days old. */
    private static final ZonedDateTime NOW = ZonedDateTime.of(2026, 12, 4, 10, 0, 0, 0, TOKYO);

    @TempDir
    Path folderRoot;

    private AgentFolderRetention retention;

    @BeforeEach
    void createRetention() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("agent.municipalities", "131016");
        properties.setProperty("agent.folder-root", folderRoot.toString());
        properties.setProperty("agent.sent.retention-days", "30");
        properties.setProperty("agent.error.retention-days", "30");
        properties.setProperty("agent.held.retention-days", "0");
        properties.setProperty("agent.inbox.retention-days", "14");
        AgentSettings settings = AgentSettings.from(Settings.of(AgentSettings.DEFAULTS, properties));
        retention = new AgentFolderRetention(settings, Clock.fixed(NOW.toInstant(), TOKYO));
    }

    @Test
    void sentFilesExpireByPickupDate() throws Exception {
        Path old = file("sent/131016/20261103-235959-999_131016_POSTAL_20261103.csv");
        Path oldReceipt = file("sent/131016/20261103-235959-999_131016_POSTAL_20261103.csv.receipt");
        Path kept = file("sent/131016/20261104-000000-000_131016_POSTAL_20261104.csv");

        int deleted = retention.expireDated("sent", 30);

        assertEquals(2, deleted);
        assertThat(old).doesNotExist();
        assertThat(oldReceipt).doesNotExist();
        assertThat(kept).exists();
    }

    @Test
    void errorFilesExpireWithTheirReasons() throws Exception {
        Path old = file("error/131016/20261001-090000-000_131016_JUKI_20261001.csv");
        Path oldReason = file("error/131016/20261001-090000-000_131016_JUKI_20261001.csv.reason");
        Path recent = file("error/131016/20261203-090000-000_131016_JUKI_20261203.csv");
        Path recentReason = file("error/131016/20261203-090000-000_131016_JUKI_20261203.csv.reason");

        retention.expire();

        assertThat(old).doesNotExist();
        assertThat(oldReason).doesNotExist();
        assertThat(recent).exists();
        assertThat(recentReason).exists();
    }

    @Test
    void heldFilesStayWithZeroDays() throws Exception {
        Path held = file("held/131016/20200101-090000-000_131016_JUKI_20200101.csv");

        retention.expire();

        assertThat(held).exists();
    }

    @Test
    void inboxFilesExpireByArrival() throws Exception {
        Path old = file("inbox/131016/131016_HIHOKENSHA_20261101.csv");
        Files.setLastModifiedTime(old, FileTime.from(NOW.minusDays(15).toInstant()));
        Path recent = file("inbox/131016/131016_HIHOKENSHA_20261125.csv");
        Files.setLastModifiedTime(recent, FileTime.from(NOW.minusDays(13).toInstant()));
        Path staging = file("inbox/131016/.131016_HIHOKENSHA_20261101.csv.part");
        Files.setLastModifiedTime(staging, FileTime.from(NOW.minusDays(100).toInstant()));

        int deleted = retention.expireInbox();

        assertEquals(1, deleted);
        assertThat(old).doesNotExist();
        assertThat(recent).exists();
        assertThat(staging).exists();
    }

    @Test
    void undatedNamesAreKept() throws Exception {
        Path undated = file("error/131016/131016_JUKI_20200101.csv");

        retention.expire();

        assertThat(undated).exists();
    }

    private Path file(String relative) throws Exception {
        Path file = folderRoot.resolve(relative);
        Files.createDirectories(file.getParent());
        return Files.writeString(file, "x");
    }
}
