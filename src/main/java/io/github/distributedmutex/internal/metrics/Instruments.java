package io.github.distributedmutex.internal.metrics;

import java.util.List;

/**
 * The library's instruments, their units and attributes, shared by the Micrometer and the
 * OpenTelemetry recorder so that both report the same thing under the same names (OpenTelemetry
 * semantic-convention style: dot-separated, durations in seconds). The README's Operations section
 * lists them; change both together.
 */
public final class Instruments {

    /** Histogram, seconds: from the call to the grant or the failure, by name and outcome. */
    public static final String ACQUIRE_DURATION = "distributedmutex.lock.acquire.duration";
    /**
     * Histogram, seconds: from the granting attempt to the end of the release (confirmed, found lost, or failed),
     * by name and release outcome.
     */
    public static final String HOLD_DURATION = "distributedmutex.lock.hold.duration";
    /** Gauge (OpenTelemetry: asynchronous up-down counter), {lock}: leases this instance holds now, by name. */
    public static final String HELD = "distributedmutex.lock.held";
    /** Gauge (OpenTelemetry: asynchronous up-down counter), {acquisition}: acquisitions waiting for a lock now, by name. */
    public static final String WAITERS = "distributedmutex.lock.waiters";
    /** Counter, {renewal}: watchdog renewals and {@code Lease.extend} calls, by name and outcome. */
    public static final String RENEWALS = "distributedmutex.lease.renewals";
    /** Counter, {lease}: leases found lost while held, by name. */
    public static final String LOST = "distributedmutex.lease.lost";

    /** Attribute of every instrument: the lock's metric name (template, format string or chosen name). */
    public static final String NAME = "distributedmutex.lock.name";
    /** Attribute of {@link #ACQUIRE_DURATION}: acquired, not_acquired, unavailable. */
    public static final String ACQUIRE_OUTCOME = "distributedmutex.lock.acquire.outcome";
    /** Attribute of {@link #HOLD_DURATION}: released, lost, failed. */
    public static final String RELEASE_OUTCOME = "distributedmutex.lock.release.outcome";
    /** Attribute of {@link #RENEWALS}: renewed, lost, failed. */
    public static final String RENEWAL_OUTCOME = "distributedmutex.lease.renewal.outcome";

    /** The OpenTelemetry instrumentation scope. */
    public static final String SCOPE = "io.github.distributedmutex";

    /**
     * Bucket boundaries of {@link #ACQUIRE_DURATION} in seconds: an uncontended acquisition takes
     * about a millisecond, a contended one up to the wait (default 5 s). Both recorders use them
     * (Micrometer as service-level objectives), so a histogram has 15 buckets per series.
     */
    public static final List<Double> ACQUIRE_BUCKETS = List.of(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
            0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0);
    /** Bucket boundaries of {@link #HOLD_DURATION} in seconds: from milliseconds to the hour. */
    public static final List<Double> HOLD_BUCKETS = List.of(0.001, 0.01, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0,
            900.0, 3600.0);

    private Instruments() {
    }

    /** @return the {@link #ACQUIRE_OUTCOME} value of an outcome */
    public static String value(io.github.distributedmutex.internal.redis.LockRecorder.Acquisition outcome) {
        return switch (outcome) {
            case ACQUIRED -> "acquired";
            case NOT_ACQUIRED -> "not_acquired";
            case UNAVAILABLE -> "unavailable";
        };
    }

    /** @return the {@link #RELEASE_OUTCOME} value of an outcome */
    public static String value(io.github.distributedmutex.internal.redis.LockRecorder.Release outcome) {
        return switch (outcome) {
            case RELEASED -> "released";
            case LOST -> "lost";
            case FAILED -> "failed";
        };
    }

    /** @return the {@link #RENEWAL_OUTCOME} value of an outcome */
    public static String value(io.github.distributedmutex.internal.redis.LockRecorder.Renewal outcome) {
        return switch (outcome) {
            case RENEWED -> "renewed";
            case LOST -> "lost";
            case FAILED -> "failed";
        };
    }
}
