package jp.kouiki.window.central.operator;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * When each municipality's agent last made a window request, and the version it reported in the
 * {@code Window-Agent-Version} header (or in a {@code User-Agent} of the form {@code window-agent/VERSION}). Kept in
 * memory on the request path and saved to the {@code agent_contact} table by {@link #save()}, so a restart or a
 * failover keeps the times.
 */
public final class AgentContacts {

    /** A municipality's last contact: when, and the agent's version or null. */
    public record Contact(Instant lastSeen, String version) {
    }

    public static final String VERSION_HEADER = "Window-Agent-Version";

    private static final Logger LOG = LoggerFactory.getLogger(AgentContacts.class);
    private static final Pattern VERSION = Pattern.compile("[0-9A-Za-z._+-]{1,64}");
    private static final String USER_AGENT_PREFIX = "window-agent/";

    private final Map<MunicipalityCode, Contact> contacts = new ConcurrentHashMap<>();
    private final Map<MunicipalityCode, Contact> unsaved = new ConcurrentHashMap<>();

    /** Records a window request of the municipality's certificate; the headers may be null. */
    public void seen(MunicipalityCode code, String versionHeader, String userAgent) {
        String version = version(versionHeader, userAgent);
        if (version == null) {
            // A request without a version (a hand-made one, say) does not erase the version the agent reported.
            Contact previous = contacts.get(code);
            version = previous == null ? null : previous.version();
        }
        Contact contact = new Contact(Instant.now(), version);
        contacts.put(code, contact);
        unsaved.put(code, contact);
    }

    /** Returns the version from the headers when it has the form of a version, otherwise null. */
    static String version(String versionHeader, String userAgent) {
        if (versionHeader != null && VERSION.matcher(versionHeader.strip()).matches()) {
            return versionHeader.strip();
        }
        if (userAgent != null && userAgent.startsWith(USER_AGENT_PREFIX)) {
            String candidate = userAgent.substring(USER_AGENT_PREFIX.length()).split(" ", 2)[0];
            return VERSION.matcher(candidate).matches() ? candidate : null;
        }
        return null;
    }

    public Contact get(MunicipalityCode code) {
        return contacts.get(code);
    }

    /** Loads the contacts saved before; a contact recorded since start-up is newer and stays. */
    void load(HistoryDatabase database) throws SQLException {
        try (Connection connection = database.connection();
                PreparedStatement statement = connection.prepareStatement("SELECT municipality, last_seen, version"
                        + " FROM agent_contact");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                String code = rows.getString("municipality").strip();
                if (MunicipalityCode.isValid(code)) {
                    contacts.putIfAbsent(MunicipalityCode.of(code),
                            new Contact(HistoryDatabase.instant(rows, "last_seen"), rows.getString("version")));
                }
            }
        }
    }

    /** Saves the contacts that changed since the last save. */
    void save(HistoryDatabase database) {
        if (unsaved.isEmpty()) {
            return;
        }
        try (Connection connection = database.connection();
                PreparedStatement statement = connection.prepareStatement("MERGE INTO agent_contact (municipality,"
                        + " last_seen, version) KEY (municipality) VALUES (?, ?, ?)")) {
            for (MunicipalityCode code : unsaved.keySet()) {
                Contact contact = unsaved.remove(code);
                if (contact == null) {
                    continue;
                }
                statement.setString(1, code.value());
                statement.setObject(2, HistoryDatabase.timestamp(contact.lastSeen()));
                statement.setString(3, contact.version());
                statement.addBatch();
            }
            statement.executeBatch();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Agents' last contact times could not be saved, the times in memory stay in use: error={}",
                    e.toString());
        }
    }
}
