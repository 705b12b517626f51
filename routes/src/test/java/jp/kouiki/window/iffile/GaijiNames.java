package jp.kouiki.window.iffile;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The made-up person names of {@code data/gaiji/names-utf8.txt}, packaged as the test resource {@value #RESOURCE}. */
public final class GaijiNames {

    public static final String RESOURCE = "/gaiji/names-utf8.txt";

    /**
     * One name.
     *
     * @param id       such as M01
     * @param name     family name, a space and given name
     * @param category such as ms932-only, neither, ivs or wave-dash
     */
    public record Name(String id, String name, String category) {
    }

    private GaijiNames() {
    }

    /** Returns every name in file order. */
    public static List<Name> all() {
        try (InputStream in = GaijiNames.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the test classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            List<Name> names = new ArrayList<>();
            reader.readLine();
            String line;
            while ((line = reader.readLine()) != null) {
                String[] fields = line.split("\t", -1);
                names.add(new Name(fields[0], fields[1], fields[2]));
            }
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** Returns the name with this id. */
    public static Name byId(String id) {
        return all().stream().filter(name -> name.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no name with id " + id + " in " + RESOURCE));
    }

    /** Returns the names that a file in {@code charset} can carry unchanged. */
    public static List<Name> writableIn(FileCharset charset) {
        return all().stream().filter(name -> GaijiEncoder.roundTrips(charset, name.name())).toList();
    }
}
