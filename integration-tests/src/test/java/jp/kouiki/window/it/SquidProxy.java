package jp.kouiki.window.it;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private squid from Debian's package as the forward proxy of a municipal network. It listens on 127.0.0.1 on a free
 * port, keeps no cache, and has its own configuration, pid file and logs in a temporary folder. It requires Basic
 * proxy authentication against a password file that htpasswd writes. It allows CONNECT only to loopback ports from
 * 1024 up and resolves names only through /etc/hosts and a name server on 127.0.0.1, so nothing leaves this machine.
 */
final class SquidProxy implements AutoCloseable {

    private static final Path SQUID = Path.of("/usr/sbin/squid");
    private static final Path NCSA_AUTH = Path.of("/usr/lib/squid/basic_ncsa_auth");
    private static final Path HTPASSWD = Path.of("/usr/bin/htpasswd");
    /** The user that squid switches to when started as root; the Debian package creates it. */
    private static final String UNPRIVILEGED_USER = "proxy";

    final int port;
    final Path folder;
    private final Process process;

    private SquidProxy(int port, Path folder, Process process) {
        this.port = port;
        this.folder = folder;
        this.process = process;
    }

    /**
     * Skips the calling test with a message naming the Debian packages when squid or htpasswd is missing, or fails it
     * under {@code -Dwindow.requireExternalTools=true}.
     */
    static void requireInstalled() {
        for (Path program : List.of(SQUID, NCSA_AUTH, HTPASSWD)) {
            if (!Files.isExecutable(program)) {
                String message = program + " is not installed; install the Debian packages squid and apache2-utils"
                        + " (apt-get install squid apache2-utils) to run the forward proxy tests";
                ExternalTools.missing(message);
            }
        }
    }

    /** Starts squid with one proxy user and waits until it accepts connections. */
    static SquidProxy start(String user, String password) throws IOException, InterruptedException {
        // Below /tmp rather than a test's @TempDir, whose parent folders squid's unprivileged user cannot enter.
        Path folder = Files.createTempDirectory("window-squid-");
        writePasswordFile(folder.resolve("passwd"), user, password);
        int port = freePort();
        Path configuration = Files.writeString(folder.resolve("squid.conf"), configuration(folder, port),
                StandardCharsets.US_ASCII);
        if (isRoot()) {
            giveToUnprivilegedUser(folder);
        }
        Process process = new ProcessBuilder(SQUID.toString(), "-N", "-f", configuration.toString())
                .redirectErrorStream(true)
                .redirectOutput(folder.resolve("squid.out").toFile())
                .start();
        SquidProxy proxy = new SquidProxy(port, folder, process);
        await("squid listening on 127.0.0.1:" + port).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new AssertionError("squid exited with code " + process.exitValue() + ": "
                                + proxy.read("squid.out") + proxy.read("cache.log"));
                    }
                    return accepts(port);
                });
        return proxy;
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** Returns squid's access log: one line per request, with the CONNECT target, the user and the outcome. */
    String accessLog() {
        return read("access.log");
    }

    private static String configuration(Path folder, int port) {
        String user = isRoot() ? "cache_effective_user " + UNPRIVILEGED_USER + "\n" : "";
        return user + """
                http_port 127.0.0.1:%2$d
                pid_filename %1$s/squid.pid
                cache_log %1$s/cache.log
                access_log stdio:%1$s/access.log
                cache_store_log none
                cache deny all
                cache_mem 0 MB
                coredump_dir %1$s
                netdb_filename none
                pinger_enable off
                icp_port 0
                htcp_port 0
                dns_nameservers 127.0.0.1
                shutdown_lifetime 1 seconds
                auth_param basic program %3$s %1$s/passwd
                auth_param basic children 2 startup=1
                auth_param basic realm window-test
                acl authenticated proxy_auth REQUIRED
                acl CONNECT method CONNECT
                acl loopback dst 127.0.0.0/8
                acl unprivileged_ports port 1024-65535
                http_access deny !CONNECT
                http_access deny !loopback
                http_access deny !unprivileged_ports
                http_access allow localhost authenticated
                http_access deny all
                """.formatted(folder.toAbsolutePath(), port, NCSA_AUTH);
    }

    private static void writePasswordFile(Path file, String user, String password)
            throws IOException, InterruptedException {
        // -i reads the password from standard input, so it does not appear in the process list.
        Process htpasswd = new ProcessBuilder(HTPASSWD.toString(), "-c", "-i", "-m", file.toString(), user)
                .redirectErrorStream(true)
                .start();
        try (OutputStream in = htpasswd.getOutputStream()) {
            in.write((password + "\n").getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(htpasswd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!htpasswd.waitFor(30, TimeUnit.SECONDS) || htpasswd.exitValue() != 0) {
            throw new IOException("htpasswd could not write " + file + ": " + output);
        }
    }

    private static boolean isRoot() {
        return System.getProperty("user.name").equals("root");
    }

    private static void giveToUnprivilegedUser(Path folder) throws IOException {
        UserPrincipalLookupService lookup = folder.getFileSystem().getUserPrincipalLookupService();
        GroupPrincipal group = lookup.lookupPrincipalByGroupName(UNPRIVILEGED_USER);
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.toList()) {
                PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
                view.setOwner(lookup.lookupPrincipalByName(UNPRIVILEGED_USER));
                view.setGroup(group);
            }
        }
    }

    private String read(String name) {
        try {
            return Files.readString(folder.resolve(name), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "(no " + name + ": " + e.getMessage() + ")";
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** Stops squid by its pid with SIGTERM, kills it and its helpers if they outlive it, and deletes the folder. */
    @Override
    public void close() throws IOException, InterruptedException {
        List<ProcessHandle> helpers = process.descendants().toList();
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        for (ProcessHandle helper : helpers) {
            if (helper.isAlive()) {
                helper.destroyForcibly();
            }
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
