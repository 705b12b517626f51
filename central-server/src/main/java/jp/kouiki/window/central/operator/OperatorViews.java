package jp.kouiki.window.central.operator;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.Map;

import jp.kouiki.window.central.CentralSettings;
import jp.kouiki.window.municipality.Municipality;
import jp.kouiki.window.municipality.MunicipalityCode;

/** Builds the per-municipality status from the broker, the pause flags, the transfer history and agent contacts. */
public final class OperatorViews {

    /** Most files of one kind that a status counts or names from the history. */
    static final int MAX_FILES = 100;

    private final CentralSettings settings;
    private final BrokerView broker;
    private final PauseFlags pauses;
    private final TransferHistory history;
    private final AgentContacts contacts;
    private final Supplier<List<Municipality>> served;
    private final AgentVersions versions;

    public OperatorViews(CentralSettings settings, BrokerView broker, PauseFlags pauses, TransferHistory history,
            AgentContacts contacts, Supplier<List<Municipality>> served, AgentVersions versions) {
        this.settings = settings;
        this.served = served;
        this.broker = broker;
        this.pauses = pauses;
        this.history = history;
        this.contacts = contacts;
        this.versions = versions;
    }

    /** Returns the municipalities served now, which a reload of {@code central.municipalities} may have changed. */
    public List<Municipality> served() {
        return served.get();
    }

    /** Returns whether the municipality is served now. */
    public boolean isServed(MunicipalityCode code) {
        return served.get().stream().anyMatch(municipality -> municipality.code().equals(code));
    }

    /** Returns the status of every served municipality, in code order. */
    public List<MunicipalityStatus> statuses() throws SQLException {
        HistoryTotals totals = totals();
        List<MunicipalityStatus> statuses = new ArrayList<>();
        for (Municipality municipality : served.get()) {
            statuses.add(status(municipality, totals));
        }
        return statuses;
    }

    /** The history's part of every status, read for all municipalities at once. */
    private record HistoryTotals(Map<String, TransferHistory.Delivered> today, Map<String, Instant> last,
            Map<String, TransferHistory.OpenCounts> open, AgentVersions.Snapshot agentVersions) {
    }

    private HistoryTotals totals() throws SQLException {
        return new HistoryTotals(history.deliveredSince(Times.startOfToday()), history.lastDelivered(),
                history.openCounts(heldSince(), receivingSince()), versions.snapshot());
    }

    /** Returns the status of one served municipality, or null when it is not served here. */
    public MunicipalityStatus status(MunicipalityCode code) throws SQLException {
        for (Municipality municipality : served.get()) {
            if (municipality.code().equals(code)) {
                return status(municipality, totals());
            }
        }
        return null;
    }

    private MunicipalityStatus status(Municipality municipality, HistoryTotals totals) {
        MunicipalityCode code = municipality.code();
        Instant now = Instant.now();
        PauseFlags.Pause pause = pauses.pause(code);
        BrokerView.QueueState upload = broker.upload(code);
        BrokerView.QueueState download = broker.download(code);
        BrokerView.QueueState deadLetters = broker.deadLetters(code);
        TransferHistory.Delivered delivered = totals.today().getOrDefault(code.value(),
                new TransferHistory.Delivered(0, 0));
        TransferHistory.OpenCounts open = totals.open().getOrDefault(code.value(), TransferHistory.OpenCounts.NONE);
        AgentContacts.Contact contact = contacts.get(code);
        Instant oldest = upload.oldestTimestamp() == null ? null : Instant.ofEpochMilli(upload.oldestTimestamp());
        return new MunicipalityStatus(code.value(), municipality.name(), pause != null,
                pause == null ? null : pause.operator(), pause == null ? null : Times.iso(pause.at()),
                pause == null ? null : pause.reason(),
                upload.messages(), upload.bytes(), Times.iso(oldest),
                oldest == null ? null : Duration.between(oldest, now).toSeconds(),
                upload.oldest() == null ? null : upload.oldest().fileName(),
                download.messages(), download.bytes(), deadLetters.messages(),
                delivered.files(), delivered.bytes(), Times.iso(totals.last().get(code.value())),
                contact == null ? null : Times.iso(contact.lastSeen()),
                contact == null ? null : Duration.between(contact.lastSeen(), now).toSeconds(),
                contact == null ? null : contact.version(),
                open.waitingForName(), open.held(), open.receiving(),
                contact == null ? null : contact.configDigest(),
                totals.agentVersions().notAccepted(contact == null ? null : contact.version()),
                totals.agentVersions().differsFromMajority(contact == null ? null : contact.version()),
                totals.agentVersions().digestOutdated(contact));
    }

    /** Files of the municipality whose name is taken in the union's folder. */
    List<Transfer> waitingForName(MunicipalityCode code) throws SQLException {
        return history.withOutcome(code.value(), "waiting", Instant.EPOCH, MAX_FILES);
    }

    /** Files of the municipality held as possible duplicates within the hold window. */
    List<Transfer> held(MunicipalityCode code) throws SQLException {
        return history.withOutcome(code.value(), "held", heldSince(), MAX_FILES);
    }

    private Instant heldSince() {
        return Instant.now().minus(Duration.ofDays(Math.max(1, settings.resubmissionHoldDays())));
    }

    private Instant receivingSince() {
        return Instant.now().minus(Duration.ofDays(settings.ledgerRetentionDays()));
    }

    /**
     * Files of the municipality announced but not stored yet, within the ledger retention after which the server
     * deletes an abandoned partial upload.
     */
    List<Transfer> receiving(MunicipalityCode code) throws SQLException {
        return history.withOutcome(code.value(), "announced", receivingSince(), MAX_FILES);
    }

    CentralSettings settings() {
        return settings;
    }

    /** Returns the versions of this node and of the agents, with the accepted list. */
    AgentVersions versions() {
        return versions;
    }

    BrokerView broker() {
        return broker;
    }

    PauseFlags pauses() {
        return pauses;
    }

    TransferHistory history() {
        return history;
    }
}
