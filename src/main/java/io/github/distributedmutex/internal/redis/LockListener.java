package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.LockEvent;

/**
 * Receives the {@link LockEvent}s of one adapter. The core knows nothing of CDI: the CDI producer
 * plugs in a listener that fires CDI events; an adapter built without one fires nothing.
 *
 * <p>{@link #onEvent} is called after the state change, on the thread that learned of it (for
 * acquisitions and releases usually a Redisson I/O thread, else the adapter's timer thread or, for an
 * interrupted or closed call, the caller's; the caller's thread for {@code extend} and {@code isHeld}),
 * never while the adapter holds one of its own locks. It must return at once and never block (hand the
 * event to another thread); an exception it throws is logged at WARN and fails nothing.
 */
public interface LockListener {

    /** @param event what happened */
    void onEvent(LockEvent event);

    /**
     * Which events this listener wants, asked once per type when the adapter is created; events of
     * other types are never built, so an adapter whose listener wants nothing pays nothing.
     *
     * @param type one of the four {@link LockEvent} records
     * @return whether to deliver events of that type
     */
    default boolean wants(Class<? extends LockEvent> type) {
        return true;
    }
}
