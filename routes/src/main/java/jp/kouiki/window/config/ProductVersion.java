package jp.kouiki.window.config;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's product version, read from a properties resource whose {@code version} key the build fills in with the
 * Maven project version.
 */
public final class ProductVersion {

    /** The version of a node whose resource is missing or was not filtered by the build, as in an IDE run. */
    public static final String UNKNOWN = "unknown";

    private static final Logger LOG = LoggerFactory.getLogger(ProductVersion.class);

    private ProductVersion() {
    }

    /** Reads {@code version} from the classpath resource, such as "/central-version.properties". */
    public static String read(String resource) {
        Properties properties = new Properties();
        try (InputStream in = ProductVersion.class.getResourceAsStream(resource)) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            LOG.warn("Product version could not be read, reporting '{}': resource={} error={}", UNKNOWN, resource,
                    e.toString());
            return UNKNOWN;
        }
        String version = properties.getProperty("version", UNKNOWN).strip();
        return version.isEmpty() || version.startsWith("${") ? UNKNOWN : version;
    }
}
