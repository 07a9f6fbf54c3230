package io.github.distributedmutex.checker;

import java.util.Objects;

/**
 * A critical section that did not run because the lock call failed with
 * {@code LockNotAcquiredException} (somebody else held the key for the whole wait) or
 * {@code LockUnavailableException} (Redis did not answer). In a healthy run, with a wait longer than
 * any queue of holders, there are none.
 *
 * @param process      the worker process name
 * @param thread       the thread name within the process
 * @param key          the lock key
 * @param mode         the API the lock was asked through
 * @param requestNanos {@link System#nanoTime()} just before the lock was asked for
 * @param failedNanos  {@code nanoTime} when the failure was caught
 * @param exception    the simple class name of the exception
 */
public record FailedAcquisition(String process, String thread, String key, Section.Mode mode, long requestNanos,
                                long failedNanos, String exception) {

    /** Line tag of a failed acquisition in a history file. */
    static final String TAG = "F";

    /**
     * Checks the values.
     *
     * @throws NullPointerException when a field is null
     */
    public FailedAcquisition {
        Objects.requireNonNull(process, "process");
        Objects.requireNonNull(thread, "thread");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(exception, "exception");
    }

    /** @return this failure as one line of a history file */
    String toLine() {
        return String.join("\t", TAG, process, thread, key, mode.name(), Long.toString(requestNanos),
                Long.toString(failedNanos), exception);
    }

    /**
     * @param fields a history line split at tabs, starting with {@value #TAG}
     * @return the failure
     * @throws IllegalArgumentException when the line is malformed
     */
    static FailedAcquisition fromFields(String[] fields) {
        if (fields.length != 8 || !TAG.equals(fields[0])) {
            throw new IllegalArgumentException("not a failed-acquisition line: " + String.join("\t", fields));
        }
        return new FailedAcquisition(fields[1], fields[2], fields[3], Section.Mode.valueOf(fields[4]),
                Long.parseLong(fields[5]), Long.parseLong(fields[6]), fields[7]);
    }
}
