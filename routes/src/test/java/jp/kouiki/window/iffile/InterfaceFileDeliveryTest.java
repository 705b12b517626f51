package jp.kouiki.window.iffile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.FileIds;

/** The central server's delivery step: conversion in the staging folder and the report beside the union's folder. */
class InterfaceFileDeliveryTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final String FILE_ID = "0123456789abcdef0123456789abcdef";
    private static final Charset WINDOWS_31J = Charset.forName("windows-31j");

    @TempDir
    Path directory;

    @Test
    void convertedFileReplacesStagedFileWithReport() throws Exception {
        InterfaceFileDelivery delivery = new InterfaceFileDelivery(TestKinds.checker(TestKinds.fixed("IDOU", "utf-8",
                "crlf", "kind.{id}.convert-to=windows-31j\nkind.{id}.gaiji=replace\n")));
        Path source = new FixedLengthFileGenerator(FileCharset.UTF_8, FileCharset.WINDOWS_31J, LineEnd.CRLF,
                GaijiNames.all()).kind("IDOU").writeFile(directory, CHIYODA, 1, 34);
        byte[] original = Files.readAllBytes(source);
        Path part = Files.write(directory.resolve(FILE_ID + ".part"), original);

        Path report = delivery.prepare(part, name(source), FILE_ID, sha256(original), directory.resolve("reports"));

        byte[] delivered = Files.readAllBytes(part);
        assertThat(delivered).hasSize(36 * 502);
        assertThat(new String(delivered, WINDOWS_31J)).contains("●田　悠真");
        assertThat(report).hasFileName(source.getFileName() + "." + FILE_ID + ".report");
        String text = Files.readString(report, StandardCharsets.UTF_8);
        assertThat(text)
                .contains("file: 131016_IDOU_20261204_001.dat")
                .contains("received as sent: " + original.length + " bytes, utf-8, sha256 " + sha256(original))
                .contains("delivered: " + delivered.length + " bytes, windows-31j, sha256 " + sha256(delivered))
                .contains("records: 36 (data records: 34)")
                .contains("replaced characters: 11")
                .contains("\n15\t16\t16\tU+20BB7\tU+25CF\n")
                .contains("\n34\t16\t16\tU+E000\tU+25CF\n");
        assertThat(directory).isDirectoryNotContaining("glob:**.converted").isDirectoryNotContaining(
                "glob:**.replacements");
    }

    @Test
    void checkedKindWithoutConversionIsUnchangedWithoutReport() throws Exception {
        InterfaceFileDelivery delivery = new InterfaceFileDelivery(new InterfaceFileChecker());
        Path source = FixedLengthFileGenerator.windows31j().writeFile(directory, CHIYODA, 1, 5);
        byte[] original = Files.readAllBytes(source);
        Path part = Files.write(directory.resolve(FILE_ID + ".part"), original);

        Path report = delivery.prepare(part, name(source), FILE_ID, sha256(original), directory.resolve("reports"));

        assertThat(report).isNull();
        assertThat(part).hasBinaryContent(original);
        assertThat(directory.resolve("reports")).doesNotExist();
    }

    @Test
    void unknownKindIsDeliveredUnchangedWithNote() throws Exception {
        InterfaceFileDelivery delivery = new InterfaceFileDelivery(new InterfaceFileChecker());
        byte[] original = "not checked\n".getBytes(StandardCharsets.US_ASCII);
        Path part = Files.write(directory.resolve(FILE_ID + ".part"), original);

        Path report = delivery.prepare(part, InterfaceFileName.parse("131016_JUKI_20261204.csv", CHIYODA), FILE_ID,
                sha256(original), directory.resolve("reports"));

        assertThat(part).hasBinaryContent(original);
        assertThat(Files.readString(report, StandardCharsets.UTF_8))
                .contains("IF 種別 JUKI はカタログにないため、レコードを検査せずそのまま配信しました。")
                .contains("IF kind JUKI is not in the interface kind catalogue, so its records were not checked and"
                        + " the file was delivered unchanged.")
                .contains("delivered: 12 bytes unchanged, sha256 " + sha256(original));
    }

    @Test
    void refusedConversionLeavesNoTemporaryFiles() throws Exception {
        InterfaceFileDelivery delivery = new InterfaceFileDelivery(TestKinds.checker(TestKinds.fixed("IDOU", "utf-8",
                "crlf", "kind.{id}.convert-to=windows-31j\n")));
        Path source = new FixedLengthFileGenerator(FileCharset.UTF_8, FileCharset.WINDOWS_31J, LineEnd.CRLF,
                GaijiNames.all()).kind("IDOU").writeFile(directory, CHIYODA, 1, 34);
        byte[] original = Files.readAllBytes(source);
        Path part = Files.write(directory.resolve(FILE_ID + ".part"), original);

        assertThatThrownBy(() -> delivery.prepare(part, name(source), FILE_ID, sha256(original),
                directory.resolve("reports"))).isInstanceOf(InterfaceFileRejectedException.class);

        assertThat(part).hasBinaryContent(original);
        assertThat(directory.resolve(FILE_ID + ".converted")).doesNotExist();
        assertThat(directory.resolve(FILE_ID + ".replacements")).doesNotExist();
        assertThat(directory.resolve("reports")).doesNotExist();
    }

    private static InterfaceFileName name(Path file) throws InterfaceFileRejectedException {
        return InterfaceFileName.parse(file.getFileName().toString(), CHIYODA);
    }

    private static String sha256(byte[] content) {
        return HexFormat.of().formatHex(FileIds.sha256().digest(content));
    }
}
