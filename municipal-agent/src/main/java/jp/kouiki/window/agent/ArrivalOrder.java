package jp.kouiki.window.agent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Places the staged files of each name in the order they arrived, as far as the name is free in the destination
 * folder, so that a later file of a name never overtakes an earlier one that still waits. The inbox writer and the
 * union's inbound writer share it, and each gives it how to place one file and how to report the ones that wait.
 */
final class ArrivalOrder {

    /** Places one staged file without replacing anything, and returns false when its name is taken. */
    @FunctionalInterface
    interface Placement {
        boolean place(MunicipalityCode code, String fileId, String fileName) throws IOException;
    }

    /** Reports the files of a name that still wait after a placement, oldest first, in a list that may be empty. */
    @FunctionalInterface
    interface Waiting {
        void report(MunicipalityCode code, String fileName, List<InboxLedger.Pending> waiting) throws IOException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(ArrivalOrder.class);

    private final InboxLedger ledger;
    private final String folderName;
    private final Placement placement;
    private final Waiting waiting;

    /** @param folderName the destination as staff know it, such as "inbox", for the log lines */
    ArrivalOrder(InboxLedger ledger, String folderName, Placement placement, Waiting waiting) {
        this.ledger = ledger;
        this.folderName = folderName;
        this.placement = placement;
        this.waiting = waiting;
    }

    /** Places the waiting files of one name, oldest first, until one has to wait. */
    synchronized void place(MunicipalityCode code, String fileName) throws IOException {
        List<InboxLedger.Pending> group = new ArrayList<>();
        for (InboxLedger.Pending pending : ledger.pending(code)) {
            if (pending.fileName().equals(fileName)) {
                group.add(pending);
            }
        }
        placeGroup(code, fileName, group);
    }

    /** Places every waiting file whose turn has come. A name that fails does not hold up the others. */
    synchronized void sweep() {
        Map<String, List<InboxLedger.Pending>> byName = new LinkedHashMap<>();
        try {
            for (InboxLedger.Pending pending : ledger.pending()) {
                byName.computeIfAbsent(pending.code() + "/" + pending.fileName(), key -> new ArrayList<>())
                        .add(pending);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Sweep of the {} could not list the waiting files, trying again at the next sweep: error={}",
                    folderName, e.toString());
            return;
        }
        for (List<InboxLedger.Pending> group : byName.values()) {
            InboxLedger.Pending first = group.get(0);
            try {
                placeGroup(first.code(), first.fileName(), group);
            } catch (IOException | RuntimeException e) {
                LOG.warn("Waiting file could not be renamed into the {}, trying again at the next sweep:"
                        + " municipality={} file={} fileId={} error={}", folderName, first.code(), first.fileName(),
                        first.fileId(), e.toString());
            }
        }
    }

    private void placeGroup(MunicipalityCode code, String fileName, List<InboxLedger.Pending> group)
            throws IOException {
        int placed = 0;
        while (placed < group.size() && placement.place(code, group.get(placed).fileId(), fileName)) {
            placed++;
        }
        waiting.report(code, fileName, group.subList(placed, group.size()));
    }
}
