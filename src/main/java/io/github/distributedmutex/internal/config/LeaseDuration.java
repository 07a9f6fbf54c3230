package io.github.distributedmutex.internal.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The one rule for lease durations, wherever they come from (per call, annotation, configuration,
 * {@code Lease.extend}, the watchdog): at least {@link #MIN} (1 ms) and at most {@link #MAX}
 * (365 days), checked before any Redis call, and the one conversion to the milliseconds Redis
 * counts in ({@link #toMillis(Duration)}).
 *
 * <p>Why a minimum: Redis expires keys in whole milliseconds, and {@code PEXPIRE key 0} deletes
 * the key, so a lease of 0.5 ms would "succeed" with no lock in Redis. Why a maximum: Redis
 * refuses expiry times that overflow, and a lease of a year is already far beyond any sensible
 * lock.
 */
public final class LeaseDuration {

    /** The shortest lease accepted. */
    public static final Duration MIN = Duration.ofMillis(1);

    /** The longest lease accepted. */
    public static final Duration MAX = Duration.ofDays(365);

    private LeaseDuration() {
    }

    /**
     * @param what  the name used in messages ("lease", "extend duration")
     * @param lease the duration
     * @return the duration
     * @throws NullPointerException     when {@code lease} is null
     * @throws IllegalArgumentException when it is zero or negative, shorter than {@link #MIN} or
     *                                  longer than {@link #MAX}; the message names the value
     */
    public static Duration check(String what, Duration lease) {
        Objects.requireNonNull(lease, what + " must not be null");
        if (lease.isNegative() || lease.isZero()) {
            throw new IllegalArgumentException(what + " must be positive (longer than zero), was " + lease);
        }
        if (lease.compareTo(MIN) < 0) {
            throw new IllegalArgumentException(what + " must be at least 1 ms (Redis counts expiry in whole"
                    + " milliseconds), was " + lease);
        }
        if (lease.compareTo(MAX) > 0) {
            throw new IllegalArgumentException(what + " must not be longer than " + MAX.toDays() + " days, was "
                    + lease);
        }
        return lease;
    }

    /**
     * @param lease a lease that passed {@link #check(String, Duration)}
     * @return the lease in whole milliseconds, rounded up: Redis never keeps a lock for less than
     *         its holder was promised
     */
    public static long toMillis(Duration lease) {
        long millis = lease.toMillis();
        return lease.minusMillis(millis).isZero() ? millis : millis + 1;
    }

    /**
     * The rule between a minimum hold and the lease it belongs to: the lock cannot stay taken
     * longer than Redis keeps it.
     *
     * @param holdAtLeast a minimum hold that is zero or passed {@link #check(String, Duration)}
     * @param lease       the effective lease (per call, per annotation or configured)
     * @param leaseOrigin where the lease comes from, for the message ("lease", "distributedmutex.lease")
     * @throws IllegalArgumentException when {@code holdAtLeast} is longer than {@code lease}; the
     *                                  message names both values
     */
    public static void checkHoldAtLeast(Duration holdAtLeast, Duration lease, String leaseOrigin) {
        if (holdAtLeast.compareTo(lease) > 0) {
            throw new IllegalArgumentException("holdAtLeast " + holdAtLeast + " must not exceed the lease (" + leaseOrigin
                    + " " + lease + "): the lock frees itself when its lease ends, so it cannot stay taken longer");
        }
    }
}
