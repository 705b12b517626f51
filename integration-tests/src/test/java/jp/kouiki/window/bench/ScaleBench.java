package jp.kouiki.window.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import jp.kouiki.window.municipality.Municipality;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.municipality.MunicipalityDirectory;
import jp.kouiki.window.security.DevCredentialGenerator;

/**
 * Measures a central server configured for every member municipality ({@code central.municipalities=all}): the time
 * to generate development credentials for all of them, start-up time, idle heap after a full GC, threads and sockets,
 * compared with a central server for Tokyo's 62; then a small-file run spread over all municipalities through several
 * agents that each serve a few hundred, with threads and sockets of every JVM before and after. Run it with
 * {@code bench/run-scale.sh}.
 */
public final class ScaleBench {

    private static final Set<String> SCENARIOS = Set.of("keys", "idle", "spread");

    private final BenchOptions options;
    private final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    private final Path work;
    private final Path keys;
    private final Path results;

    private ScaleBench(BenchOptions options) {
        this.options = options;
        this.work = options.work.toAbsolutePath();
        this.keys = work.resolve("keys-all");
        this.results = work.resolve("results.txt");
    }

    public static void main(String[] args) throws Exception {
        new ScaleBench(BenchOptions.parse(args)).run();
    }

    private void run() throws Exception {
        Files.createDirectories(work);
        print("scale bench started %s; machine: %s", Instant.now(), Machine.describe(work));
        List<MunicipalityCode> all = MunicipalityDirectory.bundled().members().stream().map(Municipality::code)
                .toList();
        if (options.runs("keys", SCENARIOS) || !Files.exists(keys.resolve("server"))) {
            generateKeys(all);
        }
        if (options.runs("idle", SCENARIOS)) {
            idleCentral("prefecture:13");
            idleCentral("all");
        }
        if (options.runs("spread", SCENARIOS)) {
            spreadRun(all);
        }
    }

    private void generateKeys(List<MunicipalityCode> all) throws Exception {
        String load = Machine.loadAverage();
        long started = System.nanoTime();
        DevCredentialGenerator.Summary summary = new DevCredentialGenerator(keys).generate(all, List.of());
        print("credentials for %d municipalities: %d files created in %.1f s (existing ones are kept); load %s -> %s",
                all.size(), summary.createdFiles(), ThroughputBench.seconds(started), load, Machine.loadAverage());
    }

    /**
     * Starts a central server alone twice on one data directory and reports start-up time, idle heap, threads and
     * sockets: the first start creates every municipality's queues, the restart finds them in the journal.
     */
    private void idleCentral(String municipalities) throws Exception {
        Path root = freshRoot("idle-" + municipalities.replace(':', '-'));
        for (String start : List.of("first start", "restart")) {
            int port = ThroughputBench.freePort();
            String load = Machine.loadAverage();
            long started = System.nanoTime();
            try (ProductJvm central = ThroughputBench.startCentral(options, root, port, municipalities, keys)) {
                double readySeconds = ThroughputBench.seconds(started);
                Thread.sleep(5000);
                print("central %s, %s: startupMs=%d (ready %.1f s after launch); idle heap after full GC %d MiB;"
                                + " RSS %d MiB; threads %d; sockets %d; load %s -> %s", municipalities, start,
                        central.startupMillis(), readySeconds, central.heapAfterFullGcMib(), central.rssKib() / 1024,
                        central.threadCount(), central.socketCount(), load, Machine.loadAverage());
            }
            Files.move(root.resolve("central.log"), root.resolve("central-" + start.replace(' ', '-') + ".log"));
        }
        if (!options.keepRuns) {
            ThroughputBench.deleteTree(root);
        }
    }

    /** Runs the small files spread over every municipality through several agents, each serving a share. */
    private void spreadRun(List<MunicipalityCode> all) throws Exception {
        Path root = freshRoot("spread");
        int port = ThroughputBench.freePort();
        List<List<MunicipalityCode>> shares = split(all, options.agents);
        List<BenchFiles.Generated> generated = ThroughputBench.generateSmall(new BenchFiles(),
                work.resolve("source-spread"), all, options.smallFiles, options.smallBytes);
        List<ProductJvm> agents = new ArrayList<>();
        String load = Machine.loadAverage();
        try (ProductJvm central = ThroughputBench.startCentral(options, root, port, "all", keys)) {
            try {
                for (int i = 0; i < shares.size(); i++) {
                    long started = System.nanoTime();
                    agents.add(ThroughputBench.startAgent(options, root, "agent" + (i + 1), port, shares.get(i),
                            Map.of("agent.pickup.mode", "done-marker"), keys));
                    print("agent%d: %d municipalities, ready after %.1f s", i + 1, shares.get(i).size(),
                            ThroughputBench.seconds(started));
                }
                report("before the run", central, agents);
                List<ProductJvm> watched = new ArrayList<>(agents);
                watched.add(central);
                double seconds = ThroughputBench.dropAndAwait(root, agents, shares, generated, watched);
                print("spread run: %d files over %d municipalities through %d agents in %.1f s, %.0f files/s;"
                                + " load %s -> %s", generated.size(), all.size(), agents.size(), seconds,
                        generated.size() / seconds, load, Machine.loadAverage());
                report("right after the run", central, agents);
                Thread.sleep(70_000);
                report("70 s after the run", central, agents);
            } finally {
                for (ProductJvm agent : agents) {
                    agent.close();
                }
            }
        }
        if (!options.keepRuns) {
            ThroughputBench.deleteTree(root);
        }
    }

    private void report(String when, ProductJvm central, List<ProductJvm> agents) throws IOException {
        StringBuilder line = new StringBuilder("threads/sockets " + when + ": central " + central.threadCount() + "/"
                + central.socketCount());
        for (ProductJvm agent : agents) {
            line.append(", ").append(agent.label).append(' ').append(agent.threadCount()).append('/')
                    .append(agent.socketCount());
        }
        print("%s", line);
    }

    private static List<List<MunicipalityCode>> split(List<MunicipalityCode> all, int parts) {
        List<List<MunicipalityCode>> shares = new ArrayList<>();
        int size = (all.size() + parts - 1) / parts;
        for (int start = 0; start < all.size(); start += size) {
            shares.add(all.subList(start, Math.min(all.size(), start + size)));
        }
        return shares;
    }

    private Path freshRoot(String name) throws IOException {
        Path root = work.resolve("run").resolve(name);
        ThroughputBench.deleteTree(root);
        return Files.createDirectories(root);
    }

    private void print(String format, Object... arguments) throws IOException {
        String line = String.format(Locale.ROOT, format, arguments);
        out.println(line);
        Files.writeString(results, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }
}
