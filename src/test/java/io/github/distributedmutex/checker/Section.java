package io.github.distributedmutex.checker;

import java.util.Objects;

/**
 * One critical section as a worker recorded it: who ran it, on which key, through which API, with
 * which fencing token, when, and what it read from and wrote to the key's counter.
 *
 * <p>Times are {@link System#nanoTime()} values. The checker compares them across processes, which
 * is sound only when every process runs on the same host and {@code nanoTime} reads one clock
 * shared by all processes: on Linux, HotSpot's {@code nanoTime} is {@code CLOCK_MONOTONIC}, which is
 * system-wide. The harness starts every worker on the local machine.
 *
 * <p>Contract of the values a worker records (the checker relies on it):
 * <ul>
 *     <li>{@code requestNanos} is taken just before the lock was asked for; the lease cannot have
 *     been granted earlier, so it was certainly valid until {@code requestNanos + leaseNanos}
 *     ({@link #leaseBoundNanos()}).</li>
 *     <li>{@code startNanos} is taken after the lock was granted, {@code endNanos} before it is
 *     released, so the lock was held during all of {@code [startNanos, endNanos]}.</li>
 *     <li>{@code counterRead} is the value the section read from the key's counter (0 when absent),
 *     {@code counterWritten} the value it then wrote ({@code counterRead + 1}).</li>
 * </ul>
 *
 * @param process        the worker process name
 * @param thread         the thread name within the process
 * @param key            the lock key the section claims to protect (for example {@code acct:0})
 * @param mode           the API the lock was taken with
 * @param token          the fencing token of the lock
 * @param leaseNanos     the lease the lock was taken with
 * @param requestNanos   {@code nanoTime} just before the lock was asked for
 * @param startNanos     {@code nanoTime} when the section started, lock held
 * @param endNanos       {@code nanoTime} when the section ended, lock still held
 * @param counterRead    the counter value read
 * @param counterWritten the counter value written
 */
public record Section(String process, String thread, String key, Mode mode, long token, long leaseNanos,
                      long requestNanos, long startNanos, long endNanos, long counterRead, long counterWritten) {

    /** The API a critical section was entered through. */
    public enum Mode {
        /** A synchronous {@code @Locked} method; the token came from {@code Adapter.fencingToken(key)}. */
        ANNOTATION,
        /** {@code Adapter.lock(key)} in try-with-resources; the token came from the {@code Lease}. */
        LEASE
    }

    /** Line tag of a section in a history file. */
    static final String TAG = "S";

    /**
     * Checks the values.
     *
     * @throws NullPointerException     when a name or the mode is null
     * @throws IllegalArgumentException when the times are out of order or the lease is not positive
     */
    public Section {
        Objects.requireNonNull(process, "process");
        Objects.requireNonNull(thread, "thread");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(mode, "mode");
        if (leaseNanos <= 0) {
            throw new IllegalArgumentException("lease must be positive, was " + leaseNanos + " ns");
        }
        if (startNanos - requestNanos < 0 || endNanos - startNanos < 0) {
            throw new IllegalArgumentException("times out of order: request " + requestNanos + ", start "
                    + startNanos + ", end " + endNanos);
        }
    }

    /** @return the moment until which the lease was certainly valid: {@code requestNanos + leaseNanos} */
    public long leaseBoundNanos() {
        return requestNanos + leaseNanos;
    }

    /**
     * @return whether the whole section ran within its certain lease, {@code endNanos <= leaseBoundNanos()};
     *         a section that ran longer is "unprotected": the lock promises nothing for its tail
     */
    public boolean protectedByLease() {
        return endNanos - leaseBoundNanos() <= 0;
    }

    /** @return the end of the part of the section certainly covered by the lease */
    long protectedEndNanos() {
        return endNanos - leaseBoundNanos() <= 0 ? endNanos : leaseBoundNanos();
    }

    /** @return a short description for violation reports */
    public String describe() {
        return process + "/" + thread + " " + mode + " token " + token + " [" + startNanos + ", " + endNanos
                + "] read " + counterRead + " wrote " + counterWritten;
    }

    /** @return this section as one line of a history file (tab-separated, tagged {@value #TAG}) */
    String toLine() {
        return String.join("\t", TAG, process, thread, key, mode.name(), Long.toString(token),
                Long.toString(leaseNanos), Long.toString(requestNanos), Long.toString(startNanos),
                Long.toString(endNanos), Long.toString(counterRead), Long.toString(counterWritten));
    }

    /**
     * @param fields a history line split at tabs, starting with {@value #TAG}
     * @return the section
     * @throws IllegalArgumentException when the line is malformed
     */
    static Section fromFields(String[] fields) {
        if (fields.length != 12 || !TAG.equals(fields[0])) {
            throw new IllegalArgumentException("not a section line: " + String.join("\t", fields));
        }
        return new Section(fields[1], fields[2], fields[3], Mode.valueOf(fields[4]), Long.parseLong(fields[5]),
                Long.parseLong(fields[6]), Long.parseLong(fields[7]), Long.parseLong(fields[8]),
                Long.parseLong(fields[9]), Long.parseLong(fields[10]), Long.parseLong(fields[11]));
    }
}
