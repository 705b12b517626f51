package jp.kouiki.window.central.operator;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes file records in the {@code transfer} table of the {@link HistoryDatabase}. A step updates the
 * file's row, or creates it when the history has not seen the file before, for example after a restore.
 */
public final class TransferHistory {

    /**
     * The steps, each with the column of its time and its rank. Events of one file can reach the history out of
     * order, such as a delivery reported before the upload thread reports the store, so a step becomes the outcome
     * only when its rank is not below the current outcome's. A retry always does, because an operator starts it on a
     * rejected file, and an announce replaces a hold, because it confirms the held file. A cancellation is final: the
     * central server accepts one only for a file it has not received.
     */
    enum Step {
        ANNOUNCED("announced_at", 0),
        HELD("held_at", 1),
        STORED("stored_at", 2),
        RETRIED("retried_at", 2),
        WAITING("waiting_at", 3),
        REJECTED("rejected_at", 4),
        DELIVERED("delivered_at", 5),
        CANCELLED("cancelled_at", 6);

        final String column;
        final int rank;

        Step(String column, int rank) {
            this.column = column;
            this.rank = rank;
        }

        String outcome() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** Returns whether this step replaces the current outcome. */
        boolean replaces(String currentOutcome) {
            Step current = valueOf(currentOutcome.toUpperCase(java.util.Locale.ROOT));
            return this == RETRIED || (this == ANNOUNCED && current == HELD) || rank >= current.rank;
        }
    }

    /** Search criteria; a null field does not restrict. */
    public record Query(String municipality, Instant from, Instant to, String nameContains, String outcome,
            int limit) {
    }

    /** Files and bytes delivered for one municipality. */
    public record Delivered(long files, long bytes) {
    }

    /** Files of one municipality that wait for their name, are held, or are still being received. */
    public record OpenCounts(int waitingForName, int held, int receiving) {
        static final OpenCounts NONE = new OpenCounts(0, 0, 0);
    }

    private static final String COLUMNS = "municipality, file_id, file_name, if_kind, size_bytes, sha256, announced_at,"
            + " stored_at, waiting_at, delivered_at, rejected_at, held_at, retried_at, cancelled_at, outcome, reason";

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
            record(connection, step, municipality, fileId, fileName, ifKind, size, sha256, reason, at);
        }
    }

    /** Records one step on the caller's connection, so that several steps can share one transaction. */
    void record(Connection connection, Step step, String municipality, String fileId, String fileName, String ifKind,
            Long size, String sha256, String reason, Instant at) throws SQLException {
        String current = currentOutcome(connection, municipality, fileId);
        if (current == null) {
            insert(connection, step, municipality, fileId, fileName, ifKind, size, sha256, reason, at);
        } else {
            String outcome = step.replaces(current) ? step.outcome() : current;
            update(connection, step, outcome, municipality, fileId, fileName, ifKind, size, sha256, reason, at);
        }
        if (step == Step.DELIVERED) {
            recordLastDelivery(connection, municipality, at);
        }
    }

    /** Keeps each municipality's latest delivery in its own table, so the status never scans the history for it. */
    private static void recordLastDelivery(Connection connection, String municipality, Instant at)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("MERGE INTO last_delivery (municipality,"
                + " delivered_at) KEY (municipality) VALUES (?, ?)")) {
            statement.setString(1, municipality);
            statement.setObject(2, HistoryDatabase.timestamp(at));
            statement.executeUpdate();
        }
    }

    private static String currentOutcome(Connection connection, String municipality, String fileId)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT outcome FROM transfer WHERE"
                + " municipality = ? AND file_id = ?")) {
            statement.setString(1, municipality);
            statement.setString(2, fileId);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() ? rows.getString(1) : null;
            }
        }
    }

    private static void update(Connection connection, Step step, String outcome, String municipality, String fileId,
            String fileName, String ifKind, Long size, String sha256, String reason, Instant at) throws SQLException {
        String reasonUpdate = step == Step.DELIVERED ? "NULL" : "COALESCE(?, reason)";
        String sql = "UPDATE transfer SET " + step.column + " = ?, outcome = ?, updated_at = ?,"
                + " file_name = COALESCE(?, file_name), if_kind = COALESCE(?, if_kind),"
                + " size_bytes = COALESCE(?, size_bytes), sha256 = COALESCE(?, sha256), reason = " + reasonUpdate
                + " WHERE municipality = ? AND file_id = ?";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            int i = 1;
            statement.setObject(i++, HistoryDatabase.timestamp(at));
            statement.setString(i++, outcome);
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
            statement.executeUpdate();
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

    /** Returns the time of the latest change to any record, or null when there is none. */
    public Instant latestUpdate() throws SQLException {
        try (Connection connection = database.connection();
                PreparedStatement statement = connection.prepareStatement("SELECT MAX(updated_at) FROM transfer");
                ResultSet rows = statement.executeQuery()) {
            if (!rows.next()) {
                return null;
            }
            OffsetDateTime latest = rows.getObject(1, OffsetDateTime.class);
            return latest == null ? null : latest.toInstant();
        }
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
                PreparedStatement statement = connection.prepareStatement("SELECT municipality, delivered_at AS"
                        + " last_delivered FROM last_delivery");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                latest.put(rows.getString(1).strip(), HistoryDatabase.instant(rows, "last_delivered"));
            }
        }
        return latest;
    }

    /**
     * Counts, per municipality, the files waiting for their name, those held since {@code heldSince} and those
     * announced but not stored since {@code receivingSince}. Each count reads only its outcome's rows through the
     * (outcome, updated_at) index.
     */
    public Map<String, OpenCounts> openCounts(Instant heldSince, Instant receivingSince) throws SQLException {
        Map<String, int[]> counts = new HashMap<>();
        try (Connection connection = database.connection()) {
            count(connection, "waiting", Instant.EPOCH, 0, counts);
            count(connection, "held", heldSince, 1, counts);
            count(connection, "announced", receivingSince, 2, counts);
        }
        Map<String, OpenCounts> result = new HashMap<>();
        counts.forEach((code, row) -> result.put(code, new OpenCounts(row[0], row[1], row[2])));
        return result;
    }

    private static void count(Connection connection, String outcome, Instant since, int slot,
            Map<String, int[]> counts) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT municipality, COUNT(*) FROM transfer"
                + " WHERE outcome = ? AND updated_at >= ? GROUP BY municipality")) {
            statement.setString(1, outcome);
            statement.setObject(2, HistoryDatabase.timestamp(since));
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    counts.computeIfAbsent(rows.getString(1).strip(), code -> new int[3])[slot] = rows.getInt(2);
                }
            }
        }
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
                HistoryDatabase.instant(rows, "cancelled_at"), rows.getString("outcome"), rows.getString("reason"));
    }

    private static String escapeLike(String text) {
        return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }
}
