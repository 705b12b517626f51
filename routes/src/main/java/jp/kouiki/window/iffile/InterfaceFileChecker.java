package jp.kouiki.window.iffile;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks an interface file's contents against its IF kind and its sender before it travels (at the agent) and before
 * the union receives it (at the central server), and converts it where its kind declares a conversion. What each kind requires
 * comes from an {@link InterfaceKindCatalogue}; a kind missing from the catalogue passes unread and unchanged.
 */
public final class InterfaceFileChecker {

    public static final String POSTAL_KIND = "POSTAL";

    private static final Logger LOG = LoggerFactory.getLogger(InterfaceFileChecker.class);

    private final InterfaceKindCatalogue catalogue;

    /** Creates a checker with the built-in catalogue. */
    public InterfaceFileChecker() {
        this(InterfaceKindCatalogue.builtIn());
    }

    public InterfaceFileChecker(InterfaceKindCatalogue catalogue) {
        this.catalogue = catalogue;
    }

    public InterfaceKindCatalogue catalogue() {
        return catalogue;
    }

    /** Returns the number of records checked, or -1 for a kind whose records are not checked. */
    public long check(Path file, InterfaceFileName name) throws IOException, InterfaceFileRejectedException {
        return inspect(file, name).records();
    }

    /**
     * Checks a file without writing anything. For a kind that converts, it also finds every character the target
     * cannot hold, so that a file the central server would reject is rejected before it travels.
     */
    public InterfaceFileReport inspect(Path file, InterfaceFileName name)
            throws IOException, InterfaceFileRejectedException {
        InterfaceKind kind = catalogue.find(name.kind()).orElse(null);
        if (kind == null) {
            LOG.warn("IF kind not in the catalogue, records not checked: municipality={} file={} kind={}"
                    + " catalogue={}; add the kind to the catalogue to have its records checked", name.code(),
                    InterfaceFileName.printable(name.name()), name.kind(), catalogue.source());
            return InterfaceFileReport.unknown(name.kind());
        }
        InterfaceFileReport report = scan(kind, file, name, null, null);
        if (report.gaijiCount() > 0) {
            GaijiFinding first = report.firstFindings().get(0);
            LOG.warn("File has characters its conversion target cannot hold; they will be replaced at delivery:"
                    + " municipality={} file={} kind={} target={} count={} first=\"{}\"", name.code(),
                    InterfaceFileName.printable(name.name()), kind.id(), kind.convertTo().configName(),
                    report.gaijiCount(), first.english());
        }
        return report;
    }

    /**
     * Checks a file of a kind that converts and writes the converted records into {@code target}, and one line per
     * replaced character into {@code replacements} (line, column, record byte, original and replacement code points,
     * tab-separated).
     */
    InterfaceFileReport convert(InterfaceKind kind, Path file, InterfaceFileName name, OutputStream target,
            Writer replacements) throws IOException, InterfaceFileRejectedException {
        return scan(kind, file, name, target, replacements);
    }

    private static InterfaceFileReport scan(InterfaceKind kind, Path file, InterfaceFileName name, OutputStream out,
            Writer replacements) throws IOException, InterfaceFileRejectedException {
        if (kind.namePattern() != null && !kind.namePattern().matches(name.name())) {
            throw new RejectionMessages(kind, name).nameMismatch();
        }
        try (InputStream in = Files.newInputStream(file)) {
            return new InterfaceFileScan(kind, name, replacements).run(in, out);
        }
    }
}
