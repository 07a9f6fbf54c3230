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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A held lock. Ownership is the random owner id stored in Redis, not a thread, so any thread may
 * extend or close it. See {@link Lease} for the contract.
 *
 * <p>It knows locally how long Redis keeps it at least ({@link #expiredLocally()}: measured from
 * when the last successful acquisition or renewal was <em>sent</em>) and whether it was found lost
 * ({@link #isLost()}), so a thread-owned hold is never re-entered after its lease is gone.
 *
 * <p><b>Watchdog.</b> A watchdog lease renews itself every third of its <em>current</em> lease:
 * each renewal schedules the next one, and {@link #extend} reschedules from the new lease. At most
 * one lease-setting call (renewal or extend) is under way at a time; and as long as a call whose
 * answer never came may still land late and set its (possibly shorter) lease, the lease is
 * believed, and renewed, on the shorter of the two. A lease taken through {@code acquire} remembers its thread: when
 * the watchdog finds that thread ended without releasing, it stops renewing and releases the lock.
 *
 * <p>Size: one lease's whole life (renewals, extend, loss, release, shutdown) stays in this one
 * class, because every step reads and changes the same state under the same lock.
 */
final class RedisLease implements Lease {

    private static final Logger LOG = LoggerFactory.getLogger(RedisLease.class);

    private final HeldLeases host;
    private final RedisLockStore store;
    private final LockKey key;
    private final String owner;
    private final long token;
    private final long acquiredNanos;
    private final Thread holderThread;
    private final boolean watchdog;
    /** The minimum hold from acquisition, 0 for none: an earlier release leaves the lock taken until then. */
    private final long holdAtLeastMillis;
    /** The lock's name in metrics; null when the adapter records none. */
    private final String metricName;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean lost = new AtomicBoolean();
    /** Completed on the I/O thread when the release ended; {@link #close()} waits for it. */
    /** Completed when the lease was handed out or given back: its release is reported only after that. */
    private final CompletableFuture<Void> reportable = new CompletableFuture<>();
    /** Set when the lease is given back before anybody got it: its release reports nothing. */
    private volatile boolean neverHandedOut;
    private final CompletableFuture<Void> releaseDone = new CompletableFuture<>();
    /** The stage {@link #closeAsync()} hands out, completed off the I/O threads. */
    private final CompletableFuture<Void> released = new CompletableFuture<>();
    /** Serialises {@link #extend} calls. */
    private final Object extendLock = new Object();
    private volatile long leaseMillis;
    private volatile long validUntilNanos;
    /** Guarded by {@code this}. */
    private Future<?> nextRenewal;
    /** The watchdog's renewal under way, if any; guarded by {@code this}. */
    private CompletableFuture<Boolean> renewalInFlight;
    /** Whether an {@link #extend} is under way (the watchdog then skips); guarded by {@code this}. */
    private boolean extending;
    /** The shortest lease an unanswered lease-setting call may still set, until {@link #staleUntilNanos}; guarded by {@code this}. */
    private long staleFloorMillis = Long.MAX_VALUE;
    /** Guarded by {@code this}. */
    private long staleUntilNanos = System.nanoTime();

    /**
     * @param acquiredNanos     {@link System#nanoTime()} when the granting attempt was sent
     * @param holderThread      the thread that owns this lease through {@code acquire}, null for a {@link Lease}
     * @param holdAtLeastMillis the minimum hold from acquisition, 0 for none
     * @param metricName        the lock's name in metrics, null when the adapter records none
     */
    RedisLease(HeldLeases host, RedisLockStore store, LockKey key, String owner, long token, long leaseMillis,
               long acquiredNanos, boolean watchdog, Thread holderThread, long holdAtLeastMillis, String metricName) {
        this.host = host;
        this.store = store;
        this.key = key;
        this.owner = owner;
        this.token = token;
        this.leaseMillis = leaseMillis;
        this.acquiredNanos = acquiredNanos;
        this.validUntilNanos = acquiredNanos + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
        this.watchdog = watchdog;
        this.holderThread = holderThread;
        this.holdAtLeastMillis = holdAtLeastMillis;
        this.metricName = metricName;
    }

    /**
     * Starts the watchdog of a watchdog lease; called once, after construction. The first renewal is due a third of
     * the lease after the granting attempt was sent (where the lease's validity is counted from), not after the
     * acquisition returned: a grant whose replica acknowledgements took a while is renewed that much sooner, at once
     * when that time has passed.
     */
    void startWatchdog() {
        if (watchdog) {
            long dueNanos = acquiredNanos + TimeUnit.MILLISECONDS.toNanos(leaseMillis / 3);
            scheduleRenewal(TimeUnit.NANOSECONDS.toMillis(dueNanos - System.nanoTime()));
        }
    }

    @Override
    public String key() {
        return key.name();
    }

    LockKey lockKey() {
        return key;
    }

    @Override
    public long fencingToken() {
        return token;
    }

    String owner() {
        return owner;
    }

    /** @return the lock's name in metrics, null when the adapter records none */
    String metricName() {
        return metricName;
    }

    /** @return the thread that owns this lease through {@code acquire}, null for a {@link Lease} */
    Thread holderThread() {
        return holderThread;
    }

    /** @return whether this lease was closed (its release may still be under way) */
    boolean isClosed() {
        return closed.get();
    }

    /** @return whether the library found this lease lost (watchdog, extend or isHeld) */
    boolean isLost() {
        return lost.get();
    }

    /** @return whether the lease has run out by the local clock (its last renewal was sent more than a lease ago) */
    boolean expiredLocally() {
        return System.nanoTime() - validUntilNanos >= 0;
    }

    /** @return the lease left by the local clock, zero when run out */
    Duration remainingLocally() {
        return Duration.ofNanos(Math.max(0, validUntilNanos - System.nanoTime()));
    }

    @Override
    public boolean isHeld() {
        if (closed.get() || lost.get()) {
            return false;
        }
        boolean held = call(store.isHeld(key, owner), "check");
        if (!held && markLost()) {
            reportLost();
        }
        return held;
    }

    @Override
    public boolean extend(Duration duration) {
        LeaseDuration.check("extend duration", duration);
        Extension result;
        synchronized (extendLock) {
            if (closed.get() || lost.get()) {
                return false;
            }
            CompletableFuture<Boolean> renewal;
            synchronized (this) {
                extending = true;
                renewal = renewalInFlight;
            }
            try {
                if (renewal != null) {
                    // let the watchdog's renewal land first, so it cannot overwrite this extension in Redis
                    call(renewal.handle((ignored, failure) -> null), "extend");
                }
                result = extendNow(LeaseDuration.toMillis(duration));
            } finally {
                synchronized (this) {
                    extending = false;
                }
            }
        }
        if (result == Extension.FOUND_LOST) {
            reportLost(); // outside the monitors: a listener never runs under the lease's locks
        }
        return result == Extension.EXTENDED;
    }

    /**
     * For a part of a set not handed out yet: sets its lease back to the whole lease in Redis (owner-checked),
     * without waiting, so that the adapter extends every earlier part of a set in one round trip. The local expiry
     * follows once Redis confirms. Nothing is reported when the lock is found gone: see {@link #discardLost()}.
     *
     * @return completes with true when extended, false when the lock was no longer this lease's
     */
    CompletableFuture<Boolean> refreshAsync() {
        long millis = leaseMillis;
        long sent = System.nanoTime();
        return store.extend(key, owner, millis).thenApply(extended -> {
            if (extended) {
                validUntilNanos = sent + TimeUnit.MILLISECONDS.toNanos(believedMillis(millis));
            }
            return extended;
        });
    }

    /**
     * Forgets a part of a set that {@link #refreshAsync()} found gone before the set was handed out: nothing to
     * release (the lock is not this lease's any more) and nothing to report, since nobody acted under it.
     */
    void discardLost() {
        lost.set(true);
        if (closed.compareAndSet(false, true)) {
            stopRenewing();
            host.closed(this, releaseDone);
            releaseDone.complete(null);
            host.completeOffIoThreads(released);
        }
    }

    /** What {@link #extendNow} found. */
    private enum Extension {
        EXTENDED,
        /** The lease was gone, and this call was the first to find it lost. */
        FOUND_LOST,
        /** The lease was gone, and somebody had found it lost already. */
        ALREADY_LOST
    }

    private Extension extendNow(long millis) {
        long sent = System.nanoTime();
        CompletableFuture<Boolean> extension = store.extend(key, owner, millis);
        boolean extended;
        try {
            extended = call(extension, "extend");
        } catch (LockUnavailableException e) {
            if (AbandonedAttempts.mayHaveReachedRedis(extension)) {
                unanswered(sent, millis);
            }
            host.events().renewal(metricName, LockRecorder.Renewal.FAILED);
            throw e;
        }
        if (!extended) {
            host.events().renewal(metricName, LockRecorder.Renewal.LOST);
            return markLost() ? Extension.FOUND_LOST : Extension.ALREADY_LOST;
        }
        host.events().renewal(metricName, LockRecorder.Renewal.RENEWED);
        leaseMillis = millis;
        long believed = believedMillis(millis);
        validUntilNanos = sent + TimeUnit.MILLISECONDS.toNanos(believed);
        if (watchdog) {
            scheduleRenewal(believed / 3);
        }
        return Extension.EXTENDED;
    }

    /**
     * A lease-setting call whose answer never came may still land in Redis later, and set the lease
     * to {@code millis} from then: for as long as such a call can arrive, the lease is believed to
     * last no longer than {@code millis} after any successful call, and never longer than this call
     * would set it.
     */
    private synchronized void unanswered(long sentNanos, long millis) {
        long now = System.nanoTime();
        staleFloorMillis = now - staleUntilNanos < 0 ? Math.min(staleFloorMillis, millis) : millis;
        staleUntilNanos = now + TimeUnit.MILLISECONDS.toNanos(AbandonedAttempts.MARKER_MIN.toMillis());
        validUntilNanos = Math.min(validUntilNanos, sentNanos + TimeUnit.MILLISECONDS.toNanos(millis));
    }

    /** @return how long a lease just set to {@code millis} is believed to last (see {@link #unanswered}) */
    private synchronized long believedMillis(long millis) {
        return System.nanoTime() - staleUntilNanos < 0 ? Math.min(millis, staleFloorMillis) : millis;
    }

    /** One watchdog renewal: schedules the next one, then renews asynchronously; never blocks the watchdog thread. */
    private void renew() {
        if (closed.get() || lost.get()) {
            return;
        }
        if (holderThread != null && !holderThread.isAlive()) {
            LOG.error("Lock '{}' (owner {}) was taken by thread '{}' through acquire(), and the thread ended without"
                    + " releasing it: the watchdog stopped renewing it and released it", key.name(), owner,
                    holderThread.getName());
            closeAsync();
            return;
        }
        long millis = leaseMillis;
        long sent = System.nanoTime();
        CompletableFuture<Boolean> renewal;
        synchronized (this) {
            scheduleRenewal(believedMillis(millis) / 3);
            if (extending) {
                return; // the extend under way sets the lease and reschedules
            }
            renewal = store.extend(key, owner, millis);
            renewalInFlight = renewal;
        }
        renewal.whenComplete((extended, failure) -> {
            synchronized (this) {
                if (renewalInFlight == renewal) {
                    renewalInFlight = null;
                }
            }
            if (failure != null) {
                if (AbandonedAttempts.mayHaveReachedRedis(failure)) {
                    unanswered(sent, millis);
                }
                LOG.warn("Watchdog could not renew lock '{}' (owner {}), retrying in {} ms: {}", key.name(), owner,
                        Math.max(1, millis / 3), RedisCalls.unavailable(key.name(), "renew", failure).getMessage());
                host.events().renewal(metricName, LockRecorder.Renewal.FAILED);
            } else if (extended) {
                validUntilNanos = sent + TimeUnit.MILLISECONDS.toNanos(believedMillis(millis));
                host.events().renewal(metricName, LockRecorder.Renewal.RENEWED);
            } else if (!closed.get() && markLost()) {
                host.events().renewal(metricName, LockRecorder.Renewal.LOST);
                LOG.error("Lock '{}' (owner {}) was lost while held: the watchdog found it expired or taken after {} ms;"
                        + " mutual exclusion may have been broken", key.name(), owner, heldMillis());
                reportLost();
            }
        });
    }

    private synchronized void scheduleRenewal(long delayMillis) {
        if (nextRenewal != null) {
            nextRenewal.cancel(false);
        }
        nextRenewal = closed.get() || lost.get() ? null : host.timers().schedule(this::renew, Math.max(1, delayMillis));
    }

    private synchronized void stopRenewing() {
        if (nextRenewal != null) {
            nextRenewal.cancel(false);
            nextRenewal = null;
        }
    }

    /** Tells the adapter's listener that this lease was found lost; call once, after {@link #markLost()} returned true. */
    private void reportLost() {
        host.events().lost(key, metricName, owner, token, heldNanos());
    }

    /** @return true for the call that marked the lease lost, false when it already was */
    private boolean markLost() {
        boolean first = lost.compareAndSet(false, true);
        stopRenewing();
        return first;
    }

    /**
     * At shutdown, for a holder that may still be running: stop renewing, delete nothing. The lock
     * expires within its lease, exactly as after a crash; the holder may still close the lease.
     */
    void leaveToExpire() {
        stopRenewing();
    }

    @Override
    public void close() {
        closeAndWait(holdAtLeastMillis);
    }

    @Override
    public void closeNow() {
        closeAndWait(0);
    }

    private void closeAndWait(long holdMillis) {
        closeAsync(holdMillis);
        try {
            // the Redis reply, not the stage handed to the application: that one waits for an executor thread
            releaseDone.get(RedisCalls.CALL_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.error("Release of lock '{}' (owner {}) did not finish in time; it frees itself when its lease ends",
                    key.name(), owner);
        }
    }

    @Override
    public CompletionStage<Void> closeAsync() {
        return closeAsync(holdAtLeastMillis);
    }

    @Override
    public CompletionStage<Void> closeNowAsync() {
        return closeAsync(0);
    }

    /**
     * Releases a lease that was never handed out (its acquisition failed or was cancelled), at once, without its
     * minimum hold, and without reporting a release, a hold or a loss: nobody held it.
     *
     * @return completes when the release ended in Redis (on an I/O thread, or at its timeout); never fails
     */
    CompletableFuture<Void> giveBackAsync() {
        neverHandedOut = true;
        reportable.complete(null);
        closeAsync(0);
        return releaseDone;
    }

    /** @param holdMillis the minimum hold this release keeps: {@code holdAtLeastMillis}, or 0 to free at once */
    private CompletionStage<Void> closeAsync(long holdMillis) {
        if (!closed.compareAndSet(false, true)) {
            return released;
        }
        stopRenewing();
        host.closed(this, releaseDone);
        long heldNanos = heldNanos();
        store.release(key, owner, holdMillis)
                .orTimeout(RedisCalls.CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((result, failure) -> {
                    try {
                        if (failure == null && result == RedisLockStore.Release.RELEASED) {
                            host.released(key.redisKey()); // local waiters are woken at once
                        }
                        // reported once the acquisition reported the lease handed out: never Released before its
                        // Acquired (a caller that releases in the stage's own continuation gets here first)
                        reportable.thenRun(() -> report(result, failure, heldNanos));
                    } finally {
                        releaseDone.complete(null);
                        // the reply arrives on a Redisson I/O thread: never run the caller's continuations there
                        host.completeOffIoThreads(released);
                    }
                });
        return released;
    }

    /**
     * The acquisition reported this lease handed out to its caller (its {@code Acquired} event): from now on its
     * release is reported. A release that came before (the caller got the lease and released it while the
     * acquisition was still reporting) is reported now, after it.
     */
    void handedOut() {
        reportable.complete(null);
    }

    private void report(RedisLockStore.Release result, Throwable failure, long heldNanos) {
        long heldMillis = TimeUnit.NANOSECONDS.toMillis(heldNanos);
        if (neverHandedOut) {
            LOG.debug("Gave back lock '{}' (owner {}, token {}), never handed out: {}", key.name(), owner, token,
                    failure == null ? result : RedisCalls.summarize(failure));
            return;
        }
        if (failure != null && host.isClosed()) {
            LOG.warn("Lock '{}' (owner {}) was closed after its adapter shut down and could not be released: {}; it"
                    + " frees itself when its lease ends", key.name(), owner,
                    RedisCalls.unavailable(key.name(), "release", failure).getMessage());
        } else if (failure != null) {
            LOG.error("Could not release lock '{}' (owner {}) after {} ms (the release may or may not have reached"
                    + " Redis); if it did not, the lock frees itself when its lease of {} ms ends: {}", key.name(), owner,
                    heldMillis, leaseMillis, RedisCalls.unavailable(key.name(), "release", failure).getMessage());
            host.events().releaseFailed(metricName, LockRecorder.Release.FAILED, heldNanos);
        } else if (result == RedisLockStore.Release.RELEASED || result == RedisLockStore.Release.RELEASED_TO_QUEUE) {
            LOG.debug("Released lock '{}' (owner {}, token {}) after holding it {} ms", key.name(), owner, token, heldMillis);
            host.events().released(key, metricName, owner, token, heldNanos);
        } else if (result == RedisLockStore.Release.RELEASED_HELD) {
            // not free yet: local waiters are not woken, they find it free when its minimum hold has passed
            LOG.debug("Released lock '{}' (owner {}, token {}) after holding it {} ms; it stays taken until {} ms after"
                    + " its acquisition (holdAtLeast)", key.name(), owner, token, heldMillis, holdAtLeastMillis);
            host.events().released(key, metricName, owner, token, heldNanos);
        } else {
            LOG.error("Lock '{}' (owner {}, token {}) expired before its release: held {} ms with a lease of {} ms; {}"
                    + " Mutual exclusion may have been broken: protect writes with the fencing token, extend the lease"
                    + " or use the watchdog", key.name(), owner, token, heldMillis, leaseMillis,
                    result == RedisLockStore.Release.TAKEN_BY_OTHER
                            ? "another owner holds it now, its lock was left alone." : "nothing was deleted.");
            host.events().releaseFailed(metricName, LockRecorder.Release.LOST, heldNanos);
            if (markLost()) {
                host.events().lost(key, metricName, owner, token, heldNanos);
            }
        }
    }

    private long heldMillis() {
        return TimeUnit.NANOSECONDS.toMillis(heldNanos());
    }

    private long heldNanos() {
        return System.nanoTime() - acquiredNanos;
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
