package jp.kouiki.window.central.operator;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators' audit trail: every sign-in, successful or not, and every action, with who, when, what, on what and
 * the result, in the {@code audit} table and as one log line starting with {@code OPERATOR-AUDIT}. It is written
 * before the response is sent. When the table cannot be written, the log line still appears at ERROR.
 */
public final class AuditLog {

    /** One audit record; the time is ISO-8601 in Asia/Tokyo. */
    public record Entry(long id, String at, String operator, String action, String target, String result,
            String detail, String client) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);

    private final HistoryDatabase database;

    public AuditLog(HistoryDatabase database) {
        this.database = database;
    }

    /**
     * Records one event.
     *
     * @param operator the account name given, also for a failed sign-in
     * @param action   sign-in, sign-out, pause, resume, retry, purge, expect-file, unexpect-file
     * @param target   the municipality or file acted on, or null
     * @param result   ok, denied, failed or invalid
     */
    public void record(String operator, String action, String target, String result, String detail, String client) {
        String line = "OPERATOR-AUDIT operator=" + printable(operator) + " action=" + action + " target=" + target
                + " result=" + result + " client=" + client + (detail == null ? "" : " detail=" + printable(detail));
        try (Connection connection = database.connection();
                PreparedStatement statement = connection.prepareStatement("INSERT INTO audit (at, operator, action,"
                        + " target, result, detail, client) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            statement.setObject(1, HistoryDatabase.timestamp(Instant.now()));
            statement.setString(2, truncate(operator, 64));
            statement.setString(3, action);
            statement.setString(4, truncate(target, 200));
            statement.setString(5, result);
            statement.setString(6, truncate(detail, 2000));
            statement.setString(7, truncate(client, 100));
            statement.executeUpdate();
            LOG.info(line);
        } catch (SQLException | RuntimeException e) {
            LOG.error(line + " (audit table write failed)", e);
        }
    }

    /** Returns audit records in the time range, newest first, at most {@code limit}. */
    public List<Entry> list(Instant from, Instant to, int limit) throws SQLException {
        List<Entry> entries = new ArrayList<>();
        try (Connection connection = database.connection();
                PreparedStatement statement = connection.prepareStatement("SELECT id, at, operator, action, target,"
                        + " result, detail, client FROM audit WHERE at >= ? AND at < ? ORDER BY id DESC LIMIT ?")) {
            statement.setObject(1, HistoryDatabase.timestamp(from));
            statement.setObject(2, HistoryDatabase.timestamp(to));
            statement.setInt(3, limit);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    entries.add(new Entry(rows.getLong("id"), Times.iso(HistoryDatabase.instant(rows, "at")),
                            rows.getString("operator"), rows.getString("action"), rows.getString("target"),
                            rows.getString("result"), rows.getString("detail"), rows.getString("client")));
                }
            }
        }
        return entries;
    }

    /** Replaces control characters, so that a name typed at sign-in cannot forge log lines. */
    static String printable(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder clean = new StringBuilder(Math.min(text.length(), 200));
        text.codePoints().limit(200).forEach(c -> clean.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return clean.toString();
    }

    private static String truncate(String text, int max) {
        String clean = printable(text);
        return clean == null || clean.length() <= max ? clean : clean.substring(0, max);
    }
}
