package jp.kouiki.window.central.operator;

import java.time.Instant;

/**
 * One file's record in the transfer history: what it is, when it passed each step and how it ended. A step the file
 * has not reached is null. The outcome is the latest step: announced, held, stored, waiting, delivered, rejected,
 * retried or cancelled.
 */
public record Transfer(
        String municipality,
        String fileId,
        String fileName,
        String ifKind,
        Long size,
        String sha256,
        Instant announcedAt,
        Instant storedAt,
        Instant waitingAt,
        Instant deliveredAt,
        Instant rejectedAt,
        Instant heldAt,
        Instant retriedAt,
        Instant cancelledAt,
        String outcome,
        String reason) {
}
