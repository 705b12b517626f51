package jp.kouiki.window.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One product JVM (agent or central server) started from the bench's class path with its own configuration file,
 * log file and unified GC log, and stopped with SIGTERM by its pid.
 */
final class ProductJvm implements AutoCloseable {

    enum Kind {
        AGENT("jp.kouiki.window.agent.MunicipalAgent", "Municipal agent started:"),
        CENTRAL("jp.kouiki.window.central.CentralServer", "Central window server started:");

        final String mainClass;
        final String readyLine;

        Kind(String mainClass, String readyLine) {
            this.mainClass = mainClass;
            this.readyLine = readyLine;
        }
    }

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern STARTUP_MS = Pattern.compile("startupMs=(\\d+)");

    final String label;
    final Kind kind;
    final Path log;
    final Path gcLog;
    private final Process process;

    private ProductJvm(String label, Kind kind, Path log, Path gcLog, Process process) {
        this.label = label;
        this.kind = kind;
        this.log = log;
        this.gcLog = gcLog;
        this.process = process;
    }

    /**
     * Writes {@code settings} into {@code <directory>/<label>.properties} and starts the JVM with {@code -Xmx} of
     * {@code maxHeap}, a GC log and any extra JVM options, logging to {@code <directory>/<label>.log}.
     */
    static ProductJvm start(Kind kind, String label, Path directory, Map<String, String> settings, String maxHeap,
            List<String> jvmOptions) throws IOException {
        Files.createDirectories(directory);
        Path config = directory.resolve(label + ".properties");
        String text = new TreeMap<>(settings).entrySet().stream()
                .map(entry -> entry.getKey() + "=" + entry.getValue())
                .collect(Collectors.joining("\n", "", "\n"));
        Files.writeString(config, text, StandardCharsets.UTF_8);
        Path log = directory.resolve(label + ".log");
        Path gcLog = directory.resolve(label + "-gc.log");

        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + maxHeap);
        command.add("-Xlog:gc:file=" + gcLog);
        command.addAll(jvmOptions);
        // The product's own logging configuration, not the test one that the test class path would prefer.
        command.add("-Dlog4j2.configurationFile=log4j2.xml");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(kind.mainClass);
        command.add("--config");
        command.add(config.toString());
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().put("LC_ALL", "C.UTF-8");
        return new ProductJvm(label, kind, log, gcLog, builder.start());
    }

    long pid() {
        return process.pid();
    }

    /** Waits until the ready line is in the log and, when {@code port} is positive, the port accepts connections. */
    void awaitReady(int port, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(label + " pid " + pid() + " exited with code " + process.exitValue()
                        + " during start-up; see " + log);
            }
            if (logContains(kind.readyLine) && (port <= 0 || accepts(port))) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException(label + " pid " + pid() + " not ready after " + timeout + "; see " + log);
    }

    /** Throws when the JVM has exited or logged an OutOfMemoryError. */
    void requireHealthy() throws IOException {
        if (!process.isAlive()) {
            throw new IllegalStateException(label + " pid " + pid() + " exited with code " + process.exitValue()
                    + "; see " + log);
        }
        if (logContains("OutOfMemoryError")) {
            throw new IllegalStateException(label + " pid " + pid() + " ran out of memory; see " + log);
        }
    }

    /** Returns the start-up time that the central server logs as {@code startupMs=}, or -1. */
    long startupMillis() throws IOException {
        Matcher matcher = STARTUP_MS.matcher(Files.readString(log, StandardCharsets.UTF_8));
        return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
    }

    /** Peak resident set size in KiB (VmHWM), or -1 where /proc does not report it. */
    long peakRssKib() {
        return procStatus("VmHWM:");
    }

    /** Current resident set size in KiB (VmRSS), or -1. */
    long rssKib() {
        return procStatus("VmRSS:");
    }

    /** Number of threads of the JVM, counted in /proc/PID/task. */
    int threadCount() throws IOException {
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
            return (int) tasks.count();
        }
    }

    /**
     * CPU time that the JVM has used so far, user and system together, and the part of it that its live JIT compiler
     * threads used. The kernel counts it in clock ticks of 10 ms (USER_HZ 100 on Linux). A compiler thread that has
     * ended no longer counts, so the compiler part is a lower bound.
     */
    record CpuTime(long totalMillis, long compilerMillis) {
        CpuTime minus(CpuTime earlier) {
            return new CpuTime(totalMillis - earlier.totalMillis, compilerMillis - earlier.compilerMillis);
        }
    }

    CpuTime cpuTime() throws IOException {
        long total = ticksOf(Path.of("/proc", Long.toString(pid()), "stat"));
        long compiler = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String name = Files.readString(task.resolve("comm"), StandardCharsets.US_ASCII);
                    if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
                        compiler += ticksOf(task.resolve("stat"));
                    }
                } catch (IOException e) {
                    // The thread ended while the folder was listed.
                }
            }
        }
        return new CpuTime(total * 10, compiler * 10);
    }

    /** Returns utime + stime of a /proc stat file, counting fields after the command name in parentheses. */
    private static long ticksOf(Path stat) throws IOException {
        String text = Files.readString(stat, StandardCharsets.US_ASCII);
        String[] fields = text.substring(text.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** Returns the number of TCP connections that this JVM keeps open, counted from its socket file descriptors. */
    int socketCount() throws IOException {
        int sockets = 0;
        try (Stream<Path> descriptors = Files.list(Path.of("/proc", Long.toString(pid()), "fd"))) {
            for (Path descriptor : descriptors.toList()) {
                try {
                    if (Files.readSymbolicLink(descriptor).toString().startsWith("socket:")) {
                        sockets++;
                    }
                } catch (IOException e) {
                    // The descriptor closed while the folder was listed.
                }
            }
        }
        return sockets;
    }

    /**
     * Runs {@code jcmd PID GC.run} and returns the heap in use after that collection, in MiB, from the GC log's
     * last line.
     */
    long heapAfterFullGcMib() throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process run = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), "GC.run")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!run.waitFor(60, TimeUnit.SECONDS)) {
            run.destroyForcibly();
            throw new IOException("jcmd GC.run on pid " + pid() + " timed out");
        }
        Thread.sleep(500);
        return GcLog.read(gcLog).lastAfterGcMib();
    }

    private long procStatus(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"),
                    StandardCharsets.US_ASCII)) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).replace("kB", "").trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    boolean logContains(String text) throws IOException {
        return Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text);
    }

    /** Stops the JVM with SIGTERM and waits; kills it with SIGKILL when it does not end in time. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
