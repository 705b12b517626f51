package jp.kouiki.window.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Properties;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.config.Settings;
import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.ManifestSignatures;
import jp.kouiki.window.security.SigningKeyRing;
import jp.kouiki.window.security.SigningKeys;
import jp.kouiki.window.transfer.FileIds;
import jp.kouiki.window.transfer.FileManifest;

class UnionInboundWriterTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final String FILE_ID = "0123456789abcdef0123456789abcdef";
    private static final String NAME = "131016_JUKI_20261204.csv";
    private static final byte[] CONTENT = "resident record\r\n".repeat(3000).getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path root;

    private KeyMaterialLayout keys;
    private PayloadCipher cipher;
    private AgentSettings settings;
    private InboxLedger ledger;
    private UnionInboundWriter writer;

    @BeforeEach
    void createWriter() throws Exception {
        new DevCredentialGenerator(root.resolve("keys")).generate(List.of(CHIYODA, CHUO), List.of());
        keys = new KeyMaterialLayout(root.resolve("keys"));
        cipher = new PayloadCipher(keys::encryptionKeyset);
        Properties properties = new Properties();
        properties.setProperty("agent.mode", "union");
        properties.setProperty("agent.municipalities", "131016,131024");
        properties.setProperty("agent.folder-root", root.resolve("union").toString());
        properties.setProperty("agent.data-dir", root.resolve("data").toString());
        properties.setProperty("agent.keys-dir", keys.root().toString());
        settings = AgentSettings.from(Settings.of(AgentSettings.DEFAULTS, properties));
        ledger = new InboxLedger(root.resolve("data/union-inbound"));
        writer = new UnionInboundWriter(settings, cipher, new SigningKeyRing(keys), ledger);
    }

    @Test
    void fileSignedByItsMunicipalityIsDeliveredOnce() throws Exception {
        String manifest = manifest(CHIYODA);

        InboxWriter.Outcome first = writer.write(CHIYODA, FILE_ID, manifest, sign(manifest, CHIYODA),
                encrypt(CHIYODA), -1);
        Files.delete(settings.unionInbound(CHIYODA).resolve(NAME));
        InboxWriter.Outcome again = writer.write(CHIYODA, FILE_ID, manifest, sign(manifest, CHIYODA),
                encrypt(CHIYODA), -1);

        assertThat(first).isEqualTo(new InboxWriter.Written(NAME));
        assertThat(again).isInstanceOf(InboxWriter.AlreadyReceived.class);
        assertThat(settings.unionInbound(CHIYODA).resolve(NAME)).doesNotExist();
        assertThat(ledger.isKnown(CHIYODA, FILE_ID)).isTrue();
        assertThat(Files.list(settings.unionInbound(CHIYODA).resolve(".part"))).isEmpty();
    }

    @Test
    void manifestSignedByAnotherMunicipalityIsRefused() throws Exception {
        String manifest = manifest(CHIYODA);

        InboxWriter.Outcome outcome = writer.write(CHIYODA, FILE_ID, manifest, sign(manifest, CHUO),
                encrypt(CHIYODA), -1);

        assertRefused(outcome, "does not verify with a signing key of municipality 131016");
    }

    @Test
    void ciphertextOfAnotherMunicipalityIsRefused() throws Exception {
        String manifest = manifest(CHIYODA);

        InboxWriter.Outcome outcome = writer.write(CHIYODA, FILE_ID, manifest, sign(manifest, CHIYODA),
                encrypt(CHUO), -1);

        assertRefused(outcome, "does not decrypt with the keyset of 131016");
    }

    @Test
    void bodyCutShortIsTriedAgainNotRefused() throws Exception {
        String manifest = manifest(CHIYODA);
        byte[] ciphertext = encrypt(CHIYODA).readAllBytes();
        byte[] cut = java.util.Arrays.copyOf(ciphertext, ciphertext.length / 2);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> writer.write(CHIYODA, FILE_ID, manifest,
                sign(manifest, CHIYODA), new ByteArrayInputStream(cut), ciphertext.length))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("requested again");
        assertThat(ledger.isKnown(CHIYODA, FILE_ID)).isFalse();
        assertThat(ProcessFolders.files(settings.unionRejected(CHIYODA))).isEmpty();
    }

    @Test
    void fileWaitsForTakenName() throws Exception {
        Path target = Files.createDirectories(settings.unionInbound(CHIYODA)).resolve(NAME);
        Files.writeString(target, "older file");
        String manifest = manifest(CHIYODA);

        InboxWriter.Outcome outcome = writer.write(CHIYODA, FILE_ID, manifest, sign(manifest, CHIYODA),
                encrypt(CHIYODA), -1);

        assertThat(outcome).isInstanceOf(InboxWriter.Written.class);
        assertThat(target).hasContent("older file");
        Files.delete(target);
        writer.sweep();
        assertThat(target).hasBinaryContent(CONTENT);
    }

    @Test
    void filesOfTakenNameArriveInOrder() throws Exception {
        Path target = Files.createDirectories(settings.unionInbound(CHIYODA)).resolve(NAME);
        Files.writeString(target, "older file");
        for (int version = 1; version <= 3; version++) {
            writeVersion(version);
        }
        assertThat(target).hasContent("older file");

        Files.delete(target);
        writer.sweep();
        assertThat(target).hasBinaryContent(version(1));
        Files.delete(target);
        writeVersion(4);
        assertThat(target).as("the oldest waiting file takes the free name, not the new one")
                .hasBinaryContent(version(2));
        for (int version = 3; version <= 4; version++) {
            Files.delete(target);
            writer.sweep();
            assertThat(target).hasBinaryContent(version(version));
        }
        assertThat(ledger.pending(CHIYODA)).isEmpty();
    }

    /** Writes version {@code version} of {@link #NAME}, with its own file id and content. */
    private void writeVersion(int version) throws Exception {
        String fileId = String.format("%032x", version);
        byte[] content = version(version);
        FileManifest manifest = new FileManifest(fileId, CHIYODA.value(), NAME, content.length,
                FileIds.hex(FileIds.sha256().digest(content)), "JUKI", "2026-12-04T09:00:00+09:00");
        String manifestBase64 = Base64.getEncoder().encodeToString(manifest.toJson());
        InboxWriter.Outcome outcome = writer.write(CHIYODA, fileId, manifestBase64, sign(manifestBase64, CHIYODA),
                cipher.encryptedView(new ByteArrayInputStream(content), CHIYODA, fileId), -1);
        assertThat(outcome).isInstanceOf(InboxWriter.Written.class);
    }

    private static byte[] version(int version) {
        return ("resident record, version " + version + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private void assertRefused(InboxWriter.Outcome outcome, String reason) throws IOException {
        assertThat(outcome).isInstanceOf(InboxWriter.Refused.class);
        assertThat(((InboxWriter.Refused) outcome).reason()).contains(reason);
        assertThat(settings.unionInbound(CHIYODA).resolve(NAME)).doesNotExist();
        assertThat(ledger.isKnown(CHIYODA, FILE_ID)).isFalse();
        List<Path> reasons = ProcessFolders.files(settings.unionRejected(CHIYODA));
        assertThat(reasons).hasSize(1);
        assertThat(Files.readString(reasons.get(0))).contains("fileId: " + FILE_ID).contains(reason);
    }

    private static String manifest(MunicipalityCode code) {
        FileManifest manifest = new FileManifest(FILE_ID, code.value(), NAME, CONTENT.length,
                FileIds.hex(FileIds.sha256().digest(CONTENT)), "JUKI", "2026-12-04T09:00:00+09:00");
        return Base64.getEncoder().encodeToString(manifest.toJson());
    }

    private String sign(String manifestBase64, MunicipalityCode signer) throws Exception {
        return ManifestSignatures.sign(Base64.getDecoder().decode(manifestBase64),
                SigningKeys.readPrivateKey(keys.signingPrivateKey(signer)));
    }

    private InputStream encrypt(MunicipalityCode code) throws IOException {
        return cipher.encryptedView(new ByteArrayInputStream(CONTENT), code, FILE_ID);
    }

    /** Lists a folder's regular files, or none when it does not exist. */
    private static final class ProcessFolders {
        static List<Path> files(Path folder) throws IOException {
            if (!Files.isDirectory(folder)) {
                return List.of();
            }
            try (var files = Files.list(folder)) {
                return files.filter(Files::isRegularFile).toList();
            }
        }
    }
}
