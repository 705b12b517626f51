package jp.kouiki.window.central.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.logging.log4j.core.net.Facility;
import org.apache.logging.log4j.core.net.Protocol;
import org.junit.jupiter.api.Test;

/** Alerts sent to syslog listeners on loopback, over UDP and TCP, checked field by field against RFC 5424. */
class AlertSyslogTest {

    /** PRI of facility local0 (16) with severity warning (4): 16 * 8 + 4. */
    private static final String LOCAL0_WARNING = "<132>1 ";
    private static final String ALERT = "WINDOW-ALERT agent silent for 130 min: municipality=131016 name=千代田区";

    private final List<String> received = new CopyOnWriteArrayList<>();

    @Test
    void alertArrivesOverUdp() throws Exception {
        try (DatagramSocket listener = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            Thread reader = daemon(() -> receiveDatagrams(listener));
            try (AlertSyslog syslog = new AlertSyslog(settings(listener.getLocalPort(), Protocol.UDP))) {
                syslog.send(ALERT);

                await("syslog datagram received").atMost(Duration.ofSeconds(20)).until(() -> !received.isEmpty());
            }
            listener.close();
            reader.join(5000);
        }

        assertRfc5424(received.get(0));
    }

    @Test
    void alertArrivesOverTcpOnePerLine() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread reader = daemon(() -> receiveLines(listener));
            try (AlertSyslog syslog = new AlertSyslog(settings(listener.getLocalPort(), Protocol.TCP))) {
                syslog.send(ALERT);
                syslog.send(ALERT.replace("131016", "131024"));

                await("two syslog lines received").atMost(Duration.ofSeconds(20)).until(() -> received.size() == 2);
            }
            listener.close();
            reader.join(5000);
        }

        assertRfc5424(received.get(0));
        assertThat(received.get(1)).endsWith("municipality=131024 name=千代田区");
    }

    @Test
    void unreachableServerDoesNotThrow() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        try (AlertSyslog syslog = new AlertSyslog(settings(closedPort, Protocol.TCP))) {
            syslog.send(ALERT);
        }
        assertThat(received).isEmpty();
    }

    @Test
    void blankHostSendsNothing() throws Exception {
        try (DatagramSocket listener = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            Thread reader = daemon(() -> receiveDatagrams(listener));
            try (AlertSyslog syslog = new AlertSyslog(new AlertSyslog.Settings("", listener.getLocalPort(),
                    Protocol.UDP, Facility.LOCAL0, "window-central"))) {
                syslog.send(ALERT);
            }

            await("nothing received").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                    .until(received::isEmpty);
            listener.close();
            reader.join(5000);
        }
    }

    private static void assertRfc5424(String message) {
        assertThat(message).startsWith(LOCAL0_WARNING);
        String[] fields = message.split(" ", 8);
        assertThat(fields[1]).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}.*");
        assertThat(fields[3]).isEqualTo("window-central");
        assertThat(fields[5]).isEqualTo("WINDOW-ALERT");
        assertThat(fields[6]).isEqualTo("-");
        assertThat(fields[7]).isEqualTo(ALERT);
    }

    private static AlertSyslog.Settings settings(int port, Protocol protocol) {
        return new AlertSyslog.Settings("127.0.0.1", port, protocol, Facility.LOCAL0, "window-central");
    }

    private void receiveDatagrams(DatagramSocket listener) {
        byte[] buffer = new byte[8192];
        while (!listener.isClosed()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                listener.receive(packet);
                received.add(new String(packet.getData(), 0, packet.getLength(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void receiveLines(ServerSocket listener) {
        try (Socket client = listener.accept();
                BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(),
                        StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                received.add(line);
            }
        } catch (SocketException closed) {
            // The test closed the listener.
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Thread daemon(Runnable body) {
        Thread thread = new Thread(body, "test-syslog");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
