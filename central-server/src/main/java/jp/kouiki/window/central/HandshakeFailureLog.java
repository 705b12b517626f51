package jp.kouiki.window.central;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs the TLS handshakes that the window port rejects, such as a client without a certificate, with an expired one
 * or one from another authority, or with TLS older than 1.2. Jetty logs them only at debug level, so without this an
 * operator could not see why a municipality's agent fails to connect. The same remote address and reason are logged
 * at most once per {@link #REPEAT_INTERVAL}, with the number of rejections left out since.
 */
final class HandshakeFailureLog implements SslHandshakeListener {

    static final Duration REPEAT_INTERVAL = Duration.ofMinutes(1);
    /**
     * Maximum number of remote addresses and reasons remembered. A new one beyond it makes the log forget those last
     * logged over an interval ago, or all of them when none is that old.
     */
    static final int MAX_REMEMBERED = 1024;
    private static final Logger LOG = LoggerFactory.getLogger(HandshakeFailureLog.class);

    private record Key(String address, String reason) {
    }

    /** When a remote address and reason were last logged, and the rejections not logged since. */
    private static final class Logged {
        long atNanos;
        int leftOut;

        Logged(long atNanos) {
            this.atNanos = atNanos;
        }
    }

    private final String port;
    /** The remote addresses and reasons logged, guarded by itself. */
    private final Map<Key, Logged> logged = new HashMap<>();

    /** @param port the port as the log lines name it */
    HandshakeFailureLog(String port) {
        this.port = port;
    }

    @Override
    public void handshakeFailed(Event event, Throwable failure) {
        Key key = new Key(addressOf(event.getEndPoint()), reasonOf(failure));
        long now = System.nanoTime();
        int leftOut;
        synchronized (logged) {
            Logged last = logged.get(key);
            if (last != null && now - last.atNanos < REPEAT_INTERVAL.toNanos()) {
                last.leftOut++;
                return;
            }
            leftOut = last == null ? 0 : last.leftOut;
            if (last == null && logged.size() >= MAX_REMEMBERED) {
                forgetOld(now);
            }
            logged.put(key, new Logged(now));
        }
        LOG.warn("TLS handshake rejected: port={} remote={} reason=\"{}\" rejectionsNotLoggedSince={}; check that"
                + " the client connects with https:// and TLS 1.2 or 1.3, and that its certificate is issued by the"
                + " union's authority and not expired or revoked", port, key.address(), key.reason(), leftOut);
    }

    /** Forgets the entries logged more than one interval ago, or all of them when none is that old. */
    private void forgetOld(long now) {
        logged.values().removeIf(entry -> now - entry.atNanos >= REPEAT_INTERVAL.toNanos());
        if (logged.size() >= MAX_REMEMBERED) {
            logged.clear();
        }
    }

    private static String addressOf(EndPoint endPoint) {
        SocketAddress remote = endPoint == null ? null : endPoint.getRemoteSocketAddress();
        if (remote instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return String.valueOf(remote);
    }

    /**
     * Returns the failure's message, followed by its innermost cause's where that adds to it, as for an expired
     * certificate, whose innermost cause gives the end of its validity.
     */
    static String reasonOf(Throwable failure) {
        String outer = failure.getMessage();
        String inner = null;
        for (Throwable cause = failure.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            if (cause.getMessage() != null && !cause.getMessage().isBlank()) {
                inner = cause.getMessage();
            }
        }
        String reason;
        if (outer == null || outer.isBlank()) {
            reason = inner != null ? inner : failure.getClass().getSimpleName();
        } else if (inner != null && !outer.contains(inner)) {
            reason = outer + " (" + inner + ")";
        } else {
            reason = outer;
        }
        return reason.length() > 300 ? reason.substring(0, 300) : reason;
    }
}
