package jp.kouiki.window.central.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Alert mails through a minimal SMTP listener on loopback that records what it receives. */
class AlertMailTest {

    private ServerSocket listener;
    private Thread server;
    private final List<String> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startListener() throws IOException {
        listener = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        server = new Thread(this::serve, "test-smtp");
        server.setDaemon(true);
        server.start();
    }

    @AfterEach
    void stopListener() throws Exception {
        listener.close();
        server.join(5000);
    }

    @Test
    void alertArrivesAtRelay() throws Exception {
        try (AlertMail mail = new AlertMail(new AlertMail.Settings("127.0.0.1", listener.getLocalPort(), false,
                "window-server@kouiki.example.lg.jp", List.of("operators@kouiki.example.lg.jp"), 5000))) {

            mail.send("WINDOW-ALERT agent silent for 130 min", "WINDOW-ALERT agent silent for 130 min:"
                    + " municipality=131016\n");

            await("mail received").atMost(Duration.ofSeconds(20)).until(() -> received.contains("QUIT"));
        }
        assertThat(received).contains("MAIL FROM:<window-server@kouiki.example.lg.jp>")
                .contains("RCPT TO:<operators@kouiki.example.lg.jp>")
                .contains("Subject: WINDOW-ALERT agent silent for 130 min")
                .contains("WINDOW-ALERT agent silent for 130 min: municipality=131016");
    }

    @Test
    void unreachableRelayDoesNotThrow() throws Exception {
        int closedPort = listener.getLocalPort();
        listener.close();
        try (AlertMail mail = new AlertMail(new AlertMail.Settings("127.0.0.1", closedPort, false,
                "window-server@kouiki.example.lg.jp", List.of("operators@kouiki.example.lg.jp"), 2000))) {
            mail.send("WINDOW-ALERT test", "text");
        }
        assertThat(received).isEmpty();
    }

    @Test
    void blankHostSendsNothing() throws Exception {
        try (AlertMail mail = new AlertMail(new AlertMail.Settings("", listener.getLocalPort(), false,
                "window-server@localhost", List.of(), 2000))) {
            mail.send("WINDOW-ALERT test", "text");
        }
        await("nothing received").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(received::isEmpty);
    }

    /** Speaks just enough SMTP for one client: greeting, 250 to each command, 354 to DATA, 221 to QUIT. */
    private void serve() {
        while (!listener.isClosed()) {
            try (Socket client = listener.accept();
                    BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(),
                            StandardCharsets.UTF_8));
                    OutputStream out = client.getOutputStream()) {
                reply(out, "220 test ESMTP");
                boolean data = false;
                String line;
                while ((line = in.readLine()) != null) {
                    received.add(line);
                    if (data) {
                        if (line.equals(".")) {
                            data = false;
                            reply(out, "250 queued");
                        }
                    } else if (line.startsWith("DATA")) {
                        data = true;
                        reply(out, "354 go ahead");
                    } else if (line.startsWith("QUIT")) {
                        reply(out, "221 bye");
                        break;
                    } else {
                        reply(out, "250 ok");
                    }
                }
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void reply(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }
}
