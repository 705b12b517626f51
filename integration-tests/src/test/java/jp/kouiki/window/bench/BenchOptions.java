package jp.kouiki.window.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Command-line options of the benches; {@code --help} lists them. */
final class BenchOptions {

    static final String USAGE = """
            options:
              --work DIR            folder for keys, source files, runs, logs and results.txt (default bench-work)
              --scenarios LIST      throughput bench: large, small, memory (default all three);
                                    scale bench: keys, idle, spread (default all three)
              --pairs N             product/baseline pairs per scenario, interleaved (default 3)
              --large-mib N         size of the large file in MiB (default 1024)
              --memory-mib N        size of the memory run's file in MiB (default 4096)
              --small-files N       number of small files (default 2000)
              --small-bytes N       minimum size of each small file in bytes (default 4096)
              --small-municipalities N
                                    spread the measured small files over the first N of Tokyo's 62 municipalities;
                                    1 measures one municipality's burst (default 62)
              --warm-up-files N     small files sent through the product JVMs, unmeasured, before each measured small
                                    run, so that it measures compiled code instead of the JIT's warm-up (default 0)
              --agents N            scale bench: number of agents sharing the 1,741 municipalities (default 6)
              --heap SIZE           -Xmx of every product JVM (default 256m)
              --jfr                 record a JFR profile (settings=profile) of every product JVM into its run folder
              --keep-runs           keep each run's folders (data, logs) instead of deleting them
              --set KEY=VALUE       add a product setting (agent.* or central.*) to every run; repeatable
              --jvm-option OPTION   add an option to every product JVM's command line; repeatable
            """;

    Path work = Path.of("bench-work");
    /** Scenarios given with --scenarios, or null for the bench's default. */
    private Set<String> scenarios;
    int pairs = 3;
    long largeMib = 1024;
    long memoryMib = 4096;
    int smallFiles = 2000;
    int smallBytes = 4096;
    int smallMunicipalities = 62;
    int warmUpFiles;
    int agents = 6;
    String heap = "256m";
    boolean jfr;
    boolean keepRuns;
    final Map<String, String> settings = new LinkedHashMap<>();
    final List<String> productJvmOptions = new ArrayList<>();

    static BenchOptions parse(String[] args) {
        BenchOptions options = new BenchOptions();
        for (int i = 0; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--work" -> options.work = Path.of(required(args[i], value));
                case "--scenarios" -> options.scenarios = Set.of(required(args[i], value).split(","));
                case "--pairs" -> options.pairs = Integer.parseInt(required(args[i], value));
                case "--large-mib" -> options.largeMib = Long.parseLong(required(args[i], value));
                case "--memory-mib" -> options.memoryMib = Long.parseLong(required(args[i], value));
                case "--small-files" -> options.smallFiles = Integer.parseInt(required(args[i], value));
                case "--small-bytes" -> options.smallBytes = Integer.parseInt(required(args[i], value));
                case "--small-municipalities" -> options.smallMunicipalities =
                        Integer.parseInt(required(args[i], value));
                case "--warm-up-files" -> options.warmUpFiles = Integer.parseInt(required(args[i], value));
                case "--agents" -> options.agents = Integer.parseInt(required(args[i], value));
                case "--heap" -> options.heap = required(args[i], value);
                case "--set" -> {
                    String setting = required(args[i], value);
                    int equals = setting.indexOf('=');
                    if (equals <= 0) {
                        throw new IllegalArgumentException("--set needs KEY=VALUE, got '" + setting + "'");
                    }
                    options.settings.put(setting.substring(0, equals), setting.substring(equals + 1));
                }
                case "--jvm-option" -> options.productJvmOptions.add(required(args[i], value));
                case "--jfr" -> {
                    options.jfr = true;
                    continue;
                }
                case "--keep-runs" -> {
                    options.keepRuns = true;
                    continue;
                }
                case "--help" -> {
                    System.out.print(USAGE);
                    System.exit(0);
                }
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'\n" + USAGE);
            }
            i++;
        }
        return options;
    }

    /** Returns whether the scenario was selected, or is one of the defaults when none was. */
    boolean runs(String scenario, Set<String> defaults) {
        return (scenarios == null ? defaults : scenarios).contains(scenario);
    }

    /** Returns the {@code --set} settings whose key starts with the prefix, such as "agent.". */
    Map<String, String> overrides(String prefix) {
        Map<String, String> selected = new LinkedHashMap<>();
        settings.forEach((key, value) -> {
            if (key.startsWith(prefix)) {
                selected.put(key, value);
            }
        });
        return selected;
    }

    /**
     * JVM options for one product JVM: those given with {@code --jvm-option}, and a JFR recording into its run folder
     * when {@code --jfr} is given.
     */
    List<String> jvmOptions(Path root, String label) {
        List<String> jvm = new ArrayList<>(productJvmOptions);
        if (jfr) {
            jvm.add("-XX:StartFlightRecording=settings=profile,filename=" + root.resolve(label + ".jfr"));
        }
        return jvm;
    }

    private static String required(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value\n" + USAGE);
        }
        return value;
    }
}
