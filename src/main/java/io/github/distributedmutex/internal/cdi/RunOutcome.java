package io.github.distributedmutex.internal.cdi;

import io.github.distributedmutex.Lease;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the asynchronous run of a {@code @Locked} method ended (its {@code CompletionStage} completed, its {@code Uni}
 * terminated), which decides how its lease is released. One rule for both: success keeps the minimum hold
 * ({@code holdAtLeast}); a failure frees the lock at once, because the hold is there to stop other nodes from
 * repeating work that ran, not to stop a retry of work that failed; a cancellation says nothing about the work, which
 * may still be running, so the lock is released as after success, with its minimum hold, and a WARN says so (a DEBUG
 * line for a {@code Uni} whose subscriber left: its {@code Uni} was cancelled first). A {@code Uni} that fails, with a
 * {@link CancellationException} too, failed.
 */
enum RunOutcome {

    /** The run produced its result. */
    SUCCEEDED,
    /** The run failed. */
    FAILED,
    /** The caller cancelled the run's {@code CompletionStage}. */
    CANCELLED,
    /**
     * The subscriber of the run's {@code Uni} left (the method's {@code Uni} was cancelled first): released like
     * {@link #CANCELLED}, but logged at DEBUG, since a hung-up client is routine for reactive endpoints.
     */
    UNSUBSCRIBED;

    private static final Logger LOG = LoggerFactory.getLogger(LockedInterceptor.class);

    /**
     * @param failure what the run failed with, {@code null} when it succeeded
     * @return the outcome; a {@link CancellationException} (also wrapped in a {@link CompletionException}) is a
     *         cancellation
     */
    static RunOutcome of(Throwable failure) {
        if (failure == null) {
            return SUCCEEDED;
        }
        if (failure instanceof CancellationException
                || failure instanceof CompletionException && failure.getCause() instanceof CancellationException) {
            return CANCELLED;
        }
        return FAILED;
    }

    /**
     * Releases {@code lease} as this outcome asks.
     *
     * @param lease the run's lease
     * @return completes once the release finished; never exceptionally ({@link Lease#closeAsync()})
     */
    CompletionStage<Void> release(Lease lease) {
        return switch (this) {
            case SUCCEEDED -> lease.closeAsync();
            case FAILED -> lease.closeNowAsync();
            case CANCELLED -> {
                LOG.warn("The run of a @Locked method holding '{}' was cancelled; the lock is released now (with its"
                        + " minimum hold, if any) although work the method started may still be running", lease.key());
                yield lease.closeAsync();
            }
            case UNSUBSCRIBED -> {
                LOG.debug("The subscriber of a @Locked method's Uni holding '{}' left; its Uni was cancelled and the"
                        + " lock is released now (with its minimum hold, if any)", lease.key());
                yield lease.closeAsync();
            }
        };
    }
}
