package jp.kouiki.window.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import jp.kouiki.window.municipality.Municipality;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;
import jp.kouiki.window.security.DevCredentialGenerator;

/**
 * Measures the product against a plain HTTPS upload with curl to nginx, interleaved in one run (product, baseline,
 * product, baseline, ...), and prints medians and the ratio of product to baseline throughput.
 *
 * <ul>
 * <li>large: one POSTAL file from the agent's outbox until it is complete in the union's inbound folder, against one
 * curl PUT of the same file; with the peak heap (GC log) and peak RSS (VmHWM) of both JVMs.</li>
 * <li>small: many 4 KiB POSTAL files spread over Tokyo's 62 municipalities, against one curl invocation that uploads
 * the same files on one keep-alive connection.</li>
 * <li>memory: one product run with a larger file (4 GiB by default), to compare its heap with the large runs'.</li>
 * </ul>
 *
 * <p>The agent and the central server run as separate JVMs with their default settings except folders and ports
 * (and done-marker pickup for the small files; see {@link #smallFilesProductRun}). Extra settings can be given as
 * {@code --set key=value} to try a change without a rebuild. Run it with {@code bench/run-throughput.sh}.
 */
public final class ThroughputBench {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(30);
    /** Interval in ms between checks whether a run is done. Each check reads the union's folder listings. */
    private static final long POLL_MILLIS = 50;
    /** The start of the log line each JVM writes when its background AES-GCM warm-up has ended. */
    private static final String WARM_UP_FINISHED = "AES-GCM warm-up finished";

    private static final Set<String> SCENARIOS = Set.of("large", "small", "memory");

    private final BenchOptions options;
    private final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    private final Path work;
    private final Path keys;
    private final List<MunicipalityCode> tokyo;
    private final BenchFiles files;
    private final Path results;

    private ThroughputBench(BenchOptions options) throws IOException {
        this.options = options;
        this.work = options.work.toAbsolutePath();
        this.keys = work.resolve("keys-tokyo");
        this.tokyo = MunicipalityDirectory.bundled().membersOfPrefecture("13").stream().map(Municipality::code)
                .toList();
        this.files = new BenchFiles();
        this.results = work.resolve("results.txt");
    }

    public static void main(String[] args) throws Exception {
        BenchOptions options = BenchOptions.parse(args);
        new ThroughputBench(options).run();
    }

    private void run() throws Exception {
        Files.createDirectories(work);
        print("bench started %s; machine: %s", Instant.now(), Machine.describe(work));
        if (!Files.exists(keys.resolve("ca.p12")) && !Files.exists(keys.resolve("server.p12"))) {
            long started = System.nanoTime();
            new DevCredentialGenerator(keys).generate(tokyo, List.of());
            print("keys for %d municipalities generated in %.1f s", tokyo.size(), seconds(started));
        }
        if (options.runs("large", SCENARIOS)) {
            largeFile(options.largeMib, options.pairs, true);
        }
        if (options.runs("small", SCENARIOS)) {
            smallFiles();
        }
        if (options.runs("memory", SCENARIOS)) {
            largeFile(options.memoryMib, 1, false);
        }
    }

    private void largeFile(long mib, int pairs, boolean withBaseline) throws Exception {
        long bytes = mib * 1024 * 1024;
        long free = Files.getFileStore(work).getUsableSpace();
        if (free < 10 * bytes) {
            print("large file %d MiB skipped: needs %d MiB free in %s (10x the file), has %d MiB", mib,
                    10 * bytes >> 20, work, free >> 20);
            return;
        }
        String name = CHIYODA + "_POSTAL_20261204_" + mib + "MIB.csv";
        Path source = work.resolve("source").resolve(name);
        BenchFiles.Generated file = generateLarge(source, bytes);
        List<Double> product = new ArrayList<>();
        List<Double> baseline = new ArrayList<>();
        try (NginxDav nginx = withBaseline ? NginxDav.start(work.resolve("nginx"), freePort()) : null) {
            for (int pair = 1; pair <= pairs; pair++) {
                product.add(largeFileProductRun(file, name, mib, pair));
                if (nginx != null) {
                    baseline.add(largeFileBaselineRun(nginx, file, name, pair));
                }
            }
        }
        double sizeMib = file.size() / 1048576.0;
        print("large file %d MiB: product median %.1f s (%.1f MiB/s)%s", mib, median(product),
                sizeMib / median(product), baseline.isEmpty() ? "" : String.format(Locale.ROOT,
                        "; baseline median %.1f s (%.1f MiB/s); product/baseline throughput %.0f %%",
                        median(baseline), sizeMib / median(baseline), 100 * median(baseline) / median(product)));
        Files.deleteIfExists(source);
    }

