package jp.kouiki.window.config;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command-line life cycle shared by the agent and the central server: read {@code --config FILE}, build the
 * service from its settings (exit code 2 on invalid settings), start it (exit code 1 when it cannot start, after
 * closing what did start), and close it on SIGTERM or Ctrl-C. With {@code --check-config} it checks the settings and
 * the files they name, prints the node's version and configuration digest, and exits 0 or 2 without starting.
 */
public final class ServiceMain {

    /** Builds a service from the configuration file, or from the defaults when the path is null. */
    @FunctionalInterface
    public interface Factory<S extends Service> {
        S create(Path config) throws IOException;
    }

    /** A service that can be started once and closed. */
    public interface Service extends AutoCloseable {
        void startService() throws Exception;

        /**
         * Checks what start-up will need beyond the settings' form, such as key files and folders, without starting
         * anything.
         *
         * @throws IllegalArgumentException naming the setting and the fix when something is missing or unusable
         */
        default void checkConfiguration() throws IOException {
        }

        /** Returns the product version of this node, or {@link ProductVersion#UNKNOWN}. */
        default String version() {
            return ProductVersion.UNKNOWN;
        }

        /** Returns the {@link ConfigurationDigest} of the settings in effect, or null when the service has none. */
        default String configDigest() {
            return null;
        }
    }

    /** The option that checks the configuration and exits: 0 when it is valid, 2 with the key to fix otherwise. */
    public static final String CHECK_CONFIG = "--check-config";

    private static final Logger LOG = LoggerFactory.getLogger(ServiceMain.class);

    private ServiceMain() {
    }

    /** Runs the service until the JVM is asked to stop; never returns normally. */
    public static void run(String name, Class<?> mainClass, String[] args, Factory<?> factory) throws Exception {
        int relaunched = FileNameEncoding.relaunchUnderUtf8IfNeeded(mainClass, args);
        if (relaunched >= 0) {
            System.exit(relaunched);
            return;
        }
        List<String> arguments = new ArrayList<>(List.of(args));
        boolean checkOnly = arguments.remove(CHECK_CONFIG);
        if (!(arguments.isEmpty() || arguments.size() == 2 && arguments.get(0).equals("--config"))) {
            System.err.println("usage: " + name + " [--config application.properties] [" + CHECK_CONFIG + "]");
            System.exit(2);
            return;
        }
        Path config = arguments.isEmpty() ? null : Path.of(arguments.get(1));
        Service service = createOrExit(name, factory, config, checkOnly);
        if (checkOnly) {
            System.out.println(name + ": 設定に誤りはありません / configuration is valid: "
                    + (config == null ? "defaults" : config));
            System.out.println(name + ": バージョン / version=" + service.version() + " 設定ダイジェスト / configDigest="
                    + service.configDigest());
            System.exit(0);
            return;
        }
        LOG.info("Starting {}: version={} configDigest={} config={}", name, service.version(),
                service.configDigest(), config == null ? "defaults" : config);
        try {
            service.startService();
        } catch (Exception | Error e) {
            LOG.error("{} could not start: {}", name, e.getMessage(), e);
            System.err.println(name + ": cannot start: " + e.getMessage());
            closeQuietly(name, service);
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                service.close();
            } catch (Exception e) {
                LOG.error("{} did not stop cleanly", name, e);
            } finally {
                stopped.countDown();
            }
        }, name + "-shutdown"));
        stopped.await();
    }

    /**
     * Builds the service, and with {@code --check-config} checks the files its settings name. Exits with code 2 and a
     * message that names the setting when either fails.
     */
    private static Service createOrExit(String name, Factory<?> factory, Path config, boolean check) {
        try {
            Service service = factory.create(config);
            if (check) {
                service.checkConfiguration();
            }
            return service;
        } catch (NoSuchFileException e) {
            System.err.println(name + ": 設定ファイルがありません / configuration file " + e.getFile() + " not found");
        } catch (IllegalArgumentException | IOException e) {
            System.err.println(name + ": 設定に誤りがあります / invalid configuration: " + e.getMessage());
        }
        System.exit(2);
        throw new IllegalStateException("System.exit returned");
    }

    private static void closeQuietly(String name, Service service) {
        try {
            service.close();
        } catch (Exception e) {
            LOG.warn("Clean-up after the failed start of {} failed: error={}", name, e.toString());
        }
    }
}
