package io.github.distributedmutex.internal.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The durability policy of grants ({@code distributedmutex.replica-acks},
 * {@code distributedmutex.replica-ack-timeout}): after a lock is granted, how many replicas of the
 * granting master must acknowledge it (Redis {@code WAIT}) within the timeout before it counts as
 * acquired. Off by default.
 *
 * @param replicas how many replicas must acknowledge: 0 for off, {@link #ALL} for every replica
 *                 connected to the granting master (and at least one), else 1 to {@link #MAX_REPLICAS}
 * @param timeout  how long {@code WAIT} may block, at least {@link #MIN_TIMEOUT} (a {@code WAIT}
 *                 with 0 blocks forever) and at most {@link #MAX_TIMEOUT}; when the policy is on, also at most a
 *                 third of the lease ({@link #checkFits}, by {@link Settings} and per call)
 */
public record ReplicaAcks(int replicas, Duration timeout) {

    /** {@link #replicas()} of the policy {@code all}: every connected replica, at least one. */
    public static final int ALL = -1;
    /** The largest number of replicas that can be required. */
    public static final int MAX_REPLICAS = 1000;
    /** Default of {@code distributedmutex.replica-ack-timeout}. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    /** The shortest timeout: Redis counts it in whole milliseconds, and {@code WAIT n 0} blocks forever. */
    public static final Duration MIN_TIMEOUT = Duration.ofMillis(1);
    /** The longest timeout: each waiting acquisition holds a Redis connection blocked for that long. */
    public static final Duration MAX_TIMEOUT = Duration.ofMinutes(1);
    /** The default policy: grants are not waited for. */
    public static final ReplicaAcks OFF = new ReplicaAcks(0, DEFAULT_TIMEOUT);

    /** Checks the invariants. */
    public ReplicaAcks {
        Objects.requireNonNull(timeout, "timeout");
        if (replicas < ALL || replicas > MAX_REPLICAS) {
            throw new IllegalArgumentException("replicas must be 0 (off), 1 to " + MAX_REPLICAS + " or all, was "
                    + replicas);
        }
        if (timeout.compareTo(MIN_TIMEOUT) < 0) {
            throw new IllegalArgumentException("the replica acknowledgement timeout must be at least 1 ms (WAIT counts"
                    + " whole milliseconds, and WAIT with 0 blocks forever), was " + timeout);
        }
        if (timeout.compareTo(MAX_TIMEOUT) > 0) {
            throw new IllegalArgumentException("the replica acknowledgement timeout must not be longer than "
                    + MAX_TIMEOUT.toSeconds() + " s (each acquisition keeps a Redis connection blocked that long),"
                    + " was " + timeout);
        }
    }

    /**
     * The longest acknowledgement timeout a lease allows: a third of it. A grant counts only while at least a third of
     * its lease is left when its acknowledgements come (counted from when its attempt was sent, see
     * {@code AcquisitionLoop}), so a {@code WAIT} that may block longer than a third of the lease could only end in a
     * grant given back, or, without that check, in a lease returned after it ran out in Redis.
     *
     * @param lease       the lease of the acquisitions this policy applies to
     * @param leaseOrigin where that lease comes from, for the message ({@code distributedmutex.lease}, {@code lease})
     * @throws IllegalArgumentException when the policy is on and its timeout is longer than a third of {@code lease}
     */
    public void checkFits(Duration lease, String leaseOrigin) {
        if (!isOff() && timeoutMillis() * 3 > LeaseDuration.toMillis(lease)) {
            throw new IllegalArgumentException(SettingsReader.REPLICA_ACK_TIMEOUT + " (" + timeoutMillis() + " ms) must"
                    + " not be longer than a third of the lease (" + leaseOrigin + " " + LeaseDuration.toMillis(lease)
                    + " ms) while " + SettingsReader.REPLICA_ACKS + " is on: a grant is kept only with at least a third"
                    + " of its lease left once its replicas acknowledged it; shorten the timeout or lengthen the lease");
        }
    }

    /** @return whether grants are not waited for */
    public boolean isOff() {
        return replicas == 0;
    }

    /** @return whether every connected replica must acknowledge */
    public boolean isAll() {
        return replicas == ALL;
    }

    /** @return the timeout in whole milliseconds, rounded up */
    public long timeoutMillis() {
        return LeaseDuration.toMillis(timeout);
    }

    @Override
    public String toString() {
        if (isOff()) {
            return "off";
        }
        return (isAll() ? "all" : Integer.toString(replicas)) + " within " + timeoutMillis() + " ms";
    }
}
