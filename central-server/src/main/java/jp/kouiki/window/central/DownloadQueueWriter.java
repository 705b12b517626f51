package jp.kouiki.window.central;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.ActiveMQExceptionType;
import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientProducer;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import jp.kouiki.window.broker.MessageBodies;
import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.crypto.PayloadCipher;
import jp.kouiki.window.transfer.DownloadManifest;
import jp.kouiki.window.transfer.FileIds;

/**
 * Encrypts an outbound file for one municipality as it streams into a durable message on
 * {@code municipality.<code>.download}, in a transacted session of that municipality's broker user. The commit
 * happens only when the bytes read match the manifest's SHA-256, and the file id is the duplicate-detection id, so a
 * file picked up again after a crash before its move to {@code outbound-sent/} is not queued twice.
 */
final class DownloadQueueWriter {

    /** Message properties of a queued download. */
    static final String FILE_ID = "WindowFileId";
    static final String MANIFEST = "WindowManifest";
    static final String SIGNATURE = "WindowSignature";

    private static final Logger LOG = LoggerFactory.getLogger(DownloadQueueWriter.class);

    private final WindowBroker broker;
    private final PayloadCipher cipher;
    private final DownloadSignals signals;

    DownloadQueueWriter(WindowBroker broker, PayloadCipher cipher, DownloadSignals signals) {
        this.broker = broker;
        this.cipher = cipher;
        this.signals = signals;
    }

    /** A download for one municipality: its manifest as signed, and the union's signature. */
    record Signed(DownloadManifest manifest, byte[] manifestJson, String signature) {
    }

    /**
     * Queues the file for each manifest's municipality, committing the copies only once every copy has been read
     * with the SHA-256 of its manifest. A broadcast whose file changes while its copies are queued is therefore
     * queued for no municipality, instead of in one version for some municipalities and in another for the rest.
     *
     * @throws IOException when the file cannot be read or changed while it was read; nothing is queued then
     */
    void queueAll(Path file, List<Signed> downloads) throws Exception {
        List<ClientSession> sessions = new ArrayList<>();
        try {
            for (Signed download : downloads) {
                ClientSession session = broker.openMunicipalitySession(download.manifest().municipalityCode(), true);
                sessions.add(session);
                send(session, file, download);
            }
            for (int i = 0; i < downloads.size(); i++) {
                commit(sessions.get(i), downloads.get(i).manifest());
            }
        } finally {
            for (ClientSession session : sessions) {
                session.close();
            }
        }
        for (Signed download : downloads) {
            signals.signal(download.manifest().municipalityCode());
        }
    }

    /**
     * Sends one copy in the session's transaction. Throws when the file changed meanwhile, so that no copy is
     * committed.
     */
    private void send(ClientSession session, Path file, Signed download) throws Exception {
        DownloadManifest manifest = download.manifest();
        MessageDigest digest = FileIds.sha256();
        try (ClientProducer producer = session.createProducer(QueueNames.download(manifest.municipalityCode()));
                InputStream plaintext = new DigestInputStream(Files.newInputStream(file), digest);
                InputStream ciphertext = cipher.encryptedView(plaintext, manifest.municipalityCode(),
                        manifest.fileId(), PayloadCipher.Direction.DOWNLOAD)) {
            ClientMessage message = session.createMessage(true);
            message.putStringProperty(Message.HDR_DUPLICATE_DETECTION_ID, manifest.fileId());
            message.putStringProperty(FILE_ID, manifest.fileId());
            message.putStringProperty(MANIFEST, new String(download.manifestJson(), StandardCharsets.UTF_8));
            message.putStringProperty(SIGNATURE, download.signature());
            MessageBodies.setBody(message, ciphertext);
            producer.send(message);
        }
        String read = FileIds.hex(digest.digest());
        if (!read.equals(manifest.sha256())) {
            throw new IOException("outbound file " + file + " changed while it was being queued (SHA-256 " + read
                    + " instead of " + manifest.sha256() + "); nothing of it is queued, it stays in the folder and is"
                    + " taken again once it is quiet");
        }
    }

    /**
     * Queues a ciphertext that the union's agent encrypted for the manifest's municipality, as it is. The caller has
     * checked the union's signature on the manifest and that the ciphertext decrypts to the manifest's file.
     */
    void queueCiphertext(Path ciphertext, DownloadManifest manifest, byte[] manifestJson, String signature)
            throws Exception {
        try (ClientSession session = broker.openMunicipalitySession(manifest.municipalityCode(), true);
                ClientProducer producer = session.createProducer(QueueNames.download(manifest.municipalityCode()));
                InputStream body = Files.newInputStream(ciphertext)) {
            ClientMessage message = session.createMessage(true);
            message.putStringProperty(Message.HDR_DUPLICATE_DETECTION_ID, manifest.fileId());
            message.putStringProperty(FILE_ID, manifest.fileId());
            message.putStringProperty(MANIFEST, new String(manifestJson, StandardCharsets.UTF_8));
            message.putStringProperty(SIGNATURE, signature);
            message.setBodyInputStream(body);
            producer.send(message);
            commit(session, manifest);
        }
        signals.signal(manifest.municipalityCode());
    }

    private static void commit(ClientSession session, DownloadManifest manifest) throws ActiveMQException {
        try {
            session.commit();
            LOG.info("Download queued: municipality={} file={} fileId={} size={} broadcast={}",
                    manifest.municipality(), manifest.fileName(), manifest.fileId(), manifest.size(),
                    manifest.broadcast());
        } catch (ActiveMQException e) {
            if (e.getType() != ActiveMQExceptionType.DUPLICATE_ID_REJECTED) {
                throw e;
            }
            LOG.info("Download was already queued before a restart: municipality={} file={} fileId={}",
                    manifest.municipality(), manifest.fileName(), manifest.fileId());
        }
    }
}
