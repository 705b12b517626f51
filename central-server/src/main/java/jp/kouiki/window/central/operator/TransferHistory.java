package jp.kouiki.window.central.operator;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes file records in the {@code transfer} table of the {@link HistoryDatabase}. A step updates the
 * file's row, or creates it when the history has not seen the file before, for example after a restore.
 */
public final class TransferHistory {

    /** The steps, each with the column of its time. */
    enum Step {
        ANNOUNCED("announced_at"),
        HELD("held_at"),
        STORED("stored_at"),
        WAITING("waiting_at"),
        DELIVERED("delivered_at"),
        REJECTED("rejected_at"),
        RETRIED("retried_at");

        final String column;

        Step(String column) {
            this.column = column;
        }

        String outcome() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Search criteria; a null field does not restrict. */
    public record Query(String municipality, Instant from, Instant to, String nameContains, String outcome,
            int limit) {
    }

    /** Files and bytes delivered for one municipality. */
    public record Delivered(long files, long bytes) {
    }

    private static final String COLUMNS = "municipality, file_id, file_name, if_kind, size_bytes, sha256, announced_at,"
            + " stored_at, waiting_at, delivered_at, rejected_at, held_at, retried_at, outcome, reason";

    private final HistoryDatabase database;

    public TransferHistory(HistoryDatabase database) {
        this.database = database;
    }

    /**
     * Records one step of a file. Fields that are null keep what the row has; the reason is replaced for a rejection
     * and cleared by a delivery.
     */
    void record(Step step, String municipality, String fileId, String fileName, String ifKind, Long size,
            String sha256, String reason, Instant at) throws SQLException {
        try (Connection connection = database.connection()) {
            if (update(connection, step, municipality, fileId, fileName, ifKind, size, sha256, reason, at) == 0) {
                insert(connection, step, municipality, fileId, fileName, ifKind, size, sha256, reason, at);
            }
        }
    }

    private static int update(Connection connection, Step step, String municipality, String fileId, String fileName,
            String ifKind, Long size, String sha256, String reason, Instant at) throws SQLException {
        String reasonUpdate = step == Step.DELIVERED ? "NULL" : "COALESCE(?, reason)";
        String sql = "UPDATE transfer SET " + step.column + " = ?, outcome = ?, updated_at = ?,"
                + " file_name = COALESCE(?, file_name), if_kind = COALESCE(?, if_kind),"
                + " size_bytes = COALESCE(?, size_bytes), sha256 = COALESCE(?, sha256), reason = " + reasonUpdate
                + " WHERE municipality = ? AND file_id = ?";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            int i = 1;
            statement.setObject(i++, HistoryDatabase.timestamp(at));
            statement.setString(i++, step.outcome());
            statement.setObject(i++, HistoryDatabase.timestamp(at));
            statement.setString(i++, fileName);
            statement.setString(i++, ifKind);
            statement.setObject(i++, size);
            statement.setString(i++, sha256);
            if (step != Step.DELIVERED) {
                statement.setString(i++, reason);
            }
            statement.setString(i++, municipality);
            statement.setString(i, fileId);
            return statement.executeUpdate();
        }
    }

