package io.github.distributedmutex.internal.redis;

import java.util.Map;

/**
 * What one adapter holds and waits for now, by metric name, read from the adapter's own state
 * (its open leases, its registered waiters) when a metrics library collects: nothing is counted
 * on the lock path for these. Each call walks that state, so it costs O(locks held or waited for).
 */
public interface LockGauges {

    /** @return the number of leases this adapter holds now (not found lost), by metric name */
    Map<String, Integer> heldByName();

    /** @return the number of this adapter's threads waiting for a lock now, by metric name */
    Map<String, Integer> waitingByName();
}
