package jp.kouiki.window.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP relay on loopback that closes every connection on which no byte has passed in either direction for its idle
 * timeout, as a forward proxy or firewall on a municipal line does. On request, it also cuts every connection once
 * its client has sent a given number of bytes, as an unstable line drops connections that carry traffic.
 *
 * <p>The traffic is TLS, so the relay recognises an upload in progress by its bytes: a connection is uploading while
 * the client has sent more than {@link #UPLOADING_BYTES} since the server's last byte. For those stretches it records
 * the longest silence of the client and counts the connections it cut.
 */
final class LineRelay implements AutoCloseable {

    /** Client bytes since the server's last byte from which a connection counts as uploading a request body. */
    static final long UPLOADING_BYTES = 4096;

    private final ServerSocket listener;
    private final int targetPort;
    private final long idleTimeoutMillis;
    private final List<Connection> connections = new CopyOnWriteArrayList<>();
    private final AtomicInteger cutWhileUploading = new AtomicInteger();
    private final AtomicInteger cutIdle = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicLong longestUploadSilenceNanos = new AtomicLong();
    private final AtomicInteger cutAtByteLimit = new AtomicInteger();
    private volatile long clientByteLimit = Long.MAX_VALUE;
    private final Thread acceptor;
    private final Thread watchdog;
    private volatile boolean closed;

    /** One relayed connection and its activity, in System.nanoTime() units. */
    private final class Connection {
        final Socket client;
        final Socket server;
        final AtomicLong lastActivity = new AtomicLong(System.nanoTime());
        final AtomicLong lastClientByte = new AtomicLong(System.nanoTime());
        final AtomicLong clientBytesSinceServer = new AtomicLong();
        final AtomicLong clientBytes = new AtomicLong();

        Connection(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        boolean uploading() {
            return clientBytesSinceServer.get() > UPLOADING_BYTES;
        }

        void clientSent(int bytes) {
            long now = System.nanoTime();
            if (uploading()) {
                longestUploadSilenceNanos.accumulateAndGet(now - lastClientByte.get(), Math::max);
            }
            lastClientByte.set(now);
            lastActivity.set(now);
            clientBytesSinceServer.addAndGet(bytes);
            clientBytes.addAndGet(bytes);
        }

        void serverSent() {
            lastActivity.set(System.nanoTime());
            clientBytesSinceServer.set(0);
        }

        void close() {
            closeQuietly(client);
            closeQuietly(server);
        }
    }

    LineRelay(int targetPort, long idleTimeoutMillis) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        this.idleTimeoutMillis = idleTimeoutMillis;
        this.acceptor = new Thread(this::acceptLoop, "relay-accept");
        this.watchdog = new Thread(this::watchLoop, "relay-watchdog");
        acceptor.setDaemon(true);
        watchdog.setDaemon(true);
        acceptor.start();
        watchdog.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /**
     * Cuts every connection, open or later, once its client has sent {@code bytes}. The bytes beyond the limit in the
     * same read are not passed on.
     */
    void cutEachConnectionAfter(long bytes) {
        this.clientByteLimit = bytes;
    }

    /** Returns the connections cut because their client reached the byte limit. */
    int cutAtByteLimit() {
        return cutAtByteLimit.get();
    }

    /** Returns the connections accepted since the relay started. */
    int accepted() {
        return accepted.get();
    }

    /** Returns the connections cut for idleness while the client was sending a request body. */
    int cutWhileUploading() {
        return cutWhileUploading.get();
    }

    /** Returns the connections cut for idleness between requests, such as idle keep-alive connections. */
    int cutIdle() {
        return cutIdle.get();
    }

    /** Returns the longest silence of a client in the middle of a request body, in ms. */
    long longestUploadSilenceMillis() {
        return TimeUnit.NANOSECONDS.toMillis(longestUploadSilenceNanos.get());
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                accepted.incrementAndGet();
                Socket server = new Socket();
                server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
                Connection connection = new Connection(client, server);
                connections.add(connection);
                pump(connection, client, server, true);
                pump(connection, server, client, false);
            } catch (IOException e) {
                if (!closed) {
                    System.err.println("relay: connection not relayed: " + e);
                }
            }
        }
    }

    private void pump(Connection connection, Socket from, Socket to, boolean fromClient) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    if (fromClient) {
                        long allowed = clientByteLimit - connection.clientBytes.get();
                        if (allowed < read) {
                            out.write(buffer, 0, (int) Math.max(0, allowed));
                            out.flush();
                            cutAtByteLimit.incrementAndGet();
                            break;
                        }
                        connection.clientSent(read);
                    } else {
                        connection.serverSent();
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                }
            } catch (IOException e) {
                // The other side or the watchdog closed the connection.
            } finally {
                connection.close();
                connections.remove(connection);
            }
        }, fromClient ? "relay-up" : "relay-down");
        thread.setDaemon(true);
        thread.start();
    }

    private void watchLoop() {
        while (!closed) {
            long now = System.nanoTime();
            for (Connection connection : connections) {
                if (now - connection.lastActivity.get() > TimeUnit.MILLISECONDS.toNanos(idleTimeoutMillis)) {
                    (connection.uploading() ? cutWhileUploading : cutIdle).incrementAndGet();
                    connections.remove(connection);
                    connection.close();
                }
            }
            try {
                TimeUnit.MILLISECONDS.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Closing a relayed socket that is already closed.
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
        watchdog.interrupt();
        for (Connection connection : connections) {
            connection.close();
        }
    }
}