    private static void insert(Connection connection, Step step, String municipality, String fileId, String fileName,
            String ifKind, Long size, String sha256, String reason, Instant at) throws SQLException {
        String sql = "INSERT INTO transfer (municipality, file_id, file_name, if_kind, size_bytes, sha256, first_at,"
                + " outcome, reason, updated_at, " + step.column + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, municipality);
            statement.setString(2, fileId);
            statement.setString(3, fileName);
            statement.setString(4, ifKind);
            statement.setObject(5, size);
            statement.setString(6, sha256);
            statement.setObject(7, HistoryDatabase.timestamp(at));
            statement.setString(8, step.outcome());
            statement.setString(9, reason);
            statement.setObject(10, HistoryDatabase.timestamp(at));
            statement.setObject(11, HistoryDatabase.timestamp(at));
            statement.executeUpdate();
        }
    }

    /** Returns one file's record, or null. */
    public Transfer find(String municipality, String fileId) throws SQLException {
        List<Transfer> found = select("SELECT " + COLUMNS + " FROM transfer WHERE municipality = ? AND file_id = ?",
                List.of(municipality, fileId));
        return found.isEmpty() ? null : found.get(0);
    }

    /** Returns the records of one file id in any municipality; a file id names one file, so at most one normally. */
    public List<Transfer> findByFileId(String fileId) throws SQLException {
        return select("SELECT " + COLUMNS + " FROM transfer WHERE file_id = ?", List.of(fileId));
    }

    /** Searches the history, newest first. */
    public List<Transfer> search(Query query) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM transfer WHERE 1 = 1");
        List<Object> parameters = new ArrayList<>();
        if (query.municipality() != null) {
            sql.append(" AND municipality = ?");
            parameters.add(query.municipality());
        }
        if (query.from() != null) {
            sql.append(" AND first_at >= ?");
            parameters.add(HistoryDatabase.timestamp(query.from()));
        }
        if (query.to() != null) {
            sql.append(" AND first_at < ?");
            parameters.add(HistoryDatabase.timestamp(query.to()));
        }
        if (query.nameContains() != null) {
            sql.append(" AND file_name LIKE ? ESCAPE '\\'");
            parameters.add("%" + escapeLike(query.nameContains()) + "%");
        }
        if (query.outcome() != null) {
            sql.append(" AND outcome = ?");
            parameters.add(query.outcome());
        }
        sql.append(" ORDER BY first_at DESC, file_id LIMIT ").append(query.limit());
        return select(sql.toString(), parameters);
    }

    /** Returns the files of one municipality whose latest step is the outcome, oldest first, at most {@code limit}. */
    public List<Transfer> withOutcome(String municipality, String outcome, Instant since, int limit)
            throws SQLException {
        return select("SELECT " + COLUMNS + " FROM transfer WHERE municipality = ? AND outcome = ? AND updated_at >= ?"
                + " ORDER BY first_at LIMIT " + limit, List.of(municipality, outcome, HistoryDatabase.timestamp(since)));
    }

    /** Returns, per municipality, the files and bytes delivered since the instant. */
    public Map<String, Delivered> deliveredSince(Instant since) throws SQLException {
        Map<String, Delivered> totals = new HashMap<>();
        try (Connection connection = database.connection();
                PreparedStatement statement = connection.prepareStatement("SELECT municipality, COUNT(*),"
                        + " COALESCE(SUM(size_bytes), 0) FROM transfer WHERE delivered_at >= ? GROUP BY municipality")) {
            statement.setObject(1, HistoryDatabase.timestamp(since));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    totals.put(rows.getString(1).strip(), new Delivered(rows.getLong(2), rows.getLong(3)));
                }
            }
        }
        return totals;
    }

    /** Returns, per municipality, the time of its latest delivery. */
    public Map<String, Instant> lastDelivered() throws SQLException {
        Map<String, Instant> latest = new HashMap<>();
        try (Connection connection = database.connection();
                PreparedStatement statement = connection.prepareStatement("SELECT municipality, MAX(delivered_at)"
                        + " AS last_delivered FROM transfer WHERE delivered_at IS NOT NULL GROUP BY municipality");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                latest.put(rows.getString(1).strip(), HistoryDatabase.instant(rows, "last_delivered"));
            }
        }
        return latest;
    }

    /** Returns whether a file of the municipality and IF kind was announced or stored since the instant. */
    public boolean arrivedSince(String municipality, String ifKind, Instant since) throws SQLException {
        try (Connection connection = database.connection();
                PreparedStatement statement = connection.prepareStatement("SELECT 1 FROM transfer WHERE"
                        + " municipality = ? AND if_kind = ? AND first_at >= ? LIMIT 1")) {
            statement.setString(1, municipality);
            statement.setString(2, ifKind);
            statement.setObject(3, HistoryDatabase.timestamp(since));
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next();
            }
        }
    }

    private List<Transfer> select(String sql, List<?> parameters) throws SQLException {
        List<Transfer> transfers = new ArrayList<>();
        try (Connection connection = database.connection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.size(); i++) {
                statement.setObject(i + 1, parameters.get(i));
            }
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    transfers.add(transfer(rows));
                }
            }
        }
        return transfers;
    }

    private static Transfer transfer(ResultSet rows) throws SQLException {
        long sizeValue = rows.getLong("size_bytes");
        Long size = rows.wasNull() ? null : sizeValue;
        return new Transfer(rows.getString("municipality").strip(), rows.getString("file_id").strip(),
                rows.getString("file_name"), rows.getString("if_kind"), size,
                rows.getString("sha256"), HistoryDatabase.instant(rows, "announced_at"),
                HistoryDatabase.instant(rows, "stored_at"), HistoryDatabase.instant(rows, "waiting_at"),
                HistoryDatabase.instant(rows, "delivered_at"), HistoryDatabase.instant(rows, "rejected_at"),
                HistoryDatabase.instant(rows, "held_at"), HistoryDatabase.instant(rows, "retried_at"),
                rows.getString("outcome"), rows.getString("reason"));
    }

    private static String escapeLike(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }
}
