package jp.kouiki.window.it;


import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two network namespaces, one for the central side and one for the agent side, joined by a veth pair whose two ends
 * tc tbf shapes to one rate, as a slow line between a municipality and the union. Each side has a private address that
 * exists only inside these namespaces. The names contain this JVM's pid and a counter, so parallel runs do not
 * collide, and {@link #close()} deletes both namespaces, which removes the veth pair with them.
 */
final class LinkedNamespaces implements AutoCloseable {

    private static final Path IP = findProgram("ip");
    private static final Path TC = findProgram("tc");
    private static final AtomicInteger COUNTER = new AtomicInteger();
    /** Ethernet (14), IPv4 (20) and TCP with timestamps (32) header bytes of each packet, as a veth counts them. */
    static final int HEADER_BYTES_PER_PACKET = 66;

    final String centralNamespace;
    final String agentNamespace;
    final String centralInterface;
    final String agentInterface;
    final String centralAddress;
    final String agentAddress;

    private LinkedNamespaces(String suffix, int subnet) {
        this.centralNamespace = "wnc" + suffix;
        this.agentNamespace = "wna" + suffix;
        this.centralInterface = "wvc" + suffix;
        this.agentInterface = "wva" + suffix;
        this.centralAddress = "10.213." + subnet + ".1";
        this.agentAddress = "10.213." + subnet + ".2";
    }

    /**
     * Skips the calling test with a message naming the Debian package when ip or tc is missing or the test does not run
     * as root, or fails it under {@code -Dwindow.requireExternalTools=true}.
     */
    static void requireAvailable() {
        String missing = null;
        if (IP == null || TC == null) {
            missing = "ip and tc are not installed; install the Debian package iproute2 (apt-get install iproute2)";
        } else if (!"root".equals(System.getProperty("user.name"))) {
            missing = "network namespaces need root; run the shaped-link tests as root";
        }
        if (missing != null) {
            ExternalTools.missing(missing);
        }
    }

    /** Creates both namespaces and the veth pair, shaped with tbf to {@code rate} (tc's form, such as 8mbit). */
    static LinkedNamespaces create(String rate) throws IOException, InterruptedException {
        int number = COUNTER.incrementAndGet();
        String suffix = ProcessHandle.current().pid() + "x" + number;
        LinkedNamespaces link = new LinkedNamespaces(suffix, number % 250);
        try {
            link.setUp(rate);
        } catch (IOException | InterruptedException | RuntimeException e) {
            link.close();
            throw e;
        }
        return link;
    }

    private void setUp(String rate) throws IOException, InterruptedException {
        run(IP, "netns", "add", centralNamespace);
        run(IP, "netns", "add", agentNamespace);
        run(IP, "link", "add", centralInterface, "netns", centralNamespace, "type", "veth", "peer", "name",
                agentInterface, "netns", agentNamespace);
        run(IP, "-n", centralNamespace, "addr", "add", centralAddress + "/24", "dev", centralInterface);
        run(IP, "-n", agentNamespace, "addr", "add", agentAddress + "/24", "dev", agentInterface);
        for (String namespace : List.of(centralNamespace, agentNamespace)) {
            run(IP, "-n", namespace, "link", "set", "lo", "up");
        }
        run(IP, "-n", centralNamespace, "link", "set", centralInterface, "up");
        run(IP, "-n", agentNamespace, "link", "set", agentInterface, "up");
        // A bucket of 5 KB fits one packet and is the least that tbf accepts for 10 Mbit/s at HZ 250.
        run(TC, "-n", agentNamespace, "qdisc", "add", "dev", agentInterface, "root", "tbf", "rate", rate, "burst",
                "5kb", "latency", "200ms");
        run(TC, "-n", centralNamespace, "qdisc", "add", "dev", centralInterface, "root", "tbf", "rate", rate, "burst",
                "5kb", "latency", "200ms");
    }

    /** Returns the command prefix that runs a program inside the central side's namespace. */
    List<String> inCentral() {
        return List.of(IP.toString(), "netns", "exec", centralNamespace);
    }

    /** Returns the command prefix that runs a program inside the agent side's namespace. */
    List<String> inAgent() {
        return List.of(IP.toString(), "netns", "exec", agentNamespace);
    }

    /** Bytes and packets that the agent side's interface has sent, as its kernel counters give them. */
    record Counters(long bytes, long packets) {
        /** Returns the bytes sent without each packet's Ethernet, IP and TCP headers. */
        long payloadBytes() {
            return bytes - packets * HEADER_BYTES_PER_PACKET;
        }
    }

    /** Reads the agent side's transmit counters. */
    Counters agentSent() throws IOException, InterruptedException {
        String statistics = "/sys/class/net/" + agentInterface + "/statistics/";
        List<String> values = output(IP.toString(), "netns", "exec", agentNamespace, "cat", statistics + "tx_bytes",
                statistics + "tx_packets").lines().toList();
        return new Counters(Long.parseLong(values.get(0).trim()), Long.parseLong(values.get(1).trim()));
    }

    /** Writes a hosts file that maps {@code name} to the central side's address, for -Djdk.net.hosts.file. */
    Path writeHostsFile(Path file, String name) throws IOException {
        return Files.writeString(file, centralAddress + " " + name + "\n", StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        IOException failure = null;
        for (String namespace : List.of(agentNamespace, centralNamespace)) {
            try {
                if (namespaceExists(namespace)) {
                    run(IP, "netns", "del", namespace);
                }
            } catch (IOException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static boolean namespaceExists(String namespace) throws IOException, InterruptedException {
        return output(IP.toString(), "netns", "list").lines().anyMatch(line -> line.split(" ")[0].equals(namespace));
    }

    private static void run(Path program, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(program.toString());
        command.addAll(List.of(arguments));
        output(command.toArray(String[]::new));
    }

    private static String output(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish in 30 s");
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed with exit code " + process.exitValue() + ": "
                    + text.trim());
        }
        return text;
    }

    private static Path findProgram(String name) {
        for (String folder : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            Path program = Path.of(folder, name);
            if (Files.isExecutable(program)) {
                return program;
            }
        }
        return null;
    }
}
