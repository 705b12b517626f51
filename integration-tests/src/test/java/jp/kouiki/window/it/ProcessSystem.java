package jp.kouiki.window.it;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;

/**
 * A central server and an agent as two separate JVMs started from this test's class path. Each has its own heap limit,
 * configuration file and log file, so that a test can kill either with SIGKILL and start it again on the same data.
 * The output of every start of a process is appended to one log file per process under {@code logs/}.
 */
final class ProcessSystem implements AutoCloseable {

    /**
     * The product processes, their main class and the log line that each prints once it is ready. BACKUP is the second
     * node of a central server pair, started only after {@link #enableBackup}; CENTRAL is then the primary.
     */
    enum Role {
        AGENT("agent", "jp.kouiki.window.agent.MunicipalAgent", "Municipal agent started:"),
        /** The union's agent (agent.mode=union), for a central server with central.union.delivery=remote. */
        UNION("union-agent", "jp.kouiki.window.agent.MunicipalAgent", "Union agent started:"),
        CENTRAL("central", "jp.kouiki.window.central.CentralServer", "Central window server started:"),
        BACKUP("central-backup", "jp.kouiki.window.central.CentralServer", "Central window server started:");

        final String label;
        final String mainClass;
        final String readyLine;

        Role(String label, String mainClass, String readyLine) {
            this.label = label;
            this.mainClass = mainClass;
            this.readyLine = readyLine;
        }
    }

