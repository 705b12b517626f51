package jp.kouiki.window.agent;

import java.nio.file.NoSuchFileException;

import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.crypto.DigitalSignatureConstants;

import jp.kouiki.window.iffile.InterfaceFileRejectedException;

/**
 * Watches {@code outbox/<code>/} of every served municipality with one file consumer and takes each complete file
 * into the local queue, several municipalities at once on {@link PickupLanes}. The consumer moves a file out of the
 * outbox only after its lane has finished with it: to
 * {@code sent/<code>/} once the encrypted file is committed to the local queue, or to {@code error/<code>/} beside a
 * reason file when the file is refused. Any other failure leaves the file in the outbox for the next scan.
 */
final class OutboxRoute extends RouteBuilder {

    private final AgentSettings settings;
    private final OutboxPickup pickup;
    private final LocalQueueWriter writer;

    OutboxRoute(AgentSettings settings, OutboxPickup pickup, LocalQueueWriter writer) {
        this.settings = settings;
        this.pickup = pickup;
        this.writer = writer;
    }

    private static final String TAKE = "direct:outbox-take";

    /** Registry name of the read locks of the files being taken. */
    static final String READ_LOCKS_BEAN = "outboxReadLocks";

    /**
     * Files the read locks can hold at once, far above the 200 that one poll takes. Beyond it the least recently locked
     * file loses its lock, which only reopens the race described in {@link #outboxUri} for that file.
     */
    static final int READ_LOCKS = 100_000;

    @Override
    public void configure() {
        // The writer logs a changed file itself; the file consumer leaves it in the outbox for a later poll.
        onException(FileChangedException.class)
                .handled(false)
                .logExhausted(false);
        // A file deleted by its writer after the poll listed it: nothing is queued and nothing is left to move.
        onException(NoSuchFileException.class)
                .handled(false)
                .logExhausted(false)
                .process(pickup::removed);

        from(outboxUri())
                .routeId("outbox-pickup")
                .removeHeaders("*", "CamelFile*")
                .process(new PickupLanes(getContext(), this, settings.pickupWorkers(), TAKE));

        from(TAKE)
                .routeId("outbox-take")
                .doTry()
                    .process(pickup::identify)
                    .process(pickup::checkAndDescribe)
                    .to("crypto:sign:manifest?algorithm=SHA256withECDSA")
                    .removeHeader(DigitalSignatureConstants.SIGNATURE_PRIVATE_KEY)
                    .process(writer)
                .doCatch(InterfaceFileRejectedException.class)
                    .process(pickup::refuse)
                .end();
    }

    private String outboxUri() {
        StringBuilder uri = new StringBuilder("file:").append(settings.outbox())
                .append("?recursive=true")
                .append("&minDepth=2")
                .append("&maxDepth=2")
                .append("&autoCreate=true")
                .append("&delay=").append(settings.pollIntervalMillis())
                .append("&sortBy=file:modified")
                .append("&maxMessagesPerPoll=200")
                .append("&eagerMaxMessagesPerPoll=false")
                // A <name>.done file is a completion marker only in done-marker mode. In quiet-period mode it is taken
                // like any file, and its name is refused with a reason instead of lying in the outbox unnoticed.
                .append(settings.doneMarkerPickup() ? "&antExclude=**/.*,**/*.done,**/*.camelLock"
                        : "&antExclude=**/.*,**/*.camelLock")
                .append("&move=${header.").append(OutboxPickup.TARGET_HEADER).append("}");
        uri.append("&filter=#").append(OutboxPickup.FILTER_BEAN);
        // The lanes take files while the consumer polls again. A poll that listed a file just before its lane moved
        // it out took it a second time, found it gone and reported it refused. The read lock keeps each file locked
        // from the poll that takes it until twice the poll interval (1 s at least) after its lane has moved it.
        uri.append("&readLock=idempotent&idempotentRepository=#").append(READ_LOCKS_BEAN)
                .append("&readLockRemoveOnCommit=true&readLockRemoveOnRollback=true")
                .append("&readLockIdempotentReleaseAsync=true")
                .append("&readLockIdempotentReleaseDelay=").append(Math.max(1000, 2 * settings.pollIntervalMillis()));
        if (settings.doneMarkerPickup()) {
            uri.append("&doneFileName=${file:name}.done");
        }
        return uri.toString();
    }
}
