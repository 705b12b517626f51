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
 * When each municipality's agent last made a window request, the version it reported in the
 * {@code Window-Agent-Version} header (or in a {@code User-Agent} of the form {@code window-agent/VERSION}) and the
 * digest of its effective configuration from the {@code Window-Agent-Config} header and the id of the agent
 * installation from {@code Window-Agent-Instance}. Kept in memory on the request path and saved to the
 * {@code agent_contact} table by {@link #save()}, so a restart or a failover keeps them.
 */
public final class AgentContacts {

    /**
     * A municipality's last contact: when, the agent's version, its configuration digest and its installation's id,
     * each null if unknown.
     */
    public record Contact(Instant lastSeen, String version, String configDigest, String instance) {
    }

    public static final String VERSION_HEADER = "Window-Agent-Version";
    /** The header with the SHA-256 digest of the agent's effective configuration, 64 lowercase hexadecimal digits. */
    public static final String CONFIG_HEADER = "Window-Agent-Config";
    /** The header with the id of the agent installation, 32 lowercase hexadecimal digits. */
    public static final String INSTANCE_HEADER = "Window-Agent-Instance";

    private static final Logger LOG = LoggerFactory.getLogger(AgentContacts.class);
    private static final Pattern VERSION = Pattern.compile("[0-9A-Za-z._+-]{1,64}");
    private static final String USER_AGENT_PREFIX = "window-agent/";
    private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern INSTANCE = Pattern.compile("[0-9a-f]{32}");

    private final Map<MunicipalityCode, Contact> contacts = new ConcurrentHashMap<>();
    private final Map<MunicipalityCode, Contact> unsaved = new ConcurrentHashMap<>();

    /**
     * Records a window request of the municipality's certificate; the headers may be null.
     *
     * @return the version this request reported, or null when it reported none
     */
    public String seen(MunicipalityCode code, String versionHeader, String userAgent, String configHeader,
            String instanceHeader) {
        return seen(code, versionHeader, userAgent, configHeader, instanceHeader, Instant.now());
    }

    /** Records a window request made at {@code now}. */
    String seen(MunicipalityCode code, String versionHeader, String userAgent, String configHeader,
            String instanceHeader, Instant now) {
        String reported = version(versionHeader, userAgent);
        String digest = matching(DIGEST, configHeader);
        String instance = matching(INSTANCE, instanceHeader);
        Contact previous = contacts.get(code);
        // A request without these headers (a hand-made one, say) does not erase what the agent reported.
        if (previous != null) {
            digest = digest == null ? previous.configDigest() : digest;
            instance = instance == null ? previous.instance() : instance;
        }
        String version = reported == null && previous != null ? previous.version() : reported;
        Contact contact = new Contact(now, version, digest, instance);
        contacts.put(code, contact);
        unsaved.put(code, contact);
        return reported;
    }

    private static String matching(Pattern form, String header) {
        return header != null && form.matcher(header.strip()).matches() ? header.strip() : null;
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

    /** Returns every municipality's last contact. */
    public Map<MunicipalityCode, Contact> all() {
        return Map.copyOf(contacts);
    }

    /** Loads the contacts saved before; a contact recorded since start-up is newer and stays. */
    void load(HistoryDatabase database) throws SQLException {
        try (Connection connection = database.connection();
                PreparedStatement statement = connection.prepareStatement("SELECT municipality, last_seen, version,"
                        + " config_digest, agent_instance FROM agent_contact");
                ResultSet rows = statement.executeQuery()) {
            while (rows.next()) {
                String code = rows.getString("municipality").strip();
                if (MunicipalityCode.isValid(code)) {
                    contacts.putIfAbsent(MunicipalityCode.of(code),
                            new Contact(HistoryDatabase.instant(rows, "last_seen"), rows.getString("version"),
                                    rows.getString("config_digest"), rows.getString("agent_instance")));
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
                        + " last_seen, version, config_digest, agent_instance) KEY (municipality)"
                        + " VALUES (?, ?, ?, ?, ?)")) {
            for (MunicipalityCode code : unsaved.keySet()) {
                Contact contact = unsaved.remove(code);
                if (contact == null) {
                    continue;
                }
                statement.setString(1, code.value());
                statement.setObject(2, HistoryDatabase.timestamp(contact.lastSeen()));
                statement.setString(3, contact.version());
                statement.setString(4, contact.configDigest());
                statement.setString(5, contact.instance());
                statement.addBatch();
            }
            statement.executeBatch();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Agents' last contact times could not be saved, the times in memory stay in use: error={}",
                    e.toString());
        }
    }
}
