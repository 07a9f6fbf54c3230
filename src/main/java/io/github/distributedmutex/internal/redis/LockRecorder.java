package io.github.distributedmutex.internal.redis;

/**
 * Receives one adapter's measurements, for metrics: the core reports through it what
 * {@link LockEvents} reports as events, plus what events lack (renewals), as primitives and the
 * lock's bounded <em>metric name</em>, never a raw key. The core knows no metrics library: the
 * implementations live in {@code internal/metrics} and are plugged in by the CDI producer.
 *
 * <p>Called after the change, on the thread that learned of it (for acquisitions, releases and
 * renewals usually a Redisson I/O thread, else the adapter's timer thread or the caller's; the caller's
 * thread for {@code extend}), never
 * while the adapter holds one of its own locks. It must return at once; an exception (or a linkage
 * error from an API version it does not fit) it throws is
 * logged and fails nothing. An adapter built without a recorder computes no metric names and calls
 * nothing: a field read and a branch per report.
 */
public interface LockRecorder {

    /** How an acquisition ended. */
    enum Acquisition {
        /** Redis granted the lock. */
        ACQUIRED,
        /** Somebody else held it for the whole wait, or the waiting thread was interrupted. */
        NOT_ACQUIRED,
        /** Redis could not answer ({@code LockUnavailableException}). */
        UNAVAILABLE
    }

    /** How the release that ended a hold ended: the hold ended either way, from the holder's view. */
    enum Release {
        /** Redis confirmed the release (the lock is free, or stays taken for its minimum hold). */
        RELEASED,
        /** Redis answered that the lock was not this holder's any more (expired, or taken by another): it was lost. */
        LOST,
        /** Redis did not answer in time, or failed: the lock may or may not have been released. */
        FAILED
    }

    /** How one lease renewal (a watchdog renewal or an {@code extend}) ended. */
    enum Renewal {
        /** Redis set the new lease. */
        RENEWED,
        /** The lease was already gone (expired or taken): the lock is lost. */
        LOST,
        /** Redis did not answer; the watchdog tries again, an {@code extend} throws. */
        FAILED
    }

    /**
     * Called once, when the adapter is created, before any other call.
     *
     * @param gauges what the adapter holds and waits for now, read when metrics are collected
     */
    void start(LockGauges gauges);

    /**
     * @param name    the lock's metric name
     * @param outcome how it ended
     * @param nanos   how long the acquisition took, from the call to the grant or the failure
     */
    void acquisition(String name, Acquisition outcome, long nanos);

    /**
     * A hold ended: its release was answered, or failed (at most once per lock; not after the adapter closed).
     *
     * @param name      the lock's metric name
     * @param outcome   how the release ended
     * @param heldNanos how long the lock was held, from the granting attempt to the release's call
     */
    void released(String name, Release outcome, long heldNanos);

    /**
     * @param name    the lock's metric name
     * @param outcome how the renewal ended
     */
    void renewal(String name, Renewal outcome);

    /**
     * A lease was found lost while held (at most once per lease).
     *
     * @param name the lock's metric name
     */
    void lost(String name);

    /** The adapter closed: stop reading its gauges (unregister them); nothing is reported afterwards. */
    void stop();
}
