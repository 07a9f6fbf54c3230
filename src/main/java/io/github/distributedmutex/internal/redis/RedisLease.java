package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.config.LeaseDuration;
import io.github.distributedmutex.internal.key.LockKey;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A held lock. Ownership is the random owner id stored in Redis, not a thread, so any thread may
 * extend or close it. See {@link Lease} for the contract.
 */
final class RedisLease implements Lease {

    private static final Logger LOG = LoggerFactory.getLogger(RedisLease.class);

    private final RedisLockStore store;
    private final LockKey key;
    private final String owner;
    private final long token;
    private final Duration leaseDuration;
    private final long acquiredNanos;
    private final Consumer<RedisLease> onClose;
    private final Consumer<String> onReleased;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CompletableFuture<Void> released = new CompletableFuture<>();
    private volatile long renewMillis;
    private volatile Future<?> renewal;
    private final AtomicBoolean lostFlag = new AtomicBoolean();

    /**
     * @param acquiredNanos {@link System#nanoTime()} when the successful attempt was sent
     * @param onClose       called once when the lease is closed (the adapter forgets it)
     * @param onReleased    called with the Redis key once Redis confirmed the release (wakes local waiters at once)
     */
    RedisLease(RedisLockStore store, LockKey key, String owner, long token, Duration leaseDuration, long acquiredNanos,
               Consumer<RedisLease> onClose, Consumer<String> onReleased) {
        this.store = store;
        this.key = key;
        this.owner = owner;
        this.token = token;
        this.leaseDuration = leaseDuration;
        this.acquiredNanos = acquiredNanos;
        this.onClose = onClose;
        this.onReleased = onReleased;
        this.renewMillis = leaseDuration.toMillis();
    }

    void startWatchdog(LeaseRenewals renewals) {
        renewal = renewals.start(this);
    }

    @Override
    public String key() {
        return key.name();
    }

    @Override
    public long fencingToken() {
        return token;
    }

    String owner() {
        return owner;
    }

    Duration leaseDuration() {
        return leaseDuration;
    }

    @Override
    public boolean isHeld() {
        if (closed.get() || lostFlag.get()) {
            return false;
        }
        return call(store.isHeld(key.redisKey(), owner), "check");
    }

    @Override
    public boolean extend(Duration duration) {
        LeaseDuration.check("extend duration", duration);
        if (closed.get() || lostFlag.get()) {
            return false;
        }
        boolean extended = call(store.extend(key.redisKey(), owner, duration.toMillis()), "extend");
        if (extended) {
            renewMillis = duration.toMillis();
        } else {
            markLost();
        }
        return extended;
    }

    /** One watchdog renewal; asynchronous, never blocks the watchdog thread. */
    void renew() {
        if (closed.get() || lostFlag.get()) {
            return;
        }
        long millis = renewMillis;
        store.extend(key.redisKey(), owner, millis).whenComplete((extended, failure) -> {
            if (failure != null) {
                LOG.warn("Watchdog could not renew lock '{}' (owner {}), retrying in {} ms: {}", key.name(), owner,
                        Math.max(1, millis / 3), RedisCalls.unavailable(key.name(), "renew", failure).getMessage());
            } else if (!extended && !closed.get() && markLost()) {
                LOG.error("Lock '{}' (owner {}) was lost while held: the watchdog found it expired or taken after {} ms;"
                        + " mutual exclusion may have been broken", key.name(), owner, heldMillis());
            }
        });
    }

    /** @return true for the call that marked the lease lost, false when it already was */
    private boolean markLost() {
        boolean first = lostFlag.compareAndSet(false, true);
        cancelRenewal();
        return first;
    }

    @Override
    public void close() {
        try {
            closeAsync().toCompletableFuture().get(RedisCalls.CALL_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.error("Release of lock '{}' (owner {}) did not finish in time; it frees itself when its lease ends",
                    key.name(), owner);
        }
    }

    @Override
    public CompletionStage<Void> closeAsync() {
        if (!closed.compareAndSet(false, true)) {
            return released;
        }
        cancelRenewal();
        onClose.accept(this);
        long heldMillis = heldMillis();
        store.release(key.redisKey(), owner)
                .orTimeout(RedisCalls.CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((result, failure) -> {
                    try {
                        report(result, failure, heldMillis);
                    } finally {
                        released.complete(null);
                    }
                });
        return released;
    }

    private void report(RedisLockStore.Release result, Throwable failure, long heldMillis) {
        if (failure != null) {
            LOG.error("Could not release lock '{}' (owner {}) after {} ms; it frees itself when its lease of {} ms ends: {}",
                    key.name(), owner, heldMillis, leaseDuration.toMillis(),
                    RedisCalls.unavailable(key.name(), "release", failure).getMessage());
        } else if (result == RedisLockStore.Release.RELEASED) {
            onReleased.accept(key.redisKey());
            LOG.debug("Released lock '{}' (owner {}, token {}) after holding it {} ms", key.name(), owner, token, heldMillis);
        } else {
            LOG.error("Lock '{}' (owner {}, token {}) expired before its release: held {} ms with a lease of {} ms; {}"
                    + " Mutual exclusion may have been broken: protect writes with the fencing token, extend the lease"
                    + " or use the watchdog", key.name(), owner, token, heldMillis, renewMillis,
                    result == RedisLockStore.Release.TAKEN_BY_OTHER
                            ? "another owner holds it now, its lock was left alone." : "nothing was deleted.");
        }
    }

    private void cancelRenewal() {
        Future<?> current = renewal;
        if (current != null) {
            current.cancel(false);
        }
    }

    private long heldMillis() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - acquiredNanos);
    }

    private <T> T call(CompletableFuture<T> call, String operation) {
        try {
            return RedisCalls.await(call, RedisCalls.CALL_TIMEOUT.toNanos(), key.name(), operation);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LockUnavailableException(key.name(), "interrupted while waiting for Redis to " + operation
                    + " lock '" + key.name() + "'", e);
        }
    }

    @Override
    public String toString() {
        return "Lease[key=" + key.name() + ", owner=" + owner + ", token=" + token + ", closed=" + closed.get() + "]";
    }
}
