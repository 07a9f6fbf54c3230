package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.internal.key.LockKey;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Thread ownership for {@code acquire}/{@code release}: a hold count per (thread, key) on top of
 * one {@link RedisLease}. A nested acquire of a live hold costs no Redis call; a hold whose lease
 * has run out by the local clock or was found lost is never re-entered (its thread probably
 * skipped a release, and another instance may hold the key by now): it is dropped with an ERROR
 * and the caller acquires afresh. Entries exist only while held.
 */
final class ThreadHolds {

    private static final Logger LOG = LoggerFactory.getLogger(ThreadHolds.class);

    private final ConcurrentHashMap<HoldKey, Hold> holds = new ConcurrentHashMap<>();

    /** Returned by {@link #reenter} when the calling thread re-entered a live hold. */
    static final int REENTERED = -1;

    /**
     * Re-enters the calling thread's hold of {@code key} when it has a live one.
     *
     * @return {@link #REENTERED}; or, when the thread holds nothing live, how many holds a dropped
     *         dead hold had (0 when there was none): the fresh hold carries them, so every frame
     *         that still believes it holds the key is protected by the new lock, and the releases
     *         stay balanced
     */
    int reenter(LockKey key) {
        HoldKey holdKey = HoldKey.current(key);
        Hold hold = holds.get(holdKey);
        if (hold == null) {
            return 0;
        }
        RedisLease lease = hold.lease;
        if (lease.isLost() || lease.expiredLocally()) {
            holds.remove(holdKey, hold);
            LOG.error("Thread '{}' still held lock '{}' (owner {}, hold count {}) but its lease {}: not re-entered, the"
                    + " lock is acquired afresh. A release was probably skipped on this thread earlier",
                    Thread.currentThread().getName(), key.name(), lease.owner(), hold.count,
                    lease.isLost() ? "was found lost" : "has run out");
            lease.close(); // owner-checked: deletes nothing that belongs to another holder
            return hold.count;
        }
        hold.count++;
        LOG.debug("Re-entered lock '{}' (owner {}), hold count {}", key.name(), lease.owner(), hold.count);
        return REENTERED;
    }

    /**
     * Records a new hold of {@code key} by the calling thread.
     *
     * @param count the hold count (1, plus the holds carried over from a dropped dead hold)
     */
    void add(LockKey key, RedisLease lease, int count) {
        holds.put(HoldKey.current(key), new Hold(lease, count));
    }

    /**
     * Leaves one hold of {@code key} by the calling thread and closes the lease after the last.
     *
     * @param keepMinimumHold whether the last release keeps the lease's minimum hold (holdAtLeast);
     *                        false frees the lock at once
     * @return false when the calling thread holds nothing of {@code key}
     */
    boolean release(LockKey key, boolean keepMinimumHold) {
        HoldKey holdKey = HoldKey.current(key);
        Hold hold = holds.get(holdKey);
        if (hold == null) {
            return false;
        }
        if (--hold.count > 0) {
            LOG.debug("Left lock '{}' (owner {}), hold count {}", key.name(), hold.lease.owner(), hold.count);
            return true;
        }
        holds.remove(holdKey, hold);
        if (keepMinimumHold) {
            hold.lease.close();
        } else {
            hold.lease.closeNow();
        }
        return true;
    }

    /** @return the fencing token of the calling thread's hold of {@code key} */
    OptionalLong fencingToken(LockKey key) {
        Hold hold = holds.get(HoldKey.current(key));
        return hold == null ? OptionalLong.empty() : OptionalLong.of(hold.lease.fencingToken());
    }

    /** Drops the hold a closed lease belonged to (for example the watchdog released it after its thread ended). */
    void forget(RedisLease lease) {
        Thread thread = lease.holderThread();
        if (thread != null) {
            holds.computeIfPresent(new HoldKey(thread.getId(), lease.lockKey().redisKey()),
                    (key, hold) -> hold.lease == lease ? null : hold);
        }
    }

    int size() {
        return holds.size();
    }

    private record HoldKey(long threadId, String redisKey) {
        static HoldKey current(LockKey key) {
            return new HoldKey(Thread.currentThread().getId(), key.redisKey());
        }
    }

    /** Mutated only by the thread it belongs to. */
    private static final class Hold {
        private final RedisLease lease;
        private int count;

        Hold(RedisLease lease, int count) {
            this.lease = lease;
            this.count = count;
        }
    }
}
