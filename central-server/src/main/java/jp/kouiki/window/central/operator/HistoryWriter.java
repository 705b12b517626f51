package jp.kouiki.window.central.operator;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import jp.kouiki.window.municipality.MunicipalityCode;
import jp.kouiki.window.transfer.FileManifest;

/**
 * Writes transfer events into the {@link TransferHistory} on its own thread, so the window endpoint and the delivery
 * do not wait for the database. The queue is bounded. When it is full, the calling thread writes a delivered or
 * rejected record itself, and a record of any other step is dropped with a warning. A record that cannot be written is
 * logged as an ERROR with the file's ids. Deliveries also count files and bytes delivered and the time from announce
 * to delivery, per municipality.
 */
public final class HistoryWriter implements TransferEvents, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HistoryWriter.class);

    private record Event(TransferHistory.Step step, String municipality, String fileId, String fileName,
            String ifKind, Long size, String sha256, String reason, Instant at) {
    }

    /** Most events written in one transaction. */
    static final int MAX_BATCH = 500;

    /**
     * Time the writer waits after the first event of a batch for more, because each H2 commit writes its changed
     * pages. While files arrived at about 90 a second, the writer took half of the central server's Java samples
     * without the wait and a tenth with it. The history is no part of a file's delivery, so it may lag this much.
     */
    static final long BATCH_WAIT_MILLIS = 200;

    private final TransferHistory history;
    private final HistoryDatabase database;
    private final MeterRegistry metrics;
    private final BlockingQueue<Event> queue;
    private final Thread thread;
    private final AtomicLong dropped = new AtomicLong();
    /** Events queued and not yet written. */
    private final AtomicLong unwritten = new AtomicLong();
    private volatile boolean running = true;

    public HistoryWriter(HistoryDatabase database, TransferHistory history, MeterRegistry metrics, int capacity) {
        this.database = database;
        this.history = history;
        this.metrics = metrics;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = new Thread(this::writeLoop, "history-writer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    @Override
    public void announced(FileManifest manifest) {
        submit(event(TransferHistory.Step.ANNOUNCED, manifest, null));
    }

    @Override
    public void held(FileManifest manifest, String reason) {
        submit(event(TransferHistory.Step.HELD, manifest, reason));
    }

    @Override
    public void stored(FileManifest manifest) {
        submit(event(TransferHistory.Step.STORED, manifest, null));
    }

    @Override
    public void waiting(MunicipalityCode code, String fileId, String fileName) {
        submit(new Event(TransferHistory.Step.WAITING, code.value(), fileId, fileName, null, null, null,
                "a file of the same name is still in the union's folder", Instant.now()));
    }

    @Override
    public void delivered(MunicipalityCode code, String fileId, String fileName, long size) {
        submit(new Event(TransferHistory.Step.DELIVERED, code.value(), fileId, fileName, null, size, null, null,
                Instant.now()));
    }

    @Override
    public void rejected(FileManifest manifest, String reason) {
        submit(event(TransferHistory.Step.REJECTED, manifest, reason));
    }

    @Override
    public void rejected(MunicipalityCode code, String fileId, String fileName, String reason) {
        submit(new Event(TransferHistory.Step.REJECTED, code.value(), fileId, fileName, null, null, null, reason,
                Instant.now()));
    }

    @Override
    public void cancelled(FileManifest manifest, String reason) {
        submit(event(TransferHistory.Step.CANCELLED, manifest, reason));
    }

    @Override
    public void cancelled(MunicipalityCode code, String fileId, String fileName, String reason) {
        submit(new Event(TransferHistory.Step.CANCELLED, code.value(), fileId, fileName, null, null, null, reason,
                Instant.now()));
    }

    /** Records that an operator moved a dead-lettered file back to its upload queue. */
    void retried(MunicipalityCode code, String fileId, String operator) {
        submit(new Event(TransferHistory.Step.RETRIED, code.value(), fileId, null, null, null, null,
                "moved back to the upload queue by operator " + operator, Instant.now()));
    }

    private static Event event(TransferHistory.Step step, FileManifest manifest, String reason) {
        return new Event(step, manifest.municipality(), manifest.fileId(), manifest.fileName(), manifest.ifKind(),
                manifest.size(), manifest.sha256(), reason, Instant.now());
    }

    private void submit(Event event) {
        unwritten.incrementAndGet();
        if (running && queue.offer(event)) {
            return;
        }
        unwritten.decrementAndGet();
        if (event.step() == TransferHistory.Step.DELIVERED || event.step() == TransferHistory.Step.REJECTED) {
            synchronized (history) {
                write(event);
            }
            return;
        }
        long count = dropped.incrementAndGet();
        if (count == 1 || count % 1000 == 0) {
            LOG.warn("Transfer history queue full, a step record was dropped: municipality={} fileId={} step={}"
                    + " droppedSoFar={}; raise central.history.queue-capacity if this repeats",
                    event.municipality(), event.fileId(), event.step().outcome(), count);
        }
    }

    private void writeLoop() {
        List<Event> batch = new ArrayList<>(MAX_BATCH);
        while (running || !queue.isEmpty()) {
            try {
                Event first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(BATCH_WAIT_MILLIS);
                while (batch.size() < MAX_BATCH && running) {
                    queue.drainTo(batch, MAX_BATCH - batch.size());
                    long left = deadline - System.nanoTime();
                    if (left <= 0 || batch.size() >= MAX_BATCH) {
                        break;
                    }
                    Event next = queue.poll(left, TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                queue.drainTo(batch, MAX_BATCH - batch.size());
                synchronized (history) {
                    writeBatch(batch);
                }
                unwritten.addAndGet(-batch.size());
                batch.clear();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Writes the events in one transaction, which costs one commit instead of one per event. When the transaction
     * fails, each event is written on its own, so that one bad record does not lose the others.
     */
    private void writeBatch(List<Event> batch) {
        if (batch.size() > 1) {
            try (Connection connection = database.connection()) {
                connection.setAutoCommit(false);
                try {
                    for (Event event : batch) {
                        history.record(connection, event.step(), event.municipality(), event.fileId(),
                                event.fileName(), event.ifKind(), event.size(), event.sha256(), event.reason(),
                                event.at());
                    }
                    connection.commit();
                    batch.stream().filter(event -> event.step() == TransferHistory.Step.DELIVERED)
                            .forEach(this::countDelivery);
                    return;
                } catch (SQLException | RuntimeException e) {
                    connection.rollback();
                    LOG.warn("Transfer history batch failed, writing its {} records one by one: error={}",
                            batch.size(), e.toString());
                } finally {
                    connection.setAutoCommit(true);
                }
            } catch (SQLException e) {
                LOG.warn("Transfer history connection failed, writing records one by one: error={}", e.toString());
            }
        }
        batch.forEach(this::write);
    }

    private void write(Event event) {
        try {
            history.record(event.step(), event.municipality(), event.fileId(), event.fileName(), event.ifKind(),
                    event.size(), event.sha256(), event.reason(), event.at());
            if (event.step() == TransferHistory.Step.DELIVERED) {
                countDelivery(event);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.error("Transfer history record could not be written, the history lacks this step:"
                    + " municipality={} fileId={} file={} step={}; the delivery ledger in the data directory is not"
                    + " affected", event.municipality(), event.fileId(), event.fileName(), event.step().outcome(), e);
        }
    }

    /** Counts the delivered bytes and the time since the file's announce, read back from its record. */
    private void countDelivery(Event event) {
        metrics.counter("window.delivery.bytes", "municipality", event.municipality()).increment(event.size());
        try {
            Transfer transfer = history.find(event.municipality(), event.fileId());
            if (transfer != null && transfer.announcedAt() != null) {
                Timer.builder("window.transfer.latency")
                        .description("time from a file's announce to its delivery into the union's folder")
                        .tag("municipality", event.municipality())
                        .register(metrics)
                        .record(Duration.between(transfer.announcedAt(), event.at()));
            }
        } catch (SQLException e) {
            LOG.warn("Transfer latency not counted, the file's announce time could not be read: municipality={}"
                    + " fileId={} error={}", event.municipality(), event.fileId(), e.toString());
        }
    }

    /** Returns when every event submitted so far is written, or false after the timeout; for tests and shutdown. */
    public boolean flush(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (unwritten.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return unwritten.get() == 0;
    }

    /** Writes what is queued, then stops the thread. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
    }
}
