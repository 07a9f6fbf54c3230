package io.github.distributedmutex.internal.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The one rule for lease durations, wherever they come from (per call, annotation, configuration,
 * {@code Lease.extend}): positive and at most {@link #MAX} (365 days), checked before any Redis
 * call. Redis refuses expiry times that overflow, and a lease of a year is already far beyond
 * any sensible lock.
 */
public final class LeaseDuration {

    /** The longest lease accepted. */
    public static final Duration MAX = Duration.ofDays(365);

    private LeaseDuration() {
    }

    /**
     * @param what  the name used in messages ("lease", "extend duration")
     * @param lease the duration
     * @return the duration
     * @throws NullPointerException     when {@code lease} is null
     * @throws IllegalArgumentException when it is zero, negative or longer than {@link #MAX}
     */
    public static Duration check(String what, Duration lease) {
        Objects.requireNonNull(lease, what + " must not be null");
        if (lease.isNegative() || lease.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + lease);
        }
        if (lease.compareTo(MAX) > 0) {
            throw new IllegalArgumentException(what + " must not be longer than " + MAX.toDays() + " days, was "
                    + lease);
        }
        return lease;
    }
}
