package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.LockEvent;
import io.github.distributedmutex.internal.key.LockKey;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds and delivers one adapter's {@link LockEvent}s to its {@link LockListener}. Each method
 * takes primitives and objects the caller already has, and builds the event only when the listener
 * wants its type (decided once, at construction): with no listener, a call is one field read and a
 * branch, and allocates nothing. Callers call it after the state change and outside their monitors.
 */
final class LockEvents {

    /** No listener: nothing is ever built or delivered. */
    static final LockEvents NONE = new LockEvents(null);

    private static final Logger LOG = LoggerFactory.getLogger(LockEvents.class);

    private final LockListener listener;
    private final boolean acquired;
    private final boolean released;
    private final boolean notAcquired;
    private final boolean lost;

    /** @param listener where events go; null for none */
    LockEvents(LockListener listener) {
        this.listener = listener;
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

    private static boolean wants(LockListener listener, Class<? extends LockEvent> type) {
        return listener != null && listener.wants(type);
    }

    void acquired(LockKey key, String owner, long token, long waitedMillis) {
        if (acquired) {
            deliver(new LockEvent.Acquired(key.name(), owner, token, Duration.ofMillis(waitedMillis)));
        }
    }

    void released(LockKey key, String owner, long token, long heldMillis) {
        if (released) {
            deliver(new LockEvent.Released(key.name(), owner, token, Duration.ofMillis(heldMillis)));
        }
    }

    void notAcquired(LockKey key, long waitedMillis, LockEvent.NotAcquired.Reason reason) {
        if (notAcquired) {
            deliver(new LockEvent.NotAcquired(key.name(), Duration.ofMillis(waitedMillis), reason));
        }
    }

    void lost(LockKey key, String owner, long token, long heldMillis) {
        if (lost) {
            deliver(new LockEvent.Lost(key.name(), owner, token, Duration.ofMillis(heldMillis)));
        }
    }

    private void deliver(LockEvent event) {
        try {
            listener.onEvent(event);
        } catch (RuntimeException e) {
            LOG.warn("The lock event listener failed on {}; the lock call is not affected: {}", event, e.toString());
            LOG.debug("Lock event listener failure", e);
        }
    }
}