    private BenchFiles.Generated generateLarge(Path source, long bytes) throws IOException {
        Files.deleteIfExists(source);
        long started = System.nanoTime();
        BenchFiles.Generated file = files.write(source, CHIYODA, bytes, 0);
        print("source %s: %d bytes, generated in %.1f s", source.getFileName(), file.size(), seconds(started));
        return file;
    }

    private double largeFileProductRun(BenchFiles.Generated file, String name, long mib, int pair)
            throws Exception {
        Path root = freshFolder(work.resolve("run").resolve("large-" + mib + "-" + pair));
        int port = freePort();
        String load = Machine.loadAverage();
        double seconds;
        try (ProductJvm central = startCentral(root, port, "prefecture:13");
                ProductJvm agent = startAgent(root, "agent", port, tokyo, Map.of())) {
            Path outbox = Files.createDirectories(root.resolve("agent/outbox").resolve(CHIYODA.value()));
            Path delivered = root.resolve("union/inbound").resolve(CHIYODA.value()).resolve(name);
            awaitWarmUp(List.of(central, agent));
            long started = System.nanoTime();
            Files.createLink(outbox.resolve(name), file.path());
            awaitCondition(() -> Files.exists(delivered), List.of(central, agent));
            seconds = seconds(started);
            String sha256 = BenchFiles.sha256(delivered);
            if (Files.size(delivered) != file.size() || !sha256.equals(file.sha256())) {
                throw new IllegalStateException("delivered file differs: size " + Files.size(delivered) + " SHA-256 "
                        + sha256 + ", expected " + file.size() + " " + file.sha256());
            }
            GcLog agentGc = GcLog.read(agent.gcLog);
            GcLog centralGc = GcLog.read(central.gcLog);
            print("large product  %d MiB pair %d: %.1f s, %.1f MiB/s; peak RSS agent %d MiB, central %d MiB;"
                            + " heap max before/after GC agent %d/%d MiB (%d GCs), central %d/%d MiB (%d GCs);"
                            + " load %s -> %s", mib, pair, seconds, file.size() / 1048576.0 / seconds,
                    agent.peakRssKib() / 1024, central.peakRssKib() / 1024, agentGc.maxBeforeGcMib(),
                    agentGc.maxAfterGcMib(), agentGc.collections(), centralGc.maxBeforeGcMib(),
                    centralGc.maxAfterGcMib(), centralGc.collections(), load, Machine.loadAverage());
        }
        keepOrDelete(root);
        return seconds;
    }

    private double largeFileBaselineRun(NginxDav nginx, BenchFiles.Generated file, String name, int pair)
            throws Exception {
        String load = Machine.loadAverage();
        double seconds = nginx.put(file.path(), "large-" + pair + "/" + name);
        Path stored = nginx.davRoot().resolve("large-" + pair).resolve(name);
        if (Files.size(stored) != file.size()) {
            throw new IllegalStateException("nginx stored " + Files.size(stored) + " bytes of " + file.size());
        }
        print("large baseline pair %d: %.1f s, %.1f MiB/s; load %s -> %s", pair, seconds,
                file.size() / 1048576.0 / seconds, load, Machine.loadAverage());
        deleteTree(nginx.davRoot().resolve("large-" + pair));
        return seconds;
    }

