package jp.kouiki.window.central;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import jp.kouiki.window.broker.BrokerSettings;
import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.security.DevCredentialGenerator;
import jp.kouiki.window.security.KeyMaterialLayout;
import jp.kouiki.window.transfer.DownloadManifest;
import jp.kouiki.window.transfer.FileIds;

class DownloadQueueWriterTest {

    private static final MunicipalityCode CHIYODA = MunicipalityCode.of("131016");
    private static final MunicipalityCode CHUO = MunicipalityCode.of("131024");
    private static final MunicipalityCode MINATO = MunicipalityCode.of("131032");
    private static final byte[] CONTENT = "notice for every municipality\r\n".repeat(200)
            .getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path root;

    private WindowBroker broker;
    private DownloadQueueWriter writer;
    private Path file;

    @BeforeEach
    void startBroker() throws Exception {
        List<MunicipalityCode> codes = List.of(CHIYODA, CHUO, MINATO);
        new DevCredentialGenerator(root.resolve("keys")).generate(codes, List.of());
        KeyMaterialLayout keys = new KeyMaterialLayout(root.resolve("keys"));
        broker = new WindowBroker(BrokerSettings.defaults(root.resolve("broker"), 96, codes)).start();
        writer = new DownloadQueueWriter(broker, new PayloadCipher(keys::encryptionKeyset), new DownloadSignals());
        file = Files.write(root.resolve("KYOTSU_20261204.csv"), CONTENT);
    }

    @AfterEach
    void stopBroker() throws Exception {
        broker.close();
    }

    @Test
    void broadcastIsQueuedForEveryMunicipality() throws Exception {
        String sha256 = FileIds.hex(FileIds.sha256().digest(CONTENT));

        writer.queueAll(file, List.of(signed(CHIYODA, "1", sha256), signed(CHUO, "2", sha256),
                signed(MINATO, "3", sha256)));

        assertThat(broker.messageCount(QueueNames.download(CHIYODA))).isEqualTo(1);
        assertThat(broker.messageCount(QueueNames.download(CHUO))).isEqualTo(1);
        assertThat(broker.messageCount(QueueNames.download(MINATO))).isEqualTo(1);
    }

    @Test
    void copyReadDifferentlyQueuesNoCopy() throws Exception {
        String sha256 = FileIds.hex(FileIds.sha256().digest(CONTENT));
        // The second copy reads other bytes than its manifest states, as when the file changes between copies.
        String changed = FileIds.hex(FileIds.sha256().digest("earlier version".getBytes(StandardCharsets.US_ASCII)));

        assertThatThrownBy(() -> writer.queueAll(file, List.of(signed(CHIYODA, "1", sha256),
                signed(CHUO, "2", changed), signed(MINATO, "3", sha256))))
                .isInstanceOf(IOException.class).hasMessageContaining("changed while it was being queued");

        assertThat(broker.messageCount(QueueNames.download(CHIYODA))).isZero();
        assertThat(broker.messageCount(QueueNames.download(CHUO))).isZero();
        assertThat(broker.messageCount(QueueNames.download(MINATO))).isZero();
    }

    private static DownloadQueueWriter.Signed signed(MunicipalityCode code, String digit, String sha256) {
        String fileId = digit.repeat(32);
        DownloadManifest manifest = DownloadManifest.of(fileId, code, code + "_KYOTSU_20261204.csv",
                CONTENT.length, sha256, "KYOTSU", true, "2026-12-04T09:00:00+09:00");
        // The writer does not check the signature; the agent does.
        return new DownloadQueueWriter.Signed(manifest, manifest.toJson(), "unchecked");
    }
}
