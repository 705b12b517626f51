package jp.kouiki.window.central;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * The municipalities a running window server serves, which can change without a restart. A served municipality may
 * send new files. A municipality removed since start-up stays known, so its stored files are still delivered and its
 * agent may fetch its queued downloads and ask about its files, but it may not send new files.
 */
final class MunicipalityRoster {

    private volatile Set<MunicipalityCode> served;
    private final Set<MunicipalityCode> known = ConcurrentHashMap.newKeySet();

    MunicipalityRoster(Collection<MunicipalityCode> served) {
        this.served = Set.copyOf(served);
        this.known.addAll(served);
    }

    boolean isServed(MunicipalityCode code) {
        return served.contains(code);
    }

    /** Returns whether the municipality was served at any time since start-up. */
    boolean isKnown(MunicipalityCode code) {
        return known.contains(code);
    }

    /** Returns the served municipalities in code order. */
    List<MunicipalityCode> served() {
        return List.copyOf(new TreeSet<>(served));
    }

    synchronized void add(MunicipalityCode code) {
        known.add(code);
        Set<MunicipalityCode> next = new TreeSet<>(served);
        next.add(code);
        served = Set.copyOf(next);
    }

    synchronized void remove(MunicipalityCode code) {
        Set<MunicipalityCode> next = new TreeSet<>(served);
        next.remove(code);
        served = Set.copyOf(next);
    }
}