    private void smallFiles() throws Exception {
        if (options.smallMunicipalities < 1 || options.smallMunicipalities > tokyo.size()) {
            throw new IllegalArgumentException("--small-municipalities must be between 1 and " + tokyo.size()
                    + ", got " + options.smallMunicipalities);
        }
        List<MunicipalityCode> senders = tokyo.subList(0, options.smallMunicipalities);
        List<BenchFiles.Generated> generated = generateSmall(files, work.resolve("source-small"), senders,
                options.smallFiles, options.smallBytes);
        // Another date and other contents, so that the central server does not hold a measured file as a repeat.
        List<BenchFiles.Generated> warmUp = generateSmall(files, work.resolve("source-warm-up"), senders,
                options.warmUpFiles, options.smallBytes, "20261203", 1_000_003);
        List<Double> product = new ArrayList<>();
        List<Double> baseline = new ArrayList<>();
        try (NginxDav nginx = NginxDav.start(work.resolve("nginx"), freePort())) {
            for (int pair = 1; pair <= options.pairs; pair++) {
                product.add(smallFilesProductRun(warmUp, generated, pair));
                baseline.add(smallFilesBaselineRun(nginx, generated, pair));
            }
        }
        int count = generated.size();
        print("small files %d x %d bytes from %d municipalities, after %d warm-up files: product median %.1f s"
                        + " (%.0f files/s); baseline median %.1f s (%.0f files/s); product/baseline files per second"
                        + " %.0f %%", count, options.smallBytes, senders.size(), warmUp.size(), median(product),
                count / median(product), median(baseline), count / median(baseline),
                100 * median(baseline) / median(product));
    }

    /** Writes {@code count} files spread round-robin over the municipalities, in folders named by code. */
    static List<BenchFiles.Generated> generateSmall(BenchFiles files, Path folder, List<MunicipalityCode> codes,
            int count, int bytes) throws IOException {
        return generateSmall(files, folder, codes, count, bytes, "20261204", 0);
    }

