package jp.kouiki.window.agent;

import java.util.ArrayList;
import java.util.List;

import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.core.server.MessageReference;
import org.apache.activemq.artemis.core.server.Queue;
import org.apache.activemq.artemis.utils.collections.LinkedListIterator;

import jp.kouiki.window.broker.QueueNames;
import jp.kouiki.window.broker.WindowBroker;
import jp.kouiki.window.municipality.MunicipalityCode;

/**
 * Looks at the files in the agent's upload queues without taking them: whether a file of a higher class waits, what
 * is queued for the status report, and every message for the queue writer. A file being uploaded is not waiting, so
 * only {@link #messages} lists it.
 */
final class QueueInspector {

    /** A waiting file: plaintext size in bytes, class, and the schedule it waits for (null for none). */
    record Waiting(long size, PriorityClass priorityClass, String schedule) {
    }

    private final WindowBroker broker;

    QueueInspector(WindowBroker broker) {
        this.broker = broker;
    }

    /** Returns whether a message with a priority above the given one waits in the municipality's queue. */
    boolean hasWaitingAbove(MunicipalityCode code, int priority, java.util.function.Predicate<String> scheduleOpen) {
        Queue queue = broker.server().locateQueue(QueueNames.upload(code));
        if (queue == null) {
            return false;
        }
        try (LinkedListIterator<MessageReference> references = queue.browserIterator()) {
            while (references.hasNext()) {
                Message message = references.next().getMessage();
                String schedule = message.getStringProperty(QueuedFile.SCHEDULE);
                if (message.getPriority() > priority && (schedule == null || scheduleOpen.test(schedule))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Returns the messages of the municipality's upload queue: those being uploaded first, then those waiting. */
    List<Message> messages(MunicipalityCode code) {
        List<Message> messages = new ArrayList<>();
        Queue queue = broker.server().locateQueue(QueueNames.upload(code));
        if (queue == null) {
            return messages;
        }
        queue.getDeliveringMessages().values()
                .forEach(references -> references.forEach(reference -> messages.add(reference.getMessage())));
        try (LinkedListIterator<MessageReference> waiting = queue.browserIterator()) {
            waiting.forEachRemaining(reference -> messages.add(reference.getMessage()));
        }
        return messages;
    }

    /** Returns the files waiting in the municipality's queue, in delivery order. */
    List<Waiting> waiting(MunicipalityCode code) {
        List<Waiting> files = new ArrayList<>();
        Queue queue = broker.server().locateQueue(QueueNames.upload(code));
        if (queue == null) {
            return files;
        }
        try (LinkedListIterator<MessageReference> references = queue.browserIterator()) {
            while (references.hasNext()) {
                Message message = references.next().getMessage();
                Long size = message.getLongProperty(QueuedFile.SIZE);
                String label = message.getStringProperty(QueuedFile.PRIORITY_CLASS);
                files.add(new Waiting(size == null ? 0 : size,
                        label == null ? PriorityClass.DAILY : PriorityClass.ofLabel(label),
                        message.getStringProperty(QueuedFile.SCHEDULE)));
            }
        }
        return files;
    }
}
