package jp.kouiki.window.central.operator;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import jp.kouiki.window.municipality.Municipality;

/**
 * The versions and configuration digests of the central node and of every municipality's agent, with flags for the
 * agents that need attention. An agent is flagged when the server does not accept its version, when it runs another
 * version than most agents, or when its digest differs from the latest one its agent installation reported. The
 * majority version is the one reported by the most municipalities. When two or more versions tie for most, there is
 * no majority and no agent is flagged as differing from it. An installation serving several municipalities sends one
 * digest for all of them, so a municipality whose digest is outdated was last contacted before that installation's
 * configuration changed, or is no longer served by it.
 */
public final class AgentVersions {

    /** This central node: its product version, configuration digest, HA role and whether it is the active node. */
    public record CentralNode(String version, String configDigest, String role, boolean active) {
    }

    /** One municipality's agent as last seen; version, digest and instance are null when it never reported them. */
    public record AgentRow(String code, String name, String version, String configDigest, String instance,
            String lastSeenAt, boolean versionNotAccepted, boolean versionDiffersFromMajority,
            boolean configDigestOutdated) {
    }

    /**
     * The counts behind the flags.
     *
     * @param agentsSeen      municipalities whose agent reported a version
     * @param configDigests   distinct configuration digests among them
     * @param instances       distinct agent installations among them
     */
    public record Summary(int agentsSeen, int versionNotAccepted, int versionDiffersFromMajority,
            int configDigestOutdated, int configDigests, int instances) {
    }

    /** The whole view; {@code acceptedAgentVersions} is empty when every version is accepted. */
    public record Report(CentralNode central, List<String> acceptedAgentVersions, String majorityVersion,
            Summary summary, List<AgentRow> agents) {
    }

    /**
     * The accepted list, the majority version and each agent installation's latest digest at one moment, for flagging
     * many municipalities consistently.
     */
    record Snapshot(List<String> accepted, String majorityVersion, Map<String, String> latestDigests) {

        boolean notAccepted(String version) {
            return version != null && !accepted.isEmpty() && !accepted.contains(version);
        }

        boolean differsFromMajority(String version) {
            return version != null && majorityVersion != null && !majorityVersion.equals(version);
        }

        boolean digestOutdated(AgentContacts.Contact contact) {
            if (contact == null || contact.instance() == null || contact.configDigest() == null) {
                return false;
            }
            return !contact.configDigest().equals(latestDigests.get(contact.instance()));
        }
    }

    private final Supplier<List<Municipality>> served;
    private final AgentContacts contacts;
    private final Supplier<List<String>> accepted;
    private final Supplier<CentralNode> central;

    /**
     * Creates the view over the municipalities served now.
     *
     * @param served the municipalities served now, which a reload of the municipality list may change
     */
    public AgentVersions(Supplier<List<Municipality>> served, AgentContacts contacts, Supplier<List<String>> accepted,
            Supplier<CentralNode> central) {
        this.served = served;
        this.contacts = contacts;
        this.accepted = accepted;
        this.central = central;
    }

    /** Takes the accepted list in force, and the majority version and latest digests of the served municipalities. */
    Snapshot snapshot() {
        Map<String, Integer> counts = new HashMap<>();
        Map<String, AgentContacts.Contact> latest = new HashMap<>();
        for (Municipality municipality : served.get()) {
            AgentContacts.Contact contact = contacts.get(municipality.code());
            if (contact != null && contact.version() != null) {
                counts.merge(contact.version(), 1, Integer::sum);
            }
            if (contact != null && contact.instance() != null && contact.configDigest() != null) {
                latest.merge(contact.instance(), contact, (one, other) -> one.lastSeen().isAfter(other.lastSeen())
                        ? one : other);
            }
        }
        Map<String, String> latestDigests = new HashMap<>();
        latest.forEach((instance, contact) -> latestDigests.put(instance, contact.configDigest()));
        String majority = null;
        int most = 0;
        boolean tie = false;
        for (Map.Entry<String, Integer> count : counts.entrySet()) {
            if (count.getValue() > most) {
                majority = count.getKey();
                most = count.getValue();
                tie = false;
            } else if (count.getValue() == most) {
                tie = true;
            }
        }
        return new Snapshot(accepted.get(), tie ? null : majority, Map.copyOf(latestDigests));
    }

    /** Builds the report over every served municipality, in code order. */
    public Report report() {
        Snapshot snapshot = snapshot();
        List<AgentRow> rows = new ArrayList<>();
        int seen = 0;
        int notAccepted = 0;
        int differing = 0;
        int outdated = 0;
        Set<String> digests = new HashSet<>();
        Set<String> instances = new HashSet<>();
        for (Municipality municipality : served.get()) {
            AgentRow row = row(municipality, contacts.get(municipality.code()), snapshot);
            rows.add(row);
            seen += row.version() == null ? 0 : 1;
            notAccepted += row.versionNotAccepted() ? 1 : 0;
            differing += row.versionDiffersFromMajority() ? 1 : 0;
            outdated += row.configDigestOutdated() ? 1 : 0;
            if (row.configDigest() != null) {
                digests.add(row.configDigest());
            }
            if (row.instance() != null) {
                instances.add(row.instance());
            }
        }
        return new Report(central.get(), snapshot.accepted(), snapshot.majorityVersion(),
                new Summary(seen, notAccepted, differing, outdated, digests.size(), instances.size()), rows);
    }

    private static AgentRow row(Municipality municipality, AgentContacts.Contact contact, Snapshot snapshot) {
        if (contact == null) {
            return new AgentRow(municipality.code().value(), municipality.name(), null, null, null, null, false,
                    false, false);
        }
        return new AgentRow(municipality.code().value(), municipality.name(), contact.version(),
                contact.configDigest(), contact.instance(), Times.iso(contact.lastSeen()),
                snapshot.notAccepted(contact.version()), snapshot.differsFromMajority(contact.version()),
                snapshot.digestOutdated(contact));
    }
}
