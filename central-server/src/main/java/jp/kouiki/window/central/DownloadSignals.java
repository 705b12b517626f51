package jp.kouiki.window.central;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jp.kouiki.window.municipality.MunicipalityCode;

/** Wakes the long-polls of a municipality as soon as a file has been queued for it. */
final class DownloadSignals {

    private final Map<MunicipalityCode, Object> monitors = new ConcurrentHashMap<>();

    /** Tells every long-poll of the municipality to look at its queue again. */
    void signal(MunicipalityCode code) {
        Object monitor = monitor(code);
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    /** Waits until {@link #signal} is called for the municipality or the time has passed, in ms. */
    void await(MunicipalityCode code, long millis) throws InterruptedException {
        if (millis <= 0) {
            return;
        }
        Object monitor = monitor(code);
        synchronized (monitor) {
            monitor.wait(millis);
        }
    }

    private Object monitor(MunicipalityCode code) {
        return monitors.computeIfAbsent(code, key -> new Object());
    }
}
