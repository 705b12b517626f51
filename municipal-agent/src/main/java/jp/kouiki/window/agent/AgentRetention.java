package jp.kouiki.window.agent;

import jp.kouiki.window.config.Settings;

/**
 * Days the agent keeps files in its folders besides {@code sent/}; 0 keeps them for ever.
 *
 * @param errorDays days a refused file and its reason stay in {@code error/<code>/}, counted from pickup
 * @param heldDays days a held file and its reason stay in {@code held/<code>/}, counted from pickup
 * @param inboxDays days a download that the municipal system has not taken stays in {@code inbox/<code>/}, counted from
 *     its arrival
 */
public record AgentRetention(int errorDays, int heldDays, int inboxDays) {

    static AgentRetention from(Settings settings) {
        return new AgentRetention(
                settings.integer("agent.error.retention-days", 0, 3650),
                settings.integer("agent.held.retention-days", 0, 3650),
                settings.integer("agent.inbox.retention-days", 0, 3650));
    }
}
