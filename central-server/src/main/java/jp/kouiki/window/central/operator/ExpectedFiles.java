package jp.kouiki.window.central.operator;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Files operators expect every day: municipality M's file of IF kind K by HH:MM (Asia/Tokyo). A file counts as
 * arrived when one of that municipality and kind was announced since midnight. Kept in the {@code expected_file} table.
 */
public final class ExpectedFiles {

    /** One expectation. */
    public record Expected(String municipality, String ifKind, String dueTime, String createdBy, String createdAt) {
    }

    /** IF kinds as the file name carries them: upper-case letters, digits and underscore. */
    static final Pattern IF_KIND = Pattern.compile("[A-Z0-9_]{1,32}");

    private final HistoryDatabase database;

    public ExpectedFiles(HistoryDatabase database) {
        this.database = database;
    }

    /** Checks a due time of the form HH:MM and returns it; throws with the expected form otherwise. */
    static LocalTime dueTime(String text) {
        try {
            if (text == null || !text.matches("[0-2][0-9]:[0-5][0-9]")) {
                throw new DateTimeParseException("not HH:MM", String.valueOf(text), 0);
            }
            return LocalTime.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("due time '" + text + "' is invalid; use HH:MM from 00:00 to 23:59");
        }
    }

    /** Adds an expectation or changes its due time. */
    public void put(String municipality, String ifKind, String dueTime, String operator) throws SQLException {
        dueTime(dueTime);
        if (!IF_KIND.matcher(ifKind).matches()) {
            throw new IllegalArgumentException("IF kind '" + ifKind + "' is invalid; use upper-case letters, digits"
                    + " and underscore, as in the file name");
        }
        try (Connection connection = database.connection();
                PreparedStatement statement = connection.prepareStatement("MERGE INTO expected_file (municipality,"
                        + " if_kind, due_time, created_by, created_at) KEY (municipality, if_kind)"
                        + " VALUES (?, ?, ?, ?, ?)")) {
            statement.setString(1, municipality);
            statement.setString(2, ifKind);
            statement.setString(3, dueTime);
            statement.setString(4, operator);
            statement.setObject(5, HistoryDatabase.timestamp(Instant.now()));
            statement.executeUpdate();
        }
    }

    /** Removes an expectation; returns false when there was none. */
    public boolean remove(String municipality, String ifKind) throws SQLException {
        try (Connection connection = database.connection();
                PreparedStatement statement = connection.prepareStatement("DELETE FROM expected_file WHERE"
                        + " municipality = ? AND if_kind = ?")) {
            statement.setString(1, municipality);
            statement.setString(2, ifKind);
            return statement.executeUpdate() > 0;
        }
    }

    public List<Expected> list() throws SQLException {
        List<Expected> expected = new ArrayList<>();
        try (Connection connection = database.connection();
                PreparedStatement statement = connection.prepareStatement("SELECT municipality, if_kind, due_time,"
                        + " created_by, created_at FROM expected_file ORDER BY municipality, if_kind");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                expected.add(new Expected(rows.getString(1).strip(), rows.getString(2), rows.getString(3),
                        rows.getString(4), Times.iso(HistoryDatabase.instant(rows, "created_at"))));
            }
        }
        return expected;
    }
}
