package jp.kouiki.window.central.operator;

import java.util.Locale;

/** What an operator may do: {@code viewer} reads views, history, audit and metrics; {@code actor} may also act. */
public enum OperatorRole {
    VIEWER,
    ACTOR;

    /** Parses {@code viewer} or {@code actor}, ignoring case. */
    public static OperatorRole parse(String text) {
        for (OperatorRole role : values()) {
            if (role.name().equalsIgnoreCase(text)) {
                return role;
            }
        }
        throw new IllegalArgumentException("operator role '" + text + "' is unknown; use viewer or actor");
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean mayAct() {
        return this == ACTOR;
    }
}
