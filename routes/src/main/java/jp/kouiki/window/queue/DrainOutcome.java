package jp.kouiki.window.queue;

import java.time.Duration;

/** Outcome of handling one message taken from a queue. */
public sealed interface DrainOutcome {

    /** Done: the message is acknowledged and removed. */
    record Completed(String detail) implements DrainOutcome {
    }

    /** Not possible now (a line down, a server busy): the message stays first in its queue and is tried again later. */
    record RetryLater(Duration delay, String reason) implements DrainOutcome {
    }

    /**
     * Can never succeed: the message moves to the municipality's dead-letter queue. The reason goes to the log, and
     * the handler also writes it where the people concerned will read it.
     */
    record Rejected(String reason) implements DrainOutcome {
    }
}
