package jp.kouiki.window.municipality;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The national list of municipalities and designated-city wards, read from the CSV layout of
 * {@code localgovjp-utf8.csv} (UTF-8 with BOM; columns pid, pref, cid, city, citykana, lat, lng, url, phrase, lgcode).
 * Wards are written as "city ward" with one ASCII space and are not union members.
 */
public final class MunicipalityDirectory {

    /** Classpath location of the bundled list of all 1,741 municipalities and 175 wards. */
    public static final String BUNDLED_LIST = "/municipalities/localgovjp-utf8.csv";

    private final Map<MunicipalityCode, Municipality> byCode;

    private MunicipalityDirectory(Map<MunicipalityCode, Municipality> byCode) {
        this.byCode = Collections.unmodifiableMap(byCode);
    }

    /** Loads the list bundled with the product. */
    public static MunicipalityDirectory bundled() {
        try (InputStream in = MunicipalityDirectory.class.getResourceAsStream(BUNDLED_LIST)) {
            if (in == null) {
                throw new IllegalStateException("bundled municipality list " + BUNDLED_LIST + " is missing from the classpath");
            }
            return read(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read bundled municipality list " + BUNDLED_LIST, e);
        }
    }

    /** Loads a list in the same CSV layout from a file. */
    public static MunicipalityDirectory load(Path csv) throws IOException {
        try (InputStream in = Files.newInputStream(csv)) {
            return read(in);
        }
    }

    static MunicipalityDirectory read(InputStream in) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String header = reader.readLine();
        if (header == null) {
            throw new IOException("municipality list is empty; expected a header line starting with pid,pref,cid,city");
        }
        Map<MunicipalityCode, Municipality> rows = new LinkedHashMap<>();
        Map<String, MunicipalityCode> cityByName = new LinkedHashMap<>();
        String line;
        int lineNumber = 1;
        while ((line = reader.readLine()) != null) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            List<String> fields = splitCsvLine(line);
            if (fields.size() != 10) {
                throw new IOException("municipality list line " + lineNumber + " has " + fields.size()
                        + " fields where 10 are expected");
            }
            MunicipalityCode code = MunicipalityCode.of(fields.get(9));
            String prefecture = fields.get(1);
            String name = fields.get(3);
            int space = name.indexOf(' ');
            MunicipalityCode parent = null;
            if (space > 0) {
                parent = cityByName.get(prefecture + "/" + name.substring(0, space));
                if (parent == null) {
                    throw new IOException("municipality list line " + lineNumber + ": ward " + name
                            + " comes before its city");
                }
            } else {
                cityByName.put(prefecture + "/" + name, code);
            }
            rows.put(code, new Municipality(code, prefecture, name, parent));
        }
        return new MunicipalityDirectory(rows);
    }

    /** Splits one CSV line with RFC 4180 quoting (doubled quotes inside quoted fields). */
    static List<String> splitCsvLine(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else if (c != '\uFEFF') {
                field.append(c);
            }
        }
        fields.add(field.toString());
        return fields;
    }

    public Optional<Municipality> find(MunicipalityCode code) {
        return Optional.ofNullable(byCode.get(code));
    }

    /**
     * Returns the member municipality for a code, rejecting codes that are unknown or belong to a designated-city
     * ward, whose files travel under the city's code.
     */
    public Municipality member(MunicipalityCode code) {
        Municipality municipality = byCode.get(code);
        if (municipality == null) {
            throw new IllegalArgumentException("municipality code " + code + " is not in the municipality list");
        }
        if (municipality.isWard()) {
            throw new IllegalArgumentException("municipality code " + code + " is a ward of a designated city ("
                    + municipality.name() + "); use the city's code " + municipality.parentCity());
        }
        return municipality;
    }

    /** Returns the union members, wards excluded, in list order. */
    public List<Municipality> members() {
        return byCode.values().stream().filter(Predicate.not(Municipality::isWard)).toList();
    }

    /** Returns the union members of one prefecture, given by its two-digit number such as "13". */
    public List<Municipality> membersOfPrefecture(String prefectureNumber) {
        return members().stream().filter(m -> m.code().prefecture().equals(prefectureNumber)).toList();
    }

    public Collection<Municipality> all() {
        return byCode.values();
    }
}
