package jp.kouiki.window.demo;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;
import jp.kouiki.window.security.DevCredentialGenerator;

/**
 * Runs the product end to end on this machine: a central window server and one agent serving Tokyo's 62
 * municipalities, as two separate JVMs over HTTPS on loopback, moving the real Japan Post file for Tokyo split into one
 * interface file per municipality, and checks that each file arrived byte for byte in its own union folder. At the same
 * time the union sends each municipality its file back through {@code union/outbound/<code>/}, and the demo checks
 * that each arrived byte for byte in that municipality's inbox.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, version = "window-transfer demo 0.1.0",
        description = "Moves Tokyo's 62 real interface files from the agent's outboxes to the union's folders and"
                + " one file from the union to each municipality's inbox.")
public final class Demo implements Callable<Integer> {

    @Option(names = "--work-dir", description = "Folder for keys, configuration, data and logs (default: ${DEFAULT-VALUE}).")
    Path workDirectory = Path.of("demo-work");

    @Option(names = "--keep-running", description = "Leave the central server and the agent running after the check.")
    boolean keepRunning;

    @Option(names = "--port", description = "HTTPS port of the window endpoint on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int port = 18443;

    @Option(names = "--operator-port", description = "HTTPS port of the operator page and API on 127.0.0.1"
            + " (default: ${DEFAULT-VALUE}).")
    int operatorPort = 18444;

    @Option(names = "--timeout-seconds", description = "How long to wait for every file to arrive (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds = 180;

    private final PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);

    public static void main(String[] args) {
        System.exit(new CommandLine(new Demo()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        Path work = workDirectory.toAbsolutePath();
        Path run = work.resolve("run");
        deleteRecursively(run);
        Files.createDirectories(run.resolve("logs"));

        MunicipalityDirectory directory = MunicipalityDirectory.bundled();
        List<PostalCsvSplitter.SplitFile> files;
        try (InputStream csv = Demo.class.getResourceAsStream(PostalCsvSplitter.BUNDLED_TOKYO_CSV)) {
            files = PostalCsvSplitter.split(csv, Files.createDirectories(run.resolve("input")), directory,
                    LocalDate.now(ZoneId.of("Asia/Tokyo")));
        }
        List<MunicipalityCode> codes = files.stream().map(PostalCsvSplitter.SplitFile::code).toList();
        DevCredentialGenerator.Summary keys = new DevCredentialGenerator(work.resolve("keys")).generate(codes, List.of());
        out.printf("keys: %s (%d files created)%n", work.resolve("keys"), keys.createdFiles());

        DemoOperatorAccount operator = DemoOperatorAccount.ensure(work);
        printOperatorAccount(operator);
        Path centralConfig = writeCentralConfig(work, run, codes, operator);
        Path agentConfig = writeAgentConfig(work, run, codes);
        ChildJvm central = ChildJvm.start("central-server", "jp.kouiki.window.central.CentralServer", centralConfig,
                run.resolve("logs/central-server.log"));
        List<ChildJvm> children = new java.util.concurrent.CopyOnWriteArrayList<>(List.of(central));
        Thread stopChildren = new Thread(() -> children.forEach(ChildJvm::stopQuietly), "demo-stop-children");
        Runtime.getRuntime().addShutdownHook(stopChildren);
        ChildJvm agent = null;
        try {
            waitForPort(central);
            agent = ChildJvm.start("municipal-agent", "jp.kouiki.window.agent.MunicipalAgent", agentConfig,
                    run.resolve("logs/municipal-agent.log"));
            children.add(0, agent);
            out.printf("central server pid %d, agent pid %d; logs in %s%n", central.pid(), agent.pid(),
                    run.resolve("logs"));

            for (PostalCsvSplitter.SplitFile file : files) {
                drop(run.resolve("agent-folders/outbox").resolve(file.code().value()), file.file());
                drop(run.resolve("union/outbound").resolve(file.code().value()), file.file());
            }
            int result = awaitAndCheck(run, files, started, central, agent);
            if (keepRunning) {
                printTryIt(run);
                central.process().waitFor();
            }
            return result;
        } finally {
            if (!keepRunning) {
                if (agent != null) {
                    agent.stop();
                }
                central.stop();
            }
        }
    }

    private int awaitAndCheck(Path run, List<PostalCsvSplitter.SplitFile> files, long started, ChildJvm central,
            ChildJvm agent) throws Exception {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        List<PostalCsvSplitter.SplitFile> missing = new ArrayList<>(files);
        List<PostalCsvSplitter.SplitFile> notDownloaded = new ArrayList<>(files);
        while ((!missing.isEmpty() || !notDownloaded.isEmpty()) && System.nanoTime() < deadline) {
            missing.removeIf(file -> Files.exists(delivered(run, file)));
            notDownloaded.removeIf(file -> Files.exists(downloaded(run, file)));
            if (!central.process().isAlive() || !agent.process().isAlive()) {
                out.println("a process ended early; see the logs in " + run.resolve("logs"));
                break;
            }
            Thread.sleep(100);
        }
        long wallMillis = (System.nanoTime() - started) / 1_000_000;
        long bytes = 0;
        int matching = 0;
        for (PostalCsvSplitter.SplitFile file : files) {
            Path target = delivered(run, file);
            String status;
            if (!Files.exists(target)) {
                status = "MISSING from " + target.getParent();
            } else if (!sha256(target).equals(file.sha256Hex())) {
                status = "SHA-256 DIFFERS";
            } else {
                status = "sha256 " + file.sha256Hex().substring(0, 16) + "… ok";
                matching++;
                bytes += file.bytes();
            }
            out.printf("%s %s %s %,9d bytes %5d records  %s%n", file.code(), padded(file.municipalityName(), 10),
                    file.file().getFileName(), file.bytes(), file.records(), status);
        }
        List<Path> strays = strayFiles(run, files);
        for (Path stray : strays) {
            out.println("UNEXPECTED file in the union folders: " + stray);
        }
        out.printf(Locale.ROOT, "wall time %.1f s; peak RSS central server %d MiB, agent %d MiB%n", wallMillis / 1000.0,
                central.peakRssKib() / 1024, agent.peakRssKib() / 1024);
        DownloadCheck downloads = checkDownloads(run, files);
        if (matching == files.size() && strays.isEmpty()) {
            out.printf("delivered %d/%d municipalities, %d files, %d bytes, all SHA-256 match%n", matching,
                    files.size(), matching, bytes);
        } else {
            out.printf("FAILED: %d/%d municipalities delivered with matching SHA-256, %d unexpected files; see %s%n",
                    matching, files.size(), strays.size(), run.resolve("logs"));
        }
        if (downloads.matching() == files.size()) {
            out.printf("downloaded %d/%d municipalities, %d files, %d bytes, all SHA-256 match%n",
                    downloads.matching(), files.size(), downloads.matching(), downloads.bytes());
        } else {
            out.printf("FAILED: %d/%d municipalities downloaded with matching SHA-256; see %s%n",
                    downloads.matching(), files.size(), run.resolve("logs"));
        }
        return matching == files.size() && strays.isEmpty() && downloads.matching() == files.size() ? 0 : 1;
    }

    /** Municipalities whose inbox contains exactly their file with the expected SHA-256, and those files' bytes. */
    private record DownloadCheck(int matching, long bytes) {
    }

    /**
     * Checks that each municipality's inbox contains exactly the file the union placed for it and prints a line for each
     * one that does not.
     */
    private DownloadCheck checkDownloads(Path run, List<PostalCsvSplitter.SplitFile> files) throws Exception {
        long bytes = 0;
        int matching = 0;
        for (PostalCsvSplitter.SplitFile file : files) {
            Path target = downloaded(run, file);
            List<Path> inbox = inboxFiles(target.getParent());
            if (!Files.exists(target)) {
                out.printf("%s download MISSING from %s%n", file.code(), target.getParent());
            } else if (!sha256(target).equals(file.sha256Hex())) {
                out.printf("%s download SHA-256 DIFFERS: %s%n", file.code(), target);
            } else if (inbox.size() != 1) {
                out.printf("%s inbox holds %d files where 1 is expected: %s%n", file.code(), inbox.size(), inbox);
            } else {
                matching++;
                bytes += file.bytes();
            }
        }
        return new DownloadCheck(matching, bytes);
    }

    private static Path downloaded(Path run, PostalCsvSplitter.SplitFile file) {
        return run.resolve("agent-folders/inbox").resolve(file.code().value()).resolve(file.file().getFileName());
    }

    /** Lists the regular files directly in an inbox; the .part staging folder is not the municipality's to read. */
    private static List<Path> inboxFiles(Path inbox) throws IOException {
        if (!Files.isDirectory(inbox)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(inbox)) {
            return entries.filter(Files::isRegularFile).toList();
        }
    }

    /** Pads to a terminal width, counting full-width characters as two columns. */
    private static String padded(String text, int columns) {
        int width = text.codePoints().map(c -> c >= 0x1100 && Character.UnicodeScript.of(c)
                != Character.UnicodeScript.LATIN ? 2 : 1).sum();
        return text + " ".repeat(Math.max(0, columns - width));
    }

    private static Path delivered(Path run, PostalCsvSplitter.SplitFile file) {
        return run.resolve("union/inbound").resolve(file.code().value()).resolve(file.file().getFileName());
    }

    /** Lists files in the union's inbound folders other than the expected ones, such as a file in a wrong folder. */
    private static List<Path> strayFiles(Path run, List<PostalCsvSplitter.SplitFile> files) throws IOException {
        List<Path> expected = files.stream().map(file -> delivered(run, file)).toList();
        Path inbound = run.resolve("union/inbound");
        if (!Files.isDirectory(inbound)) {
            return List.of();
        }
        try (Stream<Path> all = Files.walk(inbound, 2)) {
            return all.filter(Files::isRegularFile).filter(path -> !expected.contains(path)).toList();
        }
    }

    private void printTryIt(Path run) {
        out.println();
        out.println("Both processes keep running. Try it:");
        out.println("  drop a file:   cp " + run.resolve("input/131016_POSTAL_*.csv") + " "
                + run.resolve("agent-folders/outbox/131016/131016_POSTAL_TRY1.csv"));
        out.println("  watch it land: ls " + run.resolve("union/inbound/131016/"));
        out.println("  refused files: ls " + run.resolve("agent-folders/error/131016/"));
        out.println("  send one back: cp " + run.resolve("input/131016_POSTAL_*.csv") + " "
                + run.resolve("union/outbound/131016/131016_POSTAL_TRY1.csv"));
        out.println("  find it:       ls " + run.resolve("agent-folders/inbox/131016/"));
        out.println("  logs:          " + run.resolve("logs"));
        out.println("  operator page: https://127.0.0.1:" + operatorPort + "/operator/ (account "
                + DemoOperatorAccount.NAME + ")");
        out.println("Stop with Ctrl-C.");
    }

    private void printOperatorAccount(DemoOperatorAccount operator) {
        out.printf("operator page: https://127.0.0.1:%d/operator/ (trust %s, or accept the browser's warning)%n",
                operatorPort, workDirectory.toAbsolutePath().resolve("keys/ca/ca.crt"));
        if (operator.createdPassword() != null) {
            out.printf("operator account created: %s, password %s (shown once; stored owner-only in %s)%n",
                    operator.name(), operator.createdPassword(), operator.passwordFile());
        } else {
            out.printf("operator account: %s, password in %s%n", operator.name(), operator.passwordFile());
        }
    }

    private Path writeCentralConfig(Path work, Path run, List<MunicipalityCode> codes, DemoOperatorAccount operator)
            throws IOException {
        String text = "central.municipalities=" + join(codes) + "\n"
                + "central.union-root=" + run.resolve("union") + "\n"
                + "central.data-dir=" + run.resolve("central-data") + "\n"
                + "central.keys-dir=" + work.resolve("keys") + "\n"
                + "central.window.host=127.0.0.1\n"
                + "central.window.port=" + port + "\n"
                + "central.outbound.pickup.quiet-period-ms=500\n"
                + "central.outbound.poll-interval-ms=200\n"
                + "central.operator.port=" + operatorPort + "\n"
                + "central.operator.accounts-file=" + operator.accountsFile() + "\n";
        return Files.writeString(run.resolve("central.properties"), text, StandardCharsets.UTF_8);
    }

    private Path writeAgentConfig(Path work, Path run, List<MunicipalityCode> codes) throws IOException {
        String text = "agent.municipalities=" + join(codes) + "\n"
                + "agent.folder-root=" + run.resolve("agent-folders") + "\n"
                + "agent.data-dir=" + run.resolve("agent-data") + "\n"
                + "agent.keys-dir=" + work.resolve("keys") + "\n"
                + "agent.central-url=https://localhost:" + port + "\n"
                + "agent.pickup.quiet-period-ms=500\n"
                + "agent.pickup.poll-interval-ms=200\n";
        return Files.writeString(run.resolve("agent.properties"), text, StandardCharsets.UTF_8);
    }

    private static String join(List<MunicipalityCode> codes) {
        return codes.stream().map(MunicipalityCode::value).collect(Collectors.joining(","));
    }

    /** Copies a file into the outbox under a dot name, then renames it, so the agent never takes it half written. */
    private static void drop(Path outbox, Path file) throws IOException {
        Files.createDirectories(outbox);
        Path temporary = outbox.resolve("." + file.getFileName() + ".tmp");
        Files.copy(file, temporary);
        Files.move(temporary, outbox.resolve(file.getFileName()));
    }

    private void waitForPort(ChildJvm central) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (!central.process().isAlive()) {
                throw new IllegalStateException("central server exited with code " + central.process().exitValue()
                        + "; see " + central.log());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("central server did not open port " + port + " within 60 s; see "
                + central.log());
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    /** A product process started with this JVM's class path. */
    record ChildJvm(String name, Process process, Path log) {

        static ChildJvm start(String name, String mainClass, Path config, Path log) throws IOException {
            String classPath = Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                    .map(entry -> entry.endsWith("*") ? entry : Path.of(entry).toAbsolutePath().toString())
                    .collect(Collectors.joining(File.pathSeparator));
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            ProcessBuilder builder = new ProcessBuilder(java.toString(), "-Xmx256m", "-cp", classPath, mainClass,
                    "--config", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            builder.environment().put("LC_ALL", "C.UTF-8");
            Process process = builder.start();
            return new ChildJvm(name, process, log);
        }

        long pid() {
            return process.pid();
        }

        /** Peak resident set size in KiB from /proc, or 0 where the system does not report it. */
        long peakRssKib() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
                    if (line.startsWith("VmHWM:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (IOException | NumberFormatException e) {
                return 0;
            }
            return 0;
        }

        /** Stops the process, used by the shutdown hook so that no server outlives an interrupted demo. */
        void stopQuietly() {
            try {
                stop();
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }

        void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }
}
