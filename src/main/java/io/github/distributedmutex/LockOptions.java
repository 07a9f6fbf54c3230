package io.github.distributedmutex;

import io.github.distributedmutex.internal.config.LeaseDuration;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Per-call settings of one lock request: how long to wait, how long to hold, whether a watchdog
 * renews the lease, and how long the lock stays taken at least. Immutable; every {@code with…}
 * method returns a copy. A value that is not set falls back to the configured default
 * ({@code distributedmutex.wait}, {@code distributedmutex.lease}).
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

    /** The longest {@linkplain #withMetricName(String) metric name} accepted, in characters. */
    public static final int MAX_METRIC_NAME_LENGTH = 255;

    private static final LockOptions DEFAULTS = new LockOptions(null, null, false, Duration.ZERO, null);

    private final Duration maxWait;
    private final Duration lease;
    private final boolean watchdog;
    private final Duration holdAtLeast;
    private final String metricName;

    private LockOptions(Duration maxWait, Duration lease, boolean watchdog, Duration holdAtLeast, String metricName) {
        this.maxWait = maxWait;
        this.lease = lease;
        this.watchdog = watchdog;
        this.holdAtLeast = holdAtLeast;
        this.metricName = metricName;
    }

    /** @return options that use the configured wait and lease, without watchdog and without minimum hold */
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
        return new LockOptions(maxWait, lease, watchdog, holdAtLeast, metricName);
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
        return new LockOptions(maxWait, LeaseDuration.check("lease", lease), watchdog, holdAtLeast, metricName);
    }

    /**
     * @param watchdog when {@code true}, the lease is renewed every third of its duration for as
     *                 long as the lock is held by a live process, for work of unknown length
     * @return a copy with this watchdog mode
     */
    public LockOptions withWatchdog(boolean watchdog) {
        return new LockOptions(maxWait, lease, watchdog, holdAtLeast, metricName);
    }

    /**
     * Keeps the lock taken for at least {@code holdAtLeast} after it was acquired, even when its
     * holder releases it earlier (ShedLock's {@code lockAtLeastFor}; the lease is its
     * {@code lockAtMostFor}). For work that must run once per cluster although the instances start
     * it a little apart, such as a scheduled job whose nodes fire the same tick with some clock skew:
     * a node that fires after the first one finished still finds the lock taken.
     *
     * <p>On release, one owner-checked script on the Redis server measures how long the lock was
     * held on the Redis clock (from the acquisition's {@linkplain Lease#fencingToken() token}) and,
     * when that is less than {@code holdAtLeast}, shortens the lock's expiry to the rest instead of
     * deleting it; no client thread sleeps. The lock then frees itself; waiters notice that when
     * the rest has passed, not earlier. The releasing holder no longer holds it
     * ({@link Lease#isHeld()} is {@code false}, it can neither extend nor release it again), and
     * the rest never exceeds the lease the lock has at that moment. A release after
     * {@code holdAtLeast} deletes the lock as usual.
     *
     * <p>It must not exceed the lease: with a lease set in these options, or else the configured
     * {@code distributedmutex.lease}, a longer {@code holdAtLeast} makes the lock call throw
     * {@link IllegalArgumentException} naming both, before any Redis call. With a
     * {@linkplain #withWatchdog(boolean) watchdog} the same rule applies to the watchdog's lease.
     *
     * @param holdAtLeast the minimum time the lock stays taken after its acquisition; zero (the
     *                    default) for none, otherwise at least 1 ms (Redis counts expiry in whole
     *                    milliseconds; rounded up to whole milliseconds)
     * @return a copy with this minimum hold
     * @throws NullPointerException     when {@code holdAtLeast} is null
     * @throws IllegalArgumentException when {@code holdAtLeast} is negative, positive but shorter
     *                                  than 1 ms, or longer than {@link #MAX_LEASE}
     */
    public LockOptions withHoldAtLeast(Duration holdAtLeast) {
        Objects.requireNonNull(holdAtLeast, "holdAtLeast must not be null");
        if (holdAtLeast.isNegative()) {
            throw new IllegalArgumentException("holdAtLeast must not be negative, was " + holdAtLeast);
        }
        if (!holdAtLeast.isZero()) {
            LeaseDuration.check("holdAtLeast", holdAtLeast);
        }
        return new LockOptions(maxWait, lease, watchdog, holdAtLeast, metricName);
    }

    /**
     * Names the lock in the library's metrics (the {@code distributedmutex.lock.name} attribute,
     * see the README's Operations section), instead of a name derived from the key. A name stands
     * for a <em>kind</em> of lock, never one key: {@code "invoice-export"} for keys
     * {@code "invoice-export:" + id}, so that there is one time series per kind, not one per id.
     * {@code @Locked} methods are named by their key template ({@code "job:{id}"}) and
     * {@code acquiref}/{@code releasef} by their format string, without this. An {@code Adapter}
     * call without a metric name is named by its key's text before the first {@code ':'} (the whole
     * key when it has none), for at most 100 distinct such names per adapter; further ones are
     * named {@code "other"}.
     *
     * <p>Metric names never reach Redis and change nothing about the lock.
     *
     * @param metricName the name; not blank, at most {@value #MAX_METRIC_NAME_LENGTH} characters,
     *                   no control characters
     * @return a copy with this metric name
     * @throws NullPointerException     when {@code metricName} is null
     * @throws IllegalArgumentException when {@code metricName} is blank, too long or contains a
     *                                  control character
     */
    public LockOptions withMetricName(String metricName) {
        Objects.requireNonNull(metricName, "metricName must not be null");
        if (metricName.isBlank()) {
            throw new IllegalArgumentException("metricName must not be blank");
        }
        if (metricName.length() > MAX_METRIC_NAME_LENGTH) {
            throw new IllegalArgumentException("metricName must have at most " + MAX_METRIC_NAME_LENGTH
                    + " characters, had " + metricName.length());
        }
        if (metricName.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("metricName must not contain control characters");
        }
        return new LockOptions(maxWait, lease, watchdog, holdAtLeast, metricName);
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

    /**
     * @return how long the lock stays taken at least after its acquisition, {@link Duration#ZERO}
     *         for no minimum (see {@link #withHoldAtLeast(Duration)})
     */
    public Duration holdAtLeast() {
        return holdAtLeast;
    }

    /**
     * @return the lock's name in the library's metrics, empty when it is derived (see
     *         {@link #withMetricName(String)})
     */
    public Optional<String> metricName() {
        return Optional.ofNullable(metricName);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LockOptions other
                && Objects.equals(maxWait, other.maxWait)
                && Objects.equals(lease, other.lease)
                && watchdog == other.watchdog
                && holdAtLeast.equals(other.holdAtLeast)
                && Objects.equals(metricName, other.metricName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxWait, lease, watchdog, holdAtLeast, metricName);
    }

    @Override
    public String toString() {
        return "LockOptions[maxWait=" + (maxWait == null ? "default" : maxWait)
                + ", lease=" + (lease == null ? "default" : lease) + ", watchdog=" + watchdog
                + (holdAtLeast.isZero() ? "" : ", holdAtLeast=" + holdAtLeast)
                + (metricName == null ? "" : ", metricName=" + metricName) + "]";
    }
}
