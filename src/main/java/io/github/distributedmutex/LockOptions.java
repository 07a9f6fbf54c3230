package io.github.distributedmutex;

import io.github.distributedmutex.internal.config.LeaseDuration;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Per-call settings of one lock request: how long to wait, how long to hold, and whether a
 * watchdog renews the lease. Immutable; every {@code with…} method returns a copy. A value that
 * is not set falls back to the configured default ({@code distributedmutex.wait},
 * {@code distributedmutex.lease}).
 *
 * <pre>{@code
 * adapter.lock("export:nightly", LockOptions.defaults().withLease(Duration.ofMinutes(2)).withWatchdog(true));
 * }</pre>
 */
public final class LockOptions {

    /**
     * The longest lease (and {@link Lease#extend(Duration) extension}) accepted: 365 days. Longer
     * values are rejected before any Redis call; Redis itself refuses expiry times that overflow.
     */
    public static final Duration MAX_LEASE = LeaseDuration.MAX;

    /**
     * The shortest lease (and {@link Lease#extend(Duration) extension}) accepted: 1 ms. Redis
     * counts expiry in whole milliseconds and {@code PEXPIRE key 0} deletes the key, so a shorter
     * lease would hold no lock at all; it is rejected before any Redis call. Leases are rounded up
     * to whole milliseconds.
     */
    public static final Duration MIN_LEASE = LeaseDuration.MIN;

    private static final LockOptions DEFAULTS = new LockOptions(null, null, false);

    private final Duration maxWait;
    private final Duration lease;
    private final boolean watchdog;

    private LockOptions(Duration maxWait, Duration lease, boolean watchdog) {
        this.maxWait = maxWait;
        this.lease = lease;
        this.watchdog = watchdog;
    }

    /** @return options that use the configured wait and lease, without watchdog */
    public static LockOptions defaults() {
        return DEFAULTS;
    }

    /**
     * @param maxWait how long to wait for a lock held by somebody else; zero means one attempt
     * @return a copy with this maximum wait
     * @throws NullPointerException     when {@code maxWait} is null
     * @throws IllegalArgumentException when {@code maxWait} is negative
     */
    public LockOptions withMaxWait(Duration maxWait) {
        Objects.requireNonNull(maxWait, "maxWait must not be null");
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must not be negative, was " + maxWait);
        }
        return new LockOptions(maxWait, lease, watchdog);
    }

    /**
     * @param lease how long Redis keeps the lock if the holder neither releases nor extends it;
     *              with a watchdog, the time after which a dead holder's lock frees itself
     * @return a copy with this lease
     * @throws NullPointerException     when {@code lease} is null
     * @throws IllegalArgumentException when {@code lease} is shorter than {@link #MIN_LEASE} or
     *                                  longer than {@link #MAX_LEASE}
     */
    public LockOptions withLease(Duration lease) {
        return new LockOptions(maxWait, LeaseDuration.check("lease", lease), watchdog);
    }


    /**
     * @param watchdog when {@code true}, the lease is renewed every third of its duration for as
     *                 long as the lock is held by a live process, for work of unknown length
     * @return a copy with this watchdog mode
     */
    public LockOptions withWatchdog(boolean watchdog) {
        return new LockOptions(maxWait, lease, watchdog);
    }

    /** @return the maximum wait, empty when the configured default applies */
    public Optional<Duration> maxWait() {
        return Optional.ofNullable(maxWait);
    }

    /** @return the lease, empty when the configured default applies */
    public Optional<Duration> lease() {
        return Optional.ofNullable(lease);
    }

    /** @return whether a watchdog renews the lease while it is held */
    public boolean watchdog() {
        return watchdog;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LockOptions other
                && Objects.equals(maxWait, other.maxWait)
                && Objects.equals(lease, other.lease)
                && watchdog == other.watchdog;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxWait, lease, watchdog);
    }

    @Override
    public String toString() {
        return "LockOptions[maxWait=" + (maxWait == null ? "default" : maxWait)
                + ", lease=" + (lease == null ? "default" : lease) + ", watchdog=" + watchdog + "]";
    }
}
