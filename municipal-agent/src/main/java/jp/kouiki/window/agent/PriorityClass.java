package jp.kouiki.window.agent;

/**
 * The upload class of a queued file. Daily change files go ahead of bulk extracts queued at the same time: the class
 * sets the Artemis message priority, which the broker delivers highest first and in order within one priority, and a
 * bulk upload gives way after each chunk while a daily file of its municipality waits.
 */
enum PriorityClass {

    DAILY(7),
    BULK(2);

    private final int messagePriority;

    PriorityClass(int messagePriority) {
        this.messagePriority = messagePriority;
    }

    /** The Artemis message priority, 0 to 9. */
    byte messagePriority() {
        return (byte) messagePriority;
    }

    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Returns the class with the given label, such as "bulk". */
    static PriorityClass ofLabel(String label) {
        for (PriorityClass value : values()) {
            if (value.label().equals(label)) {
                return value;
            }
        }
        throw new IllegalArgumentException("'" + label + "' is not a priority class; expected daily or bulk");
    }
}