    /** As above, with the date in the names and an offset to every file's seed. */
    static List<BenchFiles.Generated> generateSmall(BenchFiles files, Path folder, List<MunicipalityCode> codes,
            int count, int bytes, String date, int seedOffset) throws IOException {
        deleteTree(folder);
        List<BenchFiles.Generated> generated = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            MunicipalityCode code = codes.get(i % codes.size());
            Path file = folder.resolve(code.value()).resolve(String.format(Locale.ROOT, "%s_POSTAL_%s_%05d.csv",
                    code, date, i));
            generated.add(files.write(file, code, bytes, seedOffset + i * 7));
        }
        return generated;
    }

    /**
     * Drops the files into the outboxes with a done-marker each (agent.pickup.mode=done-marker), so that the run
     * measures transfer and not the quiet period, and waits until all are in the union's folders. The warm-up files, if
     * any, go through the same JVMs first and are not measured.
     */
    private double smallFilesProductRun(List<BenchFiles.Generated> warmUp, List<BenchFiles.Generated> generated,
            int pair) throws Exception {
        Path root = freshFolder(work.resolve("run").resolve("small-" + pair));
        int port = freePort();
        String load = Machine.loadAverage();
        double seconds;
        try (ProductJvm central = startCentral(root, port, "prefecture:13");
                ProductJvm agent = startAgent(root, "agent", port, tokyo, Map.of("agent.pickup.mode", "done-marker"))) {
            if (!warmUp.isEmpty()) {
                double warming = dropAndAwait(root, List.of(agent), List.of(tokyo), warmUp, List.of(central, agent));
                print("small product  pair %d: warm-up of %d files took %.1f s, %.0f files/s", pair, warmUp.size(),
                        warming, warmUp.size() / warming);
                load = Machine.loadAverage();
            }
            ProductJvm.CpuTime agentBefore = agent.cpuTime();
            ProductJvm.CpuTime centralBefore = central.cpuTime();
            seconds = dropAndAwait(root, List.of(agent), List.of(tokyo), generated, List.of(central, agent));
            ProductJvm.CpuTime agentCpu = agent.cpuTime().minus(agentBefore);
            ProductJvm.CpuTime centralCpu = central.cpuTime().minus(centralBefore);
            print("small product  pair %d: %.1f s, %.0f files/s; threads agent %d, central %d; load %s -> %s", pair,
                    seconds, generated.size() / seconds, agent.threadCount(), central.threadCount(), load,
                    Machine.loadAverage());
            print("small product  pair %d: CPU per file agent %.2f ms (JIT compiler %.2f), central %.2f ms (JIT"
                    + " compiler %.2f)", pair, (double) agentCpu.totalMillis() / generated.size(),
                    (double) agentCpu.compilerMillis() / generated.size(),
                    (double) centralCpu.totalMillis() / generated.size(),
                    (double) centralCpu.compilerMillis() / generated.size());
        }
        keepOrDelete(root);
        return seconds;
    }

    /**
     * Links every file into the outbox of the agent that serves its municipality, each followed by its done-marker,
     * and returns the seconds until all have arrived in the union's folders. Sizes are checked afterwards.
     */
    static double dropAndAwait(Path root, List<ProductJvm> agents, List<List<MunicipalityCode>> served,
            List<BenchFiles.Generated> generated, List<ProductJvm> watched) throws Exception {
        Map<MunicipalityCode, Path> outboxes = new LinkedHashMap<>();
        for (int i = 0; i < agents.size(); i++) {
            for (MunicipalityCode code : served.get(i)) {
                outboxes.put(code, Files.createDirectories(root.resolve(agents.get(i).label)
                        .resolve("outbox").resolve(code.value())));
            }
        }
        Path inbound = root.resolve("union/inbound");
        long before = countDelivered(inbound);
        long started = System.nanoTime();
        for (BenchFiles.Generated file : generated) {
            Path outbox = outboxes.get(MunicipalityCode.of(file.path().getParent().getFileName().toString()));
            Path target = outbox.resolve(file.path().getFileName());
            Files.createLink(target, file.path());
            Files.write(target.resolveSibling(target.getFileName() + ".done"), new byte[0],
                    StandardOpenOption.CREATE_NEW);
        }
        awaitCondition(() -> countDelivered(inbound) >= before + generated.size(), watched);
        double seconds = seconds(started);
        for (BenchFiles.Generated file : generated) {
            Path delivered = inbound.resolve(file.path().getParent().getFileName()).resolve(file.path().getFileName());
            if (Files.size(delivered) != file.size()) {
                throw new IllegalStateException(delivered + " has " + Files.size(delivered) + " bytes, expected "
                        + file.size());
            }
        }
        return seconds;
    }

    private double smallFilesBaselineRun(NginxDav nginx, List<BenchFiles.Generated> generated, int pair)
            throws Exception {
        String load = Machine.loadAverage();
        List<Path> paths = generated.stream().map(BenchFiles.Generated::path).toList();
        List<String> urls = paths.stream()
                .map(path -> "small-" + pair + "/" + path.getParent().getFileName() + "/" + path.getFileName())
                .toList();
        double seconds = nginx.putAll(paths, urls);
        long stored = countDelivered(nginx.davRoot().resolve("small-" + pair));
        if (stored != generated.size()) {
            throw new IllegalStateException("nginx stored " + stored + " of " + generated.size() + " files");
        }
        print("small baseline pair %d: %.1f s, %.0f files/s; load %s -> %s", pair, seconds,
                generated.size() / seconds, load, Machine.loadAverage());
        deleteTree(nginx.davRoot().resolve("small-" + pair));
        return seconds;
    }

    ProductJvm startCentral(Path root, int port, String municipalities) throws Exception {
        return startCentral(options, root, port, municipalities, keys);
    }

    static ProductJvm startCentral(BenchOptions options, Path root, int port, String municipalities, Path keys)
            throws Exception {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("central.municipalities", municipalities);
        settings.put("central.union-root", root.resolve("union").toString());
        settings.put("central.data-dir", root.resolve("central-data").toString());
        settings.put("central.keys-dir", keys.toString());
        settings.put("central.window.port", Integer.toString(port));
        settings.putAll(options.overrides("central."));
        ProductJvm central = ProductJvm.start(ProductJvm.Kind.CENTRAL, "central", root, settings, options.heap,
                options.jvmOptions(root, "central"));
        central.awaitReady(port, Duration.ofMinutes(5));
        return central;
    }

    ProductJvm startAgent(Path root, String label, int port, List<MunicipalityCode> codes, Map<String, String> extra)
            throws Exception {
        return startAgent(options, root, label, port, codes, extra, keys);
    }

    static ProductJvm startAgent(BenchOptions options, Path root, String label, int port, List<MunicipalityCode> codes,
            Map<String, String> extra, Path keys) throws Exception {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("agent.municipalities", String.join(",", codes.stream().map(MunicipalityCode::value).toList()));
        settings.put("agent.folder-root", root.resolve(label).toString());
        settings.put("agent.data-dir", root.resolve(label + "-data").toString());
        settings.put("agent.keys-dir", keys.toString());
        settings.put("agent.central-url", "https://localhost:" + port);
        settings.putAll(extra);
        settings.putAll(options.overrides("agent."));
        ProductJvm agent = ProductJvm.start(ProductJvm.Kind.AGENT, label, root, settings, options.heap,
                options.jvmOptions(root, label));
        agent.awaitReady(0, Duration.ofMinutes(5));
        return agent;
    }

    static void awaitCondition(Check condition, List<ProductJvm> watched) throws Exception {
        long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
        long nextHealthCheck = 0;
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not done after " + RUN_TIMEOUT);
            }
            if (System.nanoTime() > nextHealthCheck) {
                for (ProductJvm jvm : watched) {
                    jvm.requireHealthy();
                }
                nextHealthCheck = System.nanoTime() + 1_000_000_000L;
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /**
     * Waits until every JVM has logged the end of its AES-GCM warm-up, so that a single large file measures the product
     * as it runs once started, not a cipher still interpreted while the warm-up thread competes for the cores.
     */
    private void awaitWarmUp(List<ProductJvm> jvms) throws Exception {
        long started = System.nanoTime();
        awaitCondition(() -> {
            for (ProductJvm jvm : jvms) {
                if (!jvm.logContains(WARM_UP_FINISHED)) {
                    return false;
                }
            }
            return true;
        }, jvms);
        print("AES-GCM warm-up of both JVMs finished %.1f s after they had started", seconds(started));
    }

    /** A condition polled by {@link #awaitCondition}. */
    @FunctionalInterface
    interface Check {
        boolean holds() throws IOException;
    }

    /**
     * Counts the entries in the folders below {@code root} whose names do not start with a dot, which leaves out the
     * .part staging folders. It reads names only: a check of each entry's type, polled every 20 ms over 6,000
     * delivered files, took 11 % of the machine's CPU from the product under test.
     */
    static long countDelivered(Path root) throws IOException {
        if (!Files.isDirectory(root)) {
            return 0;
        }
        long count = 0;
        try (Stream<Path> folders = Files.list(root)) {
            for (Path folder : folders.filter(Files::isDirectory).toList()) {
                try (Stream<Path> entries = Files.list(folder)) {
                    count += entries.filter(entry -> !entry.getFileName().toString().startsWith(".")).count();
                }
            }
        }
        return count;
    }

    private Path freshFolder(Path folder) throws IOException {
        deleteTree(folder);
        return Files.createDirectories(folder);
    }

    private void keepOrDelete(Path root) throws IOException {
        if (!options.keepRuns) {
            for (String name : List.of("agent", "agent-data", "central-data", "union")) {
                deleteTree(root.resolve(name));
            }
        }
    }

    static void deleteTree(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    static double seconds(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

    void print(String format, Object... arguments) throws IOException {
        String line = String.format(Locale.ROOT, format, arguments);
        out.println(line);
        Files.writeString(results, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }
}
