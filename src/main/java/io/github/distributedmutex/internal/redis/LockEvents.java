package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.LockEvent;
import io.github.distributedmutex.internal.key.LockKey;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports one adapter's lock events: builds and delivers {@link LockEvent}s to its
 * {@link LockListener}, and hands the same changes, as primitives and a metric name, to its
 * {@link LockRecorder}. Each method takes what the caller already has, and builds an event only when
 * the listener wants its type (decided once, at construction): with no listener and no recorder, a
 * call is a few field reads and branches, and allocates nothing. Callers call it after the state
 * change and outside their monitors.
 */
final class LockEvents {

    /** No listener and no recorder: nothing is ever built or delivered. */
    static final LockEvents NONE = new LockEvents(null, null);

    private static final Logger LOG = LoggerFactory.getLogger(LockEvents.class);

    private final LockListener listener;
    private final LockRecorder recorder;
    private final boolean acquired;
    private final boolean released;
    private final boolean notAcquired;
    private final boolean lost;

    /**
     * @param listener where events go; null for none
     * @param recorder where measurements go; null for none
     */
    LockEvents(LockListener listener, LockRecorder recorder) {
        this.listener = listener;
        this.recorder = recorder;
        this.acquired = wants(listener, LockEvent.Acquired.class);
        this.released = wants(listener, LockEvent.Released.class);
        this.notAcquired = wants(listener, LockEvent.NotAcquired.class);
        this.lost = wants(listener, LockEvent.Lost.class);
    }

    /** @return the event types that are built and delivered */
    Set<Class<? extends LockEvent>> reported() {
        Set<Class<? extends LockEvent>> types = new HashSet<>();
        if (acquired) {
            types.add(LockEvent.Acquired.class);
        }
        if (released) {
            types.add(LockEvent.Released.class);
        }
        if (notAcquired) {
            types.add(LockEvent.NotAcquired.class);
        }
        if (lost) {
            types.add(LockEvent.Lost.class);
        }
        return Set.copyOf(types);
    }

    /** @return whether measurements are recorded: only then do callers compute metric names */
    boolean recording() {
        return recorder != null;
    }

    /** @return the recorder, null for none */
    LockRecorder recorder() {
        return recorder;
    }

    private static boolean wants(LockListener listener, Class<? extends LockEvent> type) {
        return listener != null && listener.wants(type);
    }

    /** One key granted: its event. The call's measurement is {@link #acquisition}, once the whole call succeeded. */
    void acquired(LockKey key, String owner, long token, long waitedNanos) {
        if (acquired) {
            deliver(new LockEvent.Acquired(key.name(), owner, token, millis(waitedNanos)));
        }
    }

    /** One call that got every key it asked for (one key, or a set): its measurement. */
    void acquisition(String name, long waitedNanos) {
        if (recorder != null) {
            try {
                recorder.acquisition(name, LockRecorder.Acquisition.ACQUIRED, waitedNanos);
            } catch (RuntimeException | LinkageError e) {
                recordingFailed(e);
            }
        }
    }

    void released(LockKey key, String name, String owner, long token, long heldNanos) {
        if (released) {
            deliver(new LockEvent.Released(key.name(), owner, token, millis(heldNanos)));
        }
        if (recorder != null) {
            try {
                recorder.released(name, LockRecorder.Release.RELEASED, heldNanos);
            } catch (RuntimeException | LinkageError e) {
                recordingFailed(e);
            }
        }
    }

    void notAcquired(LockKey key, String name, long waitedNanos, LockEvent.NotAcquired.Reason reason) {
        if (notAcquired) {
            deliver(new LockEvent.NotAcquired(key.name(), millis(waitedNanos), reason));
        }
        if (recorder != null) {
            LockRecorder.Acquisition outcome = reason == LockEvent.NotAcquired.Reason.UNAVAILABLE
                    ? LockRecorder.Acquisition.UNAVAILABLE : LockRecorder.Acquisition.NOT_ACQUIRED;
            try {
                recorder.acquisition(name, outcome, waitedNanos);
            } catch (RuntimeException | LinkageError e) {
                recordingFailed(e);
            }
        }
    }

    void lost(LockKey key, String name, String owner, long token, long heldNanos) {
        if (lost) {
            deliver(new LockEvent.Lost(key.name(), owner, token, millis(heldNanos)));
        }
        if (recorder != null) {
            try {
                recorder.lost(name);
            } catch (RuntimeException | LinkageError e) {
                recordingFailed(e);
            }
        }
    }

    /**
     * A hold ended without a confirmed release: Redis answered that the lock was no longer this holder's
     * ({@link LockRecorder.Release#LOST}; its {@link #lost} is reported apart, once per lease), or the release
     * failed ({@link LockRecorder.Release#FAILED}). No event type: measured only.
     */
    void releaseFailed(String name, LockRecorder.Release outcome, long heldNanos) {
        if (recorder != null) {
            try {
                recorder.released(name, outcome, heldNanos);
            } catch (RuntimeException | LinkageError e) {
                recordingFailed(e);
            }
        }
    }

    /** A watchdog renewal or an {@code extend} ended (no event type: measured only). */
    void renewal(String name, LockRecorder.Renewal outcome) {
        if (recorder != null) {
            try {
                recorder.renewal(name, outcome);
            } catch (RuntimeException | LinkageError e) {
                recordingFailed(e);
            }
        }
    }

    private static Duration millis(long nanos) {
        return Duration.ofMillis(TimeUnit.NANOSECONDS.toMillis(nanos));
    }

    private void deliver(LockEvent event) {
        try {
            listener.onEvent(event);
        } catch (RuntimeException e) {
            LOG.warn("The lock event listener failed on {}; the lock call is not affected: {}", event, e.toString());
            LOG.debug("Lock event listener failure", e);
        }
    }

    private static void recordingFailed(Throwable e) {
        LOG.warn("Recording a lock metric failed; the lock call is not affected: {}", e.toString());
        LOG.debug("Lock metric failure", e);
    }
}