    /**
     * Whether the children inherit the test's locale (system property window.children.inheritLocale=true) instead of
     * running under C.UTF-8. Under a non-UTF-8 locale the product starts itself again as a child JVM, which this tries.
     */
    private static final boolean INHERIT_LOCALE = Boolean.getBoolean("window.children.inheritLocale");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);

    final Path root;
    final List<MunicipalityCode> codes;
    final int port;
    /** Port of the backup node of a central server pair. */
    final int backupPort;
    /** Operator ports of the central server and of the backup node. */
    final int operatorPort;
    final int backupOperatorPort;

    private final Map<Role, Properties> properties = new EnumMap<>(Role.class);
    private final Map<Role, String> maxHeap = new EnumMap<>(Role.class);
    private final Map<Role, List<String>> jvmOptions = new EnumMap<>(Role.class);
    /** Commands that a role's JVM runs under, such as {@code ip netns exec NAME}; none by default. */
    private final Map<Role, List<String>> commandPrefixes = new EnumMap<>(Role.class);
    private final String classPath;
    private final Map<Role, Process> processes = new EnumMap<>(Role.class);
    /** Processes started by a JVM that the test killed, which the kill leaves running; close() kills them. */
    private final List<ProcessHandle> orphans = new ArrayList<>();
    /** Number of ready lines in each log before the latest start, to tell that start's ready line from older ones. */
    private final Map<Role, Long> readyLinesBeforeStart = new EnumMap<>(Role.class);

    /** Generates key material for {@code codes} under {@code root/keys} and picks a free loopback port. */
    ProcessSystem(Path root, List<MunicipalityCode> codes) throws Exception {
        this(root, codes, List.of());
    }

    /**
     * Generates key material for {@code codes} under {@code root/keys}, with {@code serverNames} in the server
     * certificate besides localhost, and picks a free loopback port.
     */
    ProcessSystem(Path root, List<MunicipalityCode> codes, List<String> serverNames) throws Exception {
        this.root = root;
        this.codes = List.copyOf(codes);
        this.port = freePort();
        this.backupPort = freePort();
        this.operatorPort = freePort();
        this.backupOperatorPort = freePort();
        new DevCredentialGenerator(keys()).generate(codes, serverNames);
        Files.createDirectories(logs());
        this.classPath = snapshotClassPath();
        properties.put(Role.AGENT, agentDefaults());
        properties.put(Role.CENTRAL, centralDefaults());
        properties.put(Role.BACKUP, new Properties());
        properties.put(Role.UNION, unionDefaults());
        for (Role role : Role.values()) {
            maxHeap.put(role, "256m");
            jvmOptions.put(role, new ArrayList<>());
        }
    }

    private Properties agentDefaults() {
        Properties agent = new Properties();
        agent.setProperty("agent.municipalities", codeList());
        agent.setProperty("agent.folder-root", root.resolve("agent-folders").toString());
        agent.setProperty("agent.data-dir", root.resolve("agent-data").toString());
        agent.setProperty("agent.keys-dir", keys().toString());
        agent.setProperty("agent.central-url", "https://localhost:" + port);
        agent.setProperty("agent.pickup.quiet-period-ms", "300");
        agent.setProperty("agent.pickup.poll-interval-ms", "100");
        agent.setProperty("agent.upload.chunk-size-bytes", Integer.toString(1024 * 1024));
        agent.setProperty("agent.upload.retry-initial-delay-ms", "200");
        agent.setProperty("agent.upload.retry-max-delay-ms", "1000");
        agent.setProperty("agent.broker.journal-type", "NIO");
        agent.setProperty("agent.download.poll-interval-ms", "100");
        return agent;
    }

    /** The union agent's settings: its union folders are {@code union-site/}, apart from the central server's. */
    private Properties unionDefaults() {
        Properties union = new Properties();
        union.setProperty("agent.mode", "union");
        union.setProperty("agent.municipalities", codeList());
        union.setProperty("agent.folder-root", unionSite().toString());
        union.setProperty("agent.data-dir", root.resolve("union-agent-data").toString());
        union.setProperty("agent.keys-dir", keys().toString());
        union.setProperty("agent.central-url", "https://localhost:" + port);
        union.setProperty("agent.pickup.quiet-period-ms", "300");
        union.setProperty("agent.pickup.poll-interval-ms", "100");
        union.setProperty("agent.download.poll-interval-ms", "100");
        return union;
    }

    private Properties centralDefaults() {
        Properties central = new Properties();
        central.setProperty("central.municipalities", codeList());
        central.setProperty("central.union-root", root.resolve("union").toString());
        central.setProperty("central.data-dir", centralData().toString());
        central.setProperty("central.keys-dir", keys().toString());
        central.setProperty("central.window.host", "127.0.0.1");
        central.setProperty("central.window.port", Integer.toString(port));
        central.setProperty("central.delivery.poll-interval-ms", "100");
        central.setProperty("central.broker.journal-type", "NIO");
        central.setProperty("central.outbound.pickup.quiet-period-ms", "300");
        central.setProperty("central.outbound.poll-interval-ms", "100");
        central.setProperty("central.operator.port", Integer.toString(operatorPort));
        return central;
    }

    /**
     * Makes CENTRAL the primary of a pair with BACKUP on the same data directory, the backup on {@link #backupPort},
     * and gives the agent both URLs. Call before the first start.
     */
    void enableBackup() {
        Properties central = properties.get(Role.CENTRAL);
        central.setProperty("central.ha.role", "primary");
        Properties backup = properties.get(Role.BACKUP);
        backup.clear();
        backup.putAll(central);
        backup.setProperty("central.ha.role", "backup");
        backup.setProperty("central.window.port", Integer.toString(backupPort));
        try {
            backup.setProperty("central.operator.port", Integer.toString(freePort()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        backup.setProperty("central.operator.port", Integer.toString(backupOperatorPort));
        properties.get(Role.AGENT).setProperty("agent.central-url",
                "https://localhost:" + port + ",https://localhost:" + backupPort);
    }

    /** Returns the HTTPS port of a central server node. */
    int port(Role role) {
        return role == Role.BACKUP ? backupPort : port;
    }

    Path keys() {
        return root.resolve("keys");
    }

    Path logs() {
        return root.resolve("logs");
    }

    Path log(Role role) {
        return logs().resolve(role.label + ".log");
    }

    Path outbox(MunicipalityCode code) {
        return root.resolve("agent-folders/outbox").resolve(code.value());
    }

    Path sent(MunicipalityCode code) {
        return root.resolve("agent-folders/sent").resolve(code.value());
    }

    Path error(MunicipalityCode code) {
        return root.resolve("agent-folders/error").resolve(code.value());
    }

    Path inbound(MunicipalityCode code) {
        return root.resolve("union/inbound").resolve(code.value());
    }

    Path inbox(MunicipalityCode code) {
        return root.resolve("agent-folders/inbox").resolve(code.value());
    }

    /** Returns {@code union/outbound/<folder>/}, where folder is a municipality code or "all". */
    Path outbound(String folder) {
        return root.resolve("union/outbound").resolve(folder);
    }

    Path rejected(MunicipalityCode code) {
        return root.resolve("union/rejected").resolve(code.value());
    }

    /** Returns the union agent's folder root: {@code inbound/<code>/}, {@code outbound/<code or all>/} and others. */
    Path unionSite() {
        return root.resolve("union-site");
    }

    Path centralData() {
        return root.resolve("central-data");
    }

    Path agentData() {
        return root.resolve("agent-data");
    }

    /** Settings written into the role's application.properties at its next start; change them before that start. */
    Properties properties(Role role) {
        return properties.get(role);
    }

    /** Sets the role's maximum heap, such as "64m", from its next start on; 256m by default. */
    void maxHeap(Role role, String size) {
        maxHeap.put(role, size);
    }

    /** Adds JVM options, such as {@code -Xlog:gc:file=...}, to the role's command line from its next start on. */
    void addJvmOptions(Role role, String... options) {
        jvmOptions.get(role).addAll(List.of(options));
    }

    /**
     * Runs the role's JVM under {@code prefix} from its next start on, such as {@code ip netns exec NAME} to run it in
     * a network namespace. The prefix must exec the JVM, so that the started process is the JVM itself. A central
     * server started so counts as ready on its ready line alone, because its port may not be reachable from here.
     */
    void runUnder(Role role, List<String> prefix) {
        commandPrefixes.put(role, List.copyOf(prefix));
    }

    /**
     * Starts the role's JVM without waiting for it; {@link #awaitReady} waits. The configuration file is written
     * anew, so changes to {@link #properties} apply.
     */
    Process start(Role role) throws IOException {
        Process running = processes.get(role);
        if (running != null && running.isAlive()) {
            throw new IllegalStateException(role.label + " is already running as pid " + running.pid());
        }
        Path config = writeConfig(role);

        List<String> command = new ArrayList<>(commandPrefixes.getOrDefault(role, List.of()));
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + maxHeap.get(role));
        command.addAll(jvmOptions.get(role));
        // A class path resource, found in the snapshot of the test classes.
        command.add("-Dlog4j2.configurationFile=log4j2-child-jvm.xml");
        command.add("-cp");
        command.add(classPath);
        command.add(role.mainClass);
        command.add("--config");
        command.add(config.toString());

        readyLinesBeforeStart.put(role, countInLog(role, role.readyLine));
        appendToLog(role, "---- test starts " + role.label + " at " + Instant.now() + " ----");
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(role).toFile()));
        // A UTF-8 locale whatever the test runs under, because under another locale the product starts itself again
        // as a child JVM for UTF-8 file names. The JVM that the test kills and measures must be the product itself.
        if (!INHERIT_LOCALE) {
            builder.environment().put("LC_ALL", "C.UTF-8");
        }
        Process process = builder.start();
        processes.put(role, process);
        return process;
    }

    /** Starts the role and waits until it is ready. */
    Process startAndAwait(Role role) throws IOException {
        Process process = start(role);
        awaitReady(role);
        return process;
    }

    /**
     * Waits until the role's latest start has logged its ready line, and for a central server node until its HTTPS
     * port accepts connections. Fails at once when the process exits meanwhile.
     */
    void awaitReady(Role role) {
        Process process = requireStarted(role);
        await(role.label + " pid " + process.pid() + " ready")
                .atMost(START_TIMEOUT)
                .pollInterval(Duration.ofMillis(50))
                .failFast(role.label + " pid " + process.pid() + " exited during start-up; see " + log(role),
                        () -> !process.isAlive())
                .until(() -> isReady(role));
    }

    /**
     * Returns whether the role's latest start is alive and has logged its ready line, and for a central server node
     * whether its port accepts connections.
     */
    boolean isReady(Role role) throws IOException {
        Process process = processes.get(role);
        if (process == null || !process.isAlive()) {
            return false;
        }
        if (countInLog(role, role.readyLine) <= readyLinesBeforeStart.getOrDefault(role, 0L)) {
            return false;
        }
        return role == Role.AGENT || role == Role.UNION || commandPrefixes.containsKey(role) || accepts(port(role));
    }

    /**
     * Kills the role's JVM with SIGKILL and waits until it is gone. Processes that it started live on, as after a real
     * crash, until {@link #close}.
     */
    void kill(Role role) throws InterruptedException, IOException {
        Process process = requireStarted(role);
        orphans.addAll(process.descendants().toList());
        process.destroyForcibly();
        if (!process.waitFor(EXIT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            throw new IllegalStateException(role.label + " pid " + process.pid() + " still runs "
                    + EXIT_TIMEOUT.toSeconds() + " s after SIGKILL");
        }
        appendToLog(role, "---- test killed " + role.label + " pid " + process.pid() + " with SIGKILL at "
                + Instant.now() + " ----");
    }

    /** Stops the role's JVM with SIGTERM, as an operator would, and kills it when it does not end in time. */
    void stop(Role role) throws InterruptedException {
        Process process = processes.get(role);
        if (process == null) {
            return;
        }
        process.destroy();
        if (!process.waitFor(EXIT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(EXIT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
    }

    Process process(Role role) {
        return processes.get(role);
    }

    /**
     * Returns the peak resident set size of the role's running JVM in KiB, from VmHWM in /proc/PID/status, or -1
     * where /proc does not report it.
     */
    long peakRssKib(Role role) {
        Process process = requireStarted(role);
        Path status = Path.of("/proc", Long.toString(process.pid()), "status");
        try {
            for (String line : Files.readAllLines(status, StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.substring("VmHWM:".length()).replace("kB", "").trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Throws an AssertionError naming the process, its exit code and its last log lines when a started JVM has
     * exited. Tests use it in Awaitility's failFast and before each kill.
     */
    void assertAlive() throws IOException {
        for (Map.Entry<Role, Process> entry : processes.entrySet()) {
            Process process = entry.getValue();
            if (!process.isAlive()) {
                throw new AssertionError(entry.getKey().label + " pid " + process.pid() + " exited on its own with"
                        + " code " + process.exitValue() + "; last lines of " + log(entry.getKey()) + ":\n"
                        + lastLines(entry.getKey(), 40));
            }
        }
    }

    /**
     * Throws an AssertionError with the log lines from the first OutOfMemoryError on, stack trace included, when a
     * log reports one.
     */
    void assertNoOutOfMemoryError() throws IOException {
        for (Role role : Role.values()) {
            List<String> lines = logText(role).lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).contains("OutOfMemoryError")) {
                    throw new AssertionError(role.label + " ran out of memory with -Xmx" + maxHeap.get(role) + "; "
                            + log(role) + " from line " + (i + 1) + ":\n"
                            + String.join("\n", lines.subList(i, Math.min(lines.size(), i + 60))));
                }
            }
        }
    }

    /** Returns the last {@code count} lines of the role's log. */
    String lastLines(Role role, int count) throws IOException {
        List<String> lines = logText(role).lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
    }

    /** Returns the role's whole log, decoded as UTF-8 with malformed bytes replaced. */
    String logText(Role role) throws IOException {
        Path log = log(role);
        return Files.exists(log) ? new String(Files.readAllBytes(log), StandardCharsets.UTF_8) : "";
    }

    /** Counts the lines that the role's latest start wrote to its log and that contain {@code text}. */
    long countSinceStart(Role role, String text) throws IOException {
        String log = logText(role);
        int start = log.lastIndexOf("---- test starts " + role.label + " ");
        return log.substring(Math.max(0, start)).lines().filter(line -> line.contains(text)).count();
    }

    /** Counts the lines of the role's log that contain {@code text}. */
    long countInLog(Role role, String text) throws IOException {
        return logText(role).lines().filter(line -> line.contains(text)).count();
    }

    /** Returns the lines of every log that contain {@code text}, each prefixed with its log's name. */
    List<String> linesInLogs(String text) throws IOException {
        List<String> found = new ArrayList<>();
        for (Role role : Role.values()) {
            logText(role).lines().filter(line -> line.contains(text)).forEach(line -> found.add(role.label + ": "
                    + line));
        }
        return found;
    }

    /** Lists the regular files below a folder, for assertion messages about folders that must stay empty. */
    static List<Path> regularFiles(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private Process requireStarted(Role role) {
        Process process = processes.get(role);
        if (process == null) {
            throw new IllegalStateException(role.label + " was never started");
        }
        return process;
    }

    /** Writes the role's application.properties from {@link #properties} and returns its path. */
    Path writeConfig(Role role) throws IOException {
        // Sorted key=value lines without the date comment and escapes that Properties.store adds.
        Map<String, String> sorted = new TreeMap<>();
        properties.get(role).forEach((key, value) -> sorted.put(key.toString(), value.toString()));
        String text = sorted.entrySet().stream()
                .map(entry -> entry.getKey() + "=" + entry.getValue())
                .collect(Collectors.joining("\n", "", "\n"));
        return Files.writeString(root.resolve(role.label + ".properties"), text, StandardCharsets.UTF_8);
    }

    private void appendToLog(Role role, String line) throws IOException {
        Files.writeString(log(role), line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    private String codeList() {
        return codes.stream().map(MunicipalityCode::value).collect(Collectors.joining(","));
    }

    /**
     * Copies the build output on this JVM's class path under {@code class-path/}: class folders, jars in a target
     * folder and snapshot jars, which a Maven install replaces. Returns the class path with those copies and the
     * absolute paths of the other jars. Every start of a child then runs the same classes while a build elsewhere
     * rewrites them, because a JVM whose jar is rewritten under it fails with NoClassDefFoundError.
     */
    private String snapshotClassPath() throws IOException {
        List<String> entries = new ArrayList<>();
        int index = 0;
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            Path source = Path.of(entry).toAbsolutePath();
            String name = source.getFileName().toString();
            boolean inTarget = source.getParent() != null
                    && source.getParent().getFileName().toString().equals("target");
            boolean buildOutput = Files.isDirectory(source) || inTarget || name.endsWith("-SNAPSHOT.jar");
            if (buildOutput && Files.exists(source)) {
                Path copy = root.resolve("class-path").resolve(index++ + "-" + name);
                copyTree(source, copy);
                entries.add(copy.toString());
            } else {
                entries.add(source.toString());
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    private static void copyTree(Path source, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        try (Stream<Path> paths = Files.walk(source)) {
            for (Path path : paths.toList()) {
                Path copy = target.resolve(source.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(copy);
                } else {
                    Files.copy(path, copy);
                }
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
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

    /**
     * Kills both JVMs and any process they started with SIGKILL and waits for them; safe to call after a failure and
     * more than once.
     */
    @Override
    public void close() throws InterruptedException {
        List<ProcessHandle> started = new ArrayList<>(orphans);
        for (Process process : processes.values()) {
            started.addAll(process.descendants().toList());
            started.add(process.toHandle());
        }
        started.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle handle : started) {
            handle.onExit().completeOnTimeout(handle, EXIT_TIMEOUT.toSeconds(), TimeUnit.SECONDS).join();
        }
    }
}
