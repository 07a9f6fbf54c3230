package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.internal.key.LockKey;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One acquisition, from the first attempt to a grant or the deadline (what Curator's
 * {@code LockInternals} is to its {@code InterProcessMutex}).
 *
 * <p>One attempt; on contention the caller registers for release notifications, tries again
 * (marking the lock as waited for, so its release is published) and then sleeps until it is woken
 * by a release, the holder's lease runs out, or the backstop passes (a safety net against a lost
 * notification), whichever is first, never beyond its deadline. An attempt whose answer the caller
 * did not get is given back ({@link AbandonedAttempts}). Every attempt of one acquisition uses the
 * same owner id.
 */
final class AcquisitionLoop {

    /** What the acquisition ended with. */
    record Outcome(RedisLockStore.Attempt attempt, long sentNanos) {
    }

    private final AbandonedAttempts abandoned;
    private final long backstopNanos;

    /**
     * @param abandoned     where unanswered attempts are given back
     * @param backstopNanos the longest a waiter sleeps without re-checking
     */
    AcquisitionLoop(AbandonedAttempts abandoned, long backstopNanos) {
        this.abandoned = abandoned;
        this.backstopNanos = backstopNanos;
    }

    /**
     * @param deadline   {@link System#nanoTime()} after which no new attempt starts
     * @param stillOpen  checked after every wake-up; throws when the adapter closed
     * @return the granting attempt (with when it was sent), or the last refused one
     * @throws io.github.distributedmutex.LockUnavailableException when Redis did not answer an attempt
     * @throws InterruptedException                                when the thread was interrupted
     */
    Outcome run(RedisLockStore store, ReleaseNotifications notifications, LockKey key, String owner,
                long leaseMillis, long deadline, Runnable stillOpen) throws InterruptedException {
        long sent = System.nanoTime();
        RedisLockStore.Attempt attempt = attempt(store, key, owner, leaseMillis, false, deadline);
        if (attempt.acquired() || deadline - System.nanoTime() <= 0) {
            return new Outcome(attempt, sent);
        }
        RedisCalls.await(notifications.subscription(), atLeastMinimum(deadline), key.name(), "wait for");
        try (ReleaseNotifications.Waiter waiter = notifications.register(key.redisKey())) {
            while (true) {
                sent = System.nanoTime();
                attempt = attempt(store, key, owner, leaseMillis, true, deadline);
                long remaining = deadline - System.nanoTime();
                if (attempt.acquired() || remaining <= 0) {
                    return new Outcome(attempt, sent);
                }
                waiter.await(sleepNanos(attempt.holderRemainingMillis(), remaining, backstopNanos));
                stillOpen.run();
            }
        }
    }

    private RedisLockStore.Attempt attempt(RedisLockStore store, LockKey key, String owner, long leaseMillis,
                                           boolean markWaiting, long deadline) throws InterruptedException {
        CompletableFuture<RedisLockStore.Attempt> call = store.tryAcquire(key, owner, leaseMillis, markWaiting);
        boolean answered = false;
        try {
            RedisLockStore.Attempt attempt = RedisCalls.await(call, atLeastMinimum(deadline), key.name(), "acquire");
            answered = true;
            return attempt;
        } finally {
            if (!answered) {
                abandoned.giveBack(store, call, key, owner, leaseMillis);
            }
        }
    }

    /** A Redis call of an acquisition may wait until the deadline, but at least {@link RedisCalls#MIN_ATTEMPT_TIME}. */
    private static long atLeastMinimum(long deadline) {
        return Math.max(deadline - System.nanoTime(), RedisCalls.MIN_ATTEMPT_TIME.toNanos());
    }

    /**
     * How long a waiter sleeps before it tries again: until it is woken, at most until just after
     * the holder's lease ends (in case it died without releasing: a lease with 0 ms left means
     * "try again at once"), its own deadline, or the backstop.
     *
     * @param holderRemainingMillis the holder's remaining lease as the attempt saw it; negative when unknown
     */
    static long sleepNanos(long holderRemainingMillis, long remainingNanos, long backstopNanos) {
        long sleep = Math.min(remainingNanos, backstopNanos);
        if (holderRemainingMillis >= 0) {
            sleep = Math.min(sleep, TimeUnit.MILLISECONDS.toNanos(holderRemainingMillis + 1));
        }
        return sleep;
    }
}
