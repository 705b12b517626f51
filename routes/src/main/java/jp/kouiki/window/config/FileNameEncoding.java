package jp.kouiki.window.config;

import java.lang.management.ManagementFactory;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes sure the JVM reads file names as UTF-8. The JDK takes the file-name encoding from the locale at start-up, so
 * under LANG=C or a service manager without a locale every Japanese file name would be unreadable. A process started
 * that way starts itself again, once, with the same options under LC_ALL=C.UTF-8, and passes its exit code on.
 */
public final class FileNameEncoding {

    private static final String RELAUNCHED = "window.relaunched-for-utf8";

    private FileNameEncoding() {
    }

    /** Returns true when file names are read as UTF-8 in this JVM. */
    public static boolean isUtf8() {
        String encoding = System.getProperty("sun.jnu.encoding");
        return encoding == null || Charset.isSupported(encoding)
                && Charset.forName(encoding).equals(StandardCharsets.UTF_8);
    }

    /**
     * Runs the main class again under a UTF-8 locale when this JVM cannot read non-ASCII file names, and returns the
     * child's exit code. Returns -1 when this JVM can go on itself.
     */
    public static int relaunchUnderUtf8IfNeeded(Class<?> mainClass, String[] args) throws Exception {
        if (Boolean.getBoolean(RELAUNCHED)) {
            // Stop with the launcher, even when it was killed without a chance to stop this JVM itself.
            ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(1)));
            return -1;
        }
        if (isUtf8()) {
            return -1;
        }
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-D" + RELAUNCHED + "=true");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).inheritIO();
        builder.environment().put("LC_ALL", "C.UTF-8");
        System.err.println(mainClass.getSimpleName() + ": file names are read as " + System.getProperty(
                "sun.jnu.encoding") + " under this locale; starting again under LC_ALL=C.UTF-8 so that Japanese file"
                + " names work (set a UTF-8 locale to avoid this step)");
        Process child = builder.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            child.destroy();
            try {
                child.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "utf8-relaunch-stop"));
        return child.waitFor();
    }

    /** Returns true when a name read from the file system lost bytes that were not valid in its encoding. */
    public static boolean isUndecodable(String name) {
        return name.indexOf('\uFFFD') >= 0;
    }
}
