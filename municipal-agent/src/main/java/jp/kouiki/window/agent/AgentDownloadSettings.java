package jp.kouiki.window.agent;

import jp.kouiki.window.config.Settings;

/**
 * Settings of the agent's download pulling, read and checked once at start-up.
 *
 * @param enabled              whether the agent requests downloads from the central server at all
 * @param workers              threads shared by all municipalities for downloading
 * @param pollIntervalMillis   pause after an answer without a file before the municipality is asked for again, in ms
 * @param longPollMillis       time the central server may hold a request open waiting for a file, in ms; 0 for none
 * @param ledgerRetentionDays  days a received file's id is remembered, so that it is never written twice
 */
public record AgentDownloadSettings(
        boolean enabled,
        int workers,
        long pollIntervalMillis,
        long longPollMillis,
        int ledgerRetentionDays) {

    /**
     * Reads the settings. A long-poll occupies a worker for its whole wait, so it needs a worker per municipality, and it
     * must end before the agent's response timeout gives up on the request.
     */
    static AgentDownloadSettings from(Settings settings, int municipalities, long responseTimeoutMillis) {
        int workers = settings.integer("agent.download.workers", 1, 1000);
        long longPoll = settings.number("agent.download.long-poll-ms", 0, 600_000);
        if (longPoll > 0 && workers < municipalities) {
            throw settings.invalid("agent.download.long-poll-ms", Long.toString(longPoll),
                    "0 while agent.download.workers (" + workers + ") is below the number of municipalities served ("
                            + municipalities + "), because each waiting request holds a worker; set"
                            + " agent.download.workers to at least " + municipalities + " or this to 0");
        }
        if (longPoll >= responseTimeoutMillis) {
            throw settings.invalid("agent.download.long-poll-ms", Long.toString(longPoll),
                    "a time below agent.http.response-timeout-ms (" + responseTimeoutMillis + " ms); lower this"
                            + " value or raise the response timeout");
        }
        return new AgentDownloadSettings(
                settings.flag("agent.download.enabled"),
                workers,
                settings.number("agent.download.poll-interval-ms", 10, 3_600_000),
                longPoll,
                settings.integer("agent.download.ledger-retention-days", 1, 3650));
    }
}
