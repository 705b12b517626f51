package jp.kouiki.window.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command-line life cycle shared by the agent and the central server: read {@code --config FILE}, build the
 * service from its settings (exit code 2 on invalid settings), start it (exit code 1 when it cannot start, after
 * closing what did start), and close it on SIGTERM or Ctrl-C.
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
    }

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
        Path config = null;
        if (args.length == 2 && args[0].equals("--config")) {
            config = Path.of(args[1]);
        } else if (args.length != 0) {
            System.err.println("usage: " + name + " [--config application.properties]");
            System.exit(2);
            return;
        }
        Service service;
        try {
            service = factory.create(config);
        } catch (java.nio.file.NoSuchFileException e) {
            System.err.println(name + ": configuration file " + e.getFile() + " not found");
            System.exit(2);
            return;
        } catch (IllegalArgumentException | IOException e) {
            System.err.println(name + ": invalid configuration: " + e.getMessage());
            System.exit(2);
            return;
        }
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

    private static void closeQuietly(String name, Service service) {
        try {
            service.close();
        } catch (Exception e) {
            LOG.warn("Clean-up after the failed start of {} failed: error={}", name, e.toString());
        }
    }
}
