package io.github.distributedmutex.demo;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of the demo's history list in Redis: one attempt of one instance to take one lock,
 * and what it did while holding it.
 *
 * <p>All {@code …Micros} instants are read from the Redis server ({@code TIME}), the one clock every
 * instance shares: {@code requestedMicros} just before asking for the lock, {@code startMicros} just
 * after getting it, {@code endMicros} just before releasing it. The recorded hold
 * {@code [startMicros, endMicros]} therefore lies inside the real hold, so two real holds that did
 * not overlap can never show up as overlapping.
 *
 * @param instance        the instance that made the attempt, e.g. {@code instance-2}
 * @param key             the lock key, e.g. {@code job:7} or {@code report:nightly}
 * @param job             the job id, or 0 for the nightly report
 * @param outcome         what happened
 * @param fencingToken    the lease's fencing token, or -1 when not known (the {@code @Locked} style
 *                        does not expose it) or when the lock was not obtained
 * @param requestedMicros Redis time just before the lock was requested
 * @param startMicros     Redis time just after the lock was obtained; 0 when it was not
 * @param endMicros       Redis time just before the lock was released; 0 when it was not obtained
 * @param waitMicros      how long the instance waited for the lock, measured locally
 */
public record HistoryRecord(String instance, String key, int job, Outcome outcome, long fencingToken,
                            long requestedMicros, long startMicros, long endMicros, long waitMicros) {

    /** What one lock attempt led to. */
    public enum Outcome {
        /** The lock was obtained and the work was not done yet: it ran now. */
        RAN,
        /** The lock was obtained but another instance had already done the work: skipped. */
        ALREADY_DONE,
        /** The lock was not obtained (a zero-wait {@code tryLock} found it held): skipped. */
        BUSY
    }

    /** Checks that the text fields can be encoded. */
    public HistoryRecord {
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(outcome, "outcome");
        if (instance.contains(" ") || key.contains(" ")) {
            throw new IllegalArgumentException("instance and key must not contain spaces: " + instance + ", " + key);
        }
    }

    /** @return whether this attempt held the lock */
    public boolean held() {
        return outcome != Outcome.BUSY;
    }

    /** @return how long the lock was held, in microseconds of Redis time; 0 when not held */
    public long heldMicros() {
        return held() ? endMicros - startMicros : 0;
    }

    /** @return the one-line form stored in Redis, {@code name=value} pairs separated by spaces */
    public String encode() {
        return "instance=" + instance + " key=" + key + " job=" + job + " outcome=" + outcome
                + " token=" + fencingToken + " requested=" + requestedMicros + " start=" + startMicros
                + " end=" + endMicros + " wait=" + waitMicros;
    }

    /**
     * @param line a line written by {@link #encode()}
     * @return the record
     * @throws IllegalArgumentException when the line is not such a line
     */
    public static HistoryRecord decode(String line) {
        Map<String, String> fields = new HashMap<>();
        for (String pair : line.trim().split(" +")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("Not a history record: " + line);
            }
            fields.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        try {
            return new HistoryRecord(field(fields, "instance", line), field(fields, "key", line),
                    Integer.parseInt(field(fields, "job", line)), Outcome.valueOf(field(fields, "outcome", line)),
                    Long.parseLong(field(fields, "token", line)), Long.parseLong(field(fields, "requested", line)),
                    Long.parseLong(field(fields, "start", line)), Long.parseLong(field(fields, "end", line)),
                    Long.parseLong(field(fields, "wait", line)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Not a history record: " + line, e);
        }
    }

    private static String field(Map<String, String> fields, String name, String line) {
        String value = fields.get(name);
        if (value == null) {
            throw new IllegalArgumentException("History record without " + name + ": " + line);
        }
        return value;
    }
}
