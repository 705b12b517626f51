package jp.kouiki.window.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.config.Settings;
import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.security.ManifestSignatures;
import jp.kouiki.window.security.SigningKeys;
import jp.kouiki.window.transfer.DownloadManifest;
import jp.kouiki.window.transfer.FileIds;

class InboxWriterTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final String FILE_ID = "0123456789abcdef0123456789abcdef";
    private static final String NAME = "131016_KYUFU_20261204.csv";
    private static final byte[] CONTENT = "premium notice\r\n".repeat(3000).getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path root;

    private KeyMaterialLayout keys;
    private PayloadCipher cipher;
    private AgentSettings settings;
    private InboxLedger ledger;
    private InboxWriter writer;

    @BeforeEach
    void createWriter() throws Exception {
        new DevCredentialGenerator(root.resolve("keys")).generate(List.of(CHIYODA, CHUO), List.of());
        keys = new KeyMaterialLayout(root.resolve("keys"));
        cipher = new PayloadCipher(keys::encryptionKeyset);
        Properties properties = new Properties();
        properties.setProperty("agent.municipalities", "131016,131024");
        properties.setProperty("agent.folder-root", root.resolve("folders").toString());
        properties.setProperty("agent.data-dir", root.resolve("data").toString());
        properties.setProperty("agent.keys-dir", keys.root().toString());
        settings = AgentSettings.from(Settings.of(AgentSettings.DEFAULTS, properties));
        ledger = new InboxLedger(root.resolve("data/downloads"));
        writer = new InboxWriter(settings, cipher, SigningKeys.readPublicKey(keys.unionSigningPublicKey()), ledger);
    }

    @Test
    void signedDownloadIsWrittenIntoTheInbox() throws Exception {
        Signed download = sign(manifest(CHIYODA, NAME, CONTENT));

        InboxWriter.Outcome outcome = writer.write(CHIYODA, FILE_ID, download.manifest(), download.signature(),
                encrypt(CHIYODA, CONTENT), -1);

        assertThat(outcome).isInstanceOf(InboxWriter.Written.class);
        assertThat(settings.inbox(CHIYODA).resolve(NAME)).hasBinaryContent(CONTENT);
        assertThat(ledger.isKnown(CHIYODA, FILE_ID)).isTrue();
        assertThat(staged(CHIYODA)).isEmpty();
    }

    @Test
    void knownDownloadIsNotWrittenAgain() throws Exception {
        Signed download = sign(manifest(CHIYODA, NAME, CONTENT));
        writer.write(CHIYODA, FILE_ID, download.manifest(), download.signature(), encrypt(CHIYODA, CONTENT), -1);
        Files.delete(settings.inbox(CHIYODA).resolve(NAME));

        InboxWriter.Outcome outcome = writer.write(CHIYODA, FILE_ID, download.manifest(), download.signature(),
                encrypt(CHIYODA, CONTENT), -1);

        assertThat(outcome).isInstanceOf(InboxWriter.AlreadyReceived.class);
        assertThat(settings.inbox(CHIYODA).resolve(NAME)).doesNotExist();
    }

    @Test
    void manifestSignedByAMunicipalityIsRefused() throws Exception {
        byte[] json = manifest(CHIYODA, NAME, CONTENT).toJson();
        String signature = ManifestSignatures.sign(json, SigningKeys.readPrivateKey(keys.signingPrivateKey(CHIYODA)));

        InboxWriter.Outcome outcome = writer.write(CHIYODA, FILE_ID, Base64.getEncoder().encodeToString(json),
                signature, encrypt(CHIYODA, CONTENT), -1);

        assertRefused(outcome, "signature does not verify");
    }

    @Test
    void downloadAddressedToAnotherMunicipalityIsRefused() throws Exception {
        Signed download = sign(manifest(CHUO, "131024_KYUFU_20261204.csv", CONTENT));

        InboxWriter.Outcome outcome = writer.write(CHIYODA, FILE_ID, download.manifest(), download.signature(),
                encrypt(CHUO, CONTENT), -1);

        assertRefused(outcome, "addressed to municipality 131024, not to 131016");
    }

    @Test
    void mismatchedFileIdIsRefused() throws Exception {
        Signed download = sign(manifest(CHIYODA, NAME, CONTENT));

        InboxWriter.Outcome outcome = writer.write(CHIYODA, "fedcba9876543210fedcba9876543210",
                download.manifest(), download.signature(), encrypt(CHIYODA, CONTENT), -1);

        assertRefused(outcome, "differs from the signed manifest's");
    }

    @Test
    void tamperedCiphertextIsRefusedAndLeavesNothing() throws Exception {
        Signed download = sign(manifest(CHIYODA, NAME, CONTENT));
        byte[] ciphertext = encrypt(CHIYODA, CONTENT).readAllBytes();
        ciphertext[ciphertext.length / 2] ^= 1;

        InboxWriter.Outcome outcome = writer.write(CHIYODA, FILE_ID, download.manifest(), download.signature(),
                new ByteArrayInputStream(ciphertext), ciphertext.length);

        assertRefused(outcome, "does not decrypt");
        assertThat(staged(CHIYODA)).isEmpty();
    }

    @Test
    void sizeOtherThanTheManifestsIsRefused() throws Exception {
        Signed download = sign(manifest(CHIYODA, NAME, "other".getBytes(StandardCharsets.US_ASCII)));

        InboxWriter.Outcome outcome = writer.write(CHIYODA, FILE_ID, download.manifest(), download.signature(),
                encrypt(CHIYODA, CONTENT), -1);

        assertRefused(outcome, "SHA-256");
        assertThat(staged(CHIYODA)).isEmpty();
    }

    @Test
    void brokenLineIsRetriedNotRefused() throws Exception {
        Signed download = sign(manifest(CHIYODA, NAME, CONTENT));
        byte[] ciphertext = encrypt(CHIYODA, CONTENT).readAllBytes();
        InputStream breaking = new InputStream() {
            private int position;

            @Override
            public int read() throws IOException {
                if (position >= ciphertext.length / 2) {
                    throw new IOException("connection reset");
                }
                return ciphertext[position++] & 0xff;
            }
        };

        assertThatThrownBy(() -> writer.write(CHIYODA, FILE_ID, download.manifest(), download.signature(), breaking,
                ciphertext.length))
                .isInstanceOf(IOException.class).hasMessageContaining("connection reset");
        assertThat(staged(CHIYODA)).isEmpty();
        assertThat(ledger.isKnown(CHIYODA, FILE_ID)).isFalse();
        assertThat(settings.error(CHIYODA)).doesNotExist();
    }

    @Test
    void bodyCutShortIsRetriedNotRefused() throws Exception {
        Signed download = sign(manifest(CHIYODA, NAME, CONTENT));
        byte[] ciphertext = encrypt(CHIYODA, CONTENT).readAllBytes();
        byte[] cut = java.util.Arrays.copyOf(ciphertext, ciphertext.length / 2);

        assertThatThrownBy(() -> writer.write(CHIYODA, FILE_ID, download.manifest(), download.signature(),
                new ByteArrayInputStream(cut), ciphertext.length))
                .isInstanceOf(IOException.class).hasMessageContaining("ended after " + cut.length + " of");
        assertThat(staged(CHIYODA)).isEmpty();
        assertThat(settings.error(CHIYODA)).doesNotExist();
    }

    @Test
    void downloadWaitsWhileItsNameIsTaken() throws Exception {
        Files.createDirectories(settings.inbox(CHIYODA));
        Files.writeString(settings.inbox(CHIYODA).resolve(NAME), "older file");
        Signed download = sign(manifest(CHIYODA, NAME, CONTENT));

        InboxWriter.Outcome outcome = writer.write(CHIYODA, FILE_ID, download.manifest(), download.signature(),
                encrypt(CHIYODA, CONTENT), -1);

        Path reason = settings.waiting(CHIYODA).resolve(NAME + ".reason");
        assertThat(outcome).isInstanceOf(InboxWriter.Written.class);
        assertThat(settings.inbox(CHIYODA).resolve(NAME)).hasContent("older file");
        assertThat(reason).content(StandardCharsets.UTF_8).contains("同じ名前").contains("same name");
        assertThat(ledger.isKnown(CHIYODA, FILE_ID)).isTrue();

        Files.delete(settings.inbox(CHIYODA).resolve(NAME));
        writer.sweep();

        assertThat(settings.inbox(CHIYODA).resolve(NAME)).hasBinaryContent(CONTENT);
        assertThat(reason).doesNotExist();
        assertThat(ledger.pending()).isEmpty();
    }

    @Test
    void waitingDownloadsOfANameArriveInOrder() throws Exception {
        Path inbox = Files.createDirectories(settings.inbox(CHIYODA));
        Files.writeString(inbox.resolve(NAME), "older file");
        List<String> fileIds = List.of("1" + FILE_ID.substring(1), "2" + FILE_ID.substring(1),
                "3" + FILE_ID.substring(1));
        for (String fileId : fileIds) {
            writeVersion(fileId);
            // Entries written within one clock tick would fall back to file id order, which is also the order here.
            Thread.sleep(20);
        }
        Path reason = settings.waiting(CHIYODA).resolve(NAME + ".reason");
        assertThat(reason).content(StandardCharsets.UTF_8).containsSubsequence(fileIds);

        List<String> placed = new ArrayList<>();
        for (int round = 0; round < fileIds.size(); round++) {
            Files.delete(inbox.resolve(NAME));
            if (round == 1) {
                // A later download of the name that arrives while earlier ones wait goes behind them.
                writeVersion("4" + FILE_ID.substring(1));
            } else {
                writer.sweep();
            }
            placed.add(Files.readString(inbox.resolve(NAME), StandardCharsets.UTF_8));
        }
        Files.delete(inbox.resolve(NAME));
        writer.sweep();
        placed.add(Files.readString(inbox.resolve(NAME), StandardCharsets.UTF_8));

        assertThat(placed).containsExactly("version " + fileIds.get(0), "version " + fileIds.get(1),
                "version " + fileIds.get(2), "version 4" + FILE_ID.substring(1));
        assertThat(reason).doesNotExist();
        assertThat(ledger.pending()).isEmpty();
    }

    @Test
    void downloadTakenBeforeARestartIsNotPlacedAgain() throws Exception {
        Path inbox = Files.createDirectories(settings.inbox(CHIYODA));
        Path part = Files.createDirectories(inbox.resolve(".part")).resolve(FILE_ID + ".part");
        Files.write(part, CONTENT);
        ledger.recordPending(CHIYODA, FILE_ID, NAME);
        // The state of an agent killed between linking the staged file into the inbox and deleting the staged name,
        // after which the municipal system moved the file away.
        Files.createLink(inbox.resolve(NAME), part);
        Files.move(inbox.resolve(NAME), root.resolve("taken-by-the-municipal-system.csv"));

        writer.sweep();

        assertThat(inbox.resolve(NAME)).doesNotExist();
        assertThat(part).doesNotExist();
        assertThat(ledger.pending()).isEmpty();
        assertThat(ledger.isKnown(CHIYODA, FILE_ID)).isTrue();
    }

    /** Writes a download of {@link #NAME} whose content names its file id. */
    private void writeVersion(String fileId) throws Exception {
        byte[] content = ("version " + fileId).getBytes(StandardCharsets.US_ASCII);
        DownloadManifest manifest = DownloadManifest.of(fileId, CHIYODA, NAME, content.length,
                FileIds.hex(FileIds.sha256().digest(content)), "KYUFU", false, "2026-12-04T09:00:00+09:00");
        Signed download = sign(manifest);
        InputStream ciphertext = cipher.encryptedView(new ByteArrayInputStream(content), CHIYODA, fileId,
                PayloadCipher.Direction.DOWNLOAD);
        assertThat(writer.write(CHIYODA, fileId, download.manifest(), download.signature(), ciphertext, -1))
                .isInstanceOf(InboxWriter.Written.class);
    }

    private void assertRefused(InboxWriter.Outcome outcome, String reason) throws IOException {
        assertThat(outcome).isInstanceOf(InboxWriter.Refused.class);
        assertThat(((InboxWriter.Refused) outcome).reason()).contains(reason);
        assertThat(settings.inbox(CHIYODA).resolve(NAME)).doesNotExist();
        assertThat(ledger.isKnown(CHIYODA, FILE_ID)).isFalse();
        try (Stream<Path> errors = Files.list(settings.error(CHIYODA))) {
            List<Path> reasons = errors.filter(path -> path.toString().endsWith(".reason")).toList();
            assertThat(reasons).hasSize(1);
            assertThat(reasons.get(0)).content(StandardCharsets.UTF_8).contains(reason).contains(FILE_ID);
        }
    }

    private List<Path> staged(MunicipalityCode code) throws IOException {
        Path staging = settings.inbox(code).resolve(".part");
        if (!Files.isDirectory(staging)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(staging)) {
            return files.toList();
        }
    }

    private static DownloadManifest manifest(MunicipalityCode code, String name, byte[] content) {
        return DownloadManifest.of(FILE_ID, code, name, content.length,
                FileIds.hex(FileIds.sha256().digest(content)), "KYUFU", false, "2026-12-04T09:00:00+09:00");
    }

    private record Signed(String manifest, String signature) {
    }

    private Signed sign(DownloadManifest manifest) throws Exception {
        byte[] json = manifest.toJson();
        return new Signed(Base64.getEncoder().encodeToString(json),
                ManifestSignatures.sign(json, SigningKeys.readPrivateKey(keys.unionSigningPrivateKey())));
    }

    private InputStream encrypt(MunicipalityCode code, byte[] content) throws IOException {
        return cipher.encryptedView(new ByteArrayInputStream(content), code, FILE_ID,
                PayloadCipher.Direction.DOWNLOAD);
    }
}
