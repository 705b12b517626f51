package jp.kouiki.window.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.iffile.FileCharset;
import jp.kouiki.window.iffile.FixedLengthFileGenerator;
import jp.kouiki.window.iffile.GaijiNames;
import jp.kouiki.window.iffile.LineEnd;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.FileIds;

/**
 * Fixed-length files with 外字 through agent and central server with a configured catalogue: replaced and reported
 * under the replace policy, refused at the agent under the refuse policy, and Windows-31J converted to UTF-8 without
 * loss at delivery.
 */
class InterfaceFileConversionIT {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final Charset WINDOWS_31J = Charset.forName("windows-31j");

    @TempDir
    Path root;

    @Test
    void gaijiIsReplacedOrRefusedAndWindows31jBecomesUtf8() throws Exception {
        Path catalogue = Files.writeString(root.resolve("interface-kinds.properties"),
                fixed("IDOUREP", "utf-8", "kind.IDOUREP.convert-to=windows-31j\n"
                        + "kind.IDOUREP.gaiji=replace\n")
                        + fixed("IDOUREF", "utf-8", "kind.IDOUREF.convert-to=windows-31j\n")
                        + fixed("SHOTOKU8", "windows-31j", "kind.SHOTOKU8.convert-to=utf-8\n"),
                StandardCharsets.UTF_8);
        FixedLengthFileGenerator utf8 = new FixedLengthFileGenerator(FileCharset.UTF_8, FileCharset.WINDOWS_31J,
                LineEnd.CRLF, GaijiNames.all());
        byte[] replaced = generate(utf8.kind("IDOUREP"));
        byte[] refused = generate(utf8.kind("IDOUREF"));
        byte[] windows31j = generate(new FixedLengthFileGenerator(FileCharset.WINDOWS_31J, FileCharset.WINDOWS_31J,
                LineEnd.CRLF, GaijiNames.writableIn(FileCharset.WINDOWS_31J).stream()
                        .filter(name -> !name.category().equals("pua-gaiji")).toList()).kind("SHOTOKU8"));
        try (WindowSystem system = new WindowSystem(root, List.of(CHIYODA))) {
            system.startCentral(catalogueSetting("central.interface-kinds", catalogue));
            system.startAgent(catalogueSetting("agent.interface-kinds", catalogue));

            system.drop(CHIYODA, "131016_IDOUREP_20261204_001.dat", replaced);
            system.drop(CHIYODA, "131016_IDOUREF_20261204_001.dat", refused);
            system.drop(CHIYODA, "131016_SHOTOKU8_20261204_001.dat", windows31j);

            Path replacedFile = system.inbound(CHIYODA).resolve("131016_IDOUREP_20261204_001.dat");
            Path convertedFile = system.inbound(CHIYODA).resolve("131016_SHOTOKU8_20261204_001.dat");
            await("both converted files delivered").atMost(Duration.ofSeconds(60))
                    .until(() -> Files.exists(replacedFile) && Files.exists(convertedFile));
            await("refused file's reason in the agent's error folder").atMost(Duration.ofSeconds(30))
                    .until(() -> !reasons(system.error(CHIYODA)).isEmpty());

            String delivered = new String(Files.readAllBytes(replacedFile), WINDOWS_31J);
            assertThat(delivered).contains("●田　悠真", "●城　孝", "髙橋　直樹").doesNotContain("?");
            assertThat(delivered.lines()).hasSize(36)
                    .allSatisfy(line -> assertThat(line.getBytes(WINDOWS_31J)).hasSize(500));
            String replacedReport = report(system, "131016_IDOUREP_20261204_001.dat");
            assertThat(replacedReport)
                    .contains("received as sent: " + replaced.length + " bytes, utf-8, sha256 " + sha256(replaced))
                    .contains("bytes, windows-31j, sha256 " + sha256(Files.readAllBytes(replacedFile)))
                    .contains("replaced characters: 11")
                    .contains("15\t16\t16\tU+20BB7\tU+25CF", "19\t16\t16\tU+845B U+E0100\tU+25CF");

            assertThat(convertedFile).hasBinaryContent(new String(windows31j, WINDOWS_31J)
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(report(system, "131016_SHOTOKU8_20261204_001.dat"))
                    .contains("sha256 " + sha256(windows31j) + " (signed manifest)")
                    .contains("delivered: " + Files.size(convertedFile) + " bytes, utf-8, sha256 "
                            + sha256(Files.readAllBytes(convertedFile)))
                    .contains("replaced characters: 0");

            assertThat(reasons(system.error(CHIYODA))).singleElement().asString()
                    .contains("131016_IDOUREF_20261204_001.dat")
                    .contains("Windows-31J で表せない外字が 11文字あります: 15行目 16文字目（行内 16バイト目）U+20BB7")
                    .contains("11 character(s) cannot be written in Windows-31J (gaiji, 外字): line 15 column 16"
                            + " (byte 16 of the record) U+20BB7");
            assertThat(names(system.error(CHIYODA))).anyMatch(name -> name.endsWith(
                    "_131016_IDOUREF_20261204_001.dat"));
            assertThat(names(system.inbound(CHIYODA))).containsExactly("131016_IDOUREP_20261204_001.dat",
                    "131016_SHOTOKU8_20261204_001.dat");
        }
    }

    private static String fixed(String id, String charset, String extra) {
        return """
                kind.%1$s.format=fixed
                kind.%1$s.name-pattern={code}_{kind}_{date}_{seq}.dat
                kind.%1$s.charset=%2$s
                kind.%1$s.record-length=500
                kind.%1$s.record-type=1
                kind.%1$s.header.type=1
                kind.%1$s.header.code=2-7
                kind.%1$s.data.type=2
                kind.%1$s.data.code=2-7
                kind.%1$s.trailer.type=9
                kind.%1$s.trailer.code=2-7
                kind.%1$s.trailer.count=8-16
                """.formatted(id, charset) + extra;
    }

    private byte[] generate(FixedLengthFileGenerator generator) throws IOException {
        Path folder = Files.createDirectories(root.resolve("generated"));
        return Files.readAllBytes(generator.writeFile(folder, CHIYODA, 1, 34));
    }

    private static Properties catalogueSetting(String key, Path catalogue) {
        Properties properties = new Properties();
        properties.setProperty(key, catalogue.toString());
        return properties;
    }

    private static String report(WindowSystem system, String fileName) throws IOException {
        try (Stream<Path> files = Files.list(system.root.resolve("union/reports").resolve(CHIYODA.value()))) {
            Path report = files.filter(file -> file.getFileName().toString().startsWith(fileName + "."))
                    .findFirst().orElseThrow(() -> new AssertionError("no report for " + fileName));
            return Files.readString(report, StandardCharsets.UTF_8);
        }
    }

    private static String sha256(byte[] content) {
        return HexFormat.of().formatHex(FileIds.sha256().digest(content));
    }

    private static List<String> reasons(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> reasonFiles = files.filter(file -> file.getFileName().toString().endsWith(".reason")).toList();
            List<String> texts = new java.util.ArrayList<>();
            for (Path file : reasonFiles) {
                texts.add(Files.readString(file, StandardCharsets.UTF_8));
            }
            return texts;
        }
    }

    private static List<String> names(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(Files::isRegularFile).map(file -> file.getFileName().toString()).sorted().toList();
        }
    }
}
