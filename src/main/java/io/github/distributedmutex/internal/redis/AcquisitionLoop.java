package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.LockUnavailableException;
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
 * notification), whichever is first, never beyond its deadline. Every attempt of one acquisition
 * uses the same owner id.
 *
 * <p><b>Failed attempts.</b> Redisson does not resend the library's scripts; this loop does,
 * within the caller's deadline (with backoff from {@link #FIRST_RETRY_MILLIS} to
 * {@link #MAX_RETRY_MILLIS}), so an acquisition rides through a failover or a dropped connection.
 * That is safe because an attempt may reach Redis late or twice without harm: ACQUIRE by the owner
 * that holds the lock answers with that grant, and once any attempt's outcome was unknown
 * ("uncertain": it may have reached Redis unanswered),
 * <ul>
 *   <li>an acquisition that ends without a grant gives its owner back ({@link AbandonedAttempts}),
 *       which deletes a late grant or refuses a later delivery;</li>
 *   <li>a granted one is timed from its first uncertain attempt (Redis may have granted that one),
 *       and its release leaves the same refusal marker, so a delivery after the release cannot
 *       grant a lock nobody holds.</li>
 * </ul>
 */
final class AcquisitionLoop {

    /** The first pause before a failed attempt is tried again. */
    static final long FIRST_RETRY_MILLIS = 50;

    /** The longest pause between tries of a failed attempt. */
    static final long MAX_RETRY_MILLIS = 1_000;

    /**
     * What the acquisition ended with.
     *
     * @param sentNanos when the lease may have started: the granting attempt was sent then, or an
     *                  earlier uncertain one
     * @param uncertain whether an attempt may have reached Redis unanswered (the release must then
     *                  refuse late deliveries)
     */
    record Outcome(RedisLockStore.Attempt attempt, long sentNanos, boolean uncertain) {
    }

    private final AbandonedAttempts abandoned;
    private final long backstopNanos;

    /**
     * @param abandoned     where acquisitions with uncertain attempts are given back
     * @param backstopNanos the longest a waiter sleeps without re-checking
     */
    AcquisitionLoop(AbandonedAttempts abandoned, long backstopNanos) {
        this.abandoned = abandoned;
        this.backstopNanos = backstopNanos;
    }

    /**
     * @param deadline  {@link System#nanoTime()} after which no new attempt starts
     * @param stillOpen checked after every wake-up; throws when the adapter closed
     * @return the granting attempt, or the last refused one
     * @throws LockUnavailableException when Redis did not answer within the deadline
     * @throws InterruptedException     when the thread was interrupted
     */
    Outcome run(RedisLockStore store, ReleaseNotifications notifications, LockKey key, String owner,
                long leaseMillis, long deadline, Runnable stillOpen) throws InterruptedException {
        Tries tries = new Tries(store, key, owner, leaseMillis, deadline);
        boolean granted = false;
        try {
            RedisLockStore.Attempt attempt = tries.attempt(false);
            if (!attempt.acquired() && deadline - System.nanoTime() > 0) {
                RedisCalls.await(notifications.subscription(), atLeastMinimum(deadline), key.name(), "wait for");
                try (ReleaseNotifications.Waiter waiter = notifications.register(key.redisKey())) {
                    while (true) {
                        attempt = tries.attempt(true);
                        long remaining = deadline - System.nanoTime();
                        if (attempt.acquired() || remaining <= 0) {
                            break;
                        }
                        waiter.await(sleepNanos(attempt.holderRemainingMillis(), remaining, backstopNanos));
                        stillOpen.run();
                    }
                }
            }
            granted = attempt.acquired();
            return new Outcome(attempt, tries.leaseStart(), tries.uncertain);
        } finally {
            if (!granted && tries.uncertain) {
                abandoned.giveBack(store, key, owner, leaseMillis);
            }
        }
    }

    /** The attempts of one acquisition, and what is known about those whose answer never came. */
    private static final class Tries {
        private final RedisLockStore store;
        private final LockKey key;
        private final String owner;
        private final long leaseMillis;
        private final long deadline;
        private boolean uncertain;
        private long firstUncertainSent;
        private long lastSent;

        Tries(RedisLockStore store, LockKey key, String owner, long leaseMillis, long deadline) {
            this.store = store;
            this.key = key;
            this.owner = owner;
            this.leaseMillis = leaseMillis;
            this.deadline = deadline;
        }

        /** One attempt, tried again after failures while the deadline allows. */
        RedisLockStore.Attempt attempt(boolean markWaiting) throws InterruptedException {
            long retryMillis = FIRST_RETRY_MILLIS;
            while (true) {
                lastSent = System.nanoTime();
                CompletableFuture<RedisLockStore.Attempt> call = store.tryAcquire(key, owner, leaseMillis, markWaiting);
                boolean answered = false;
                try {
                    RedisLockStore.Attempt attempt = RedisCalls.await(call, atLeastMinimum(deadline), key.name(),
                            "acquire");
                    answered = true;
                    return attempt;
                } catch (LockUnavailableException e) {
                    if (deadline - System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(retryMillis) <= 0) {
                        throw e;
                    }
                } finally {
                    if (!answered && AbandonedAttempts.mayHaveReachedRedis(call)) {
                        markUncertain();
                    }
                }
                TimeUnit.MILLISECONDS.sleep(retryMillis); // a pause before trying a failed call again, not a wait for an event
                retryMillis = Math.min(retryMillis * 2, MAX_RETRY_MILLIS);
            }
        }

        private void markUncertain() {
            if (!uncertain) {
                uncertain = true;
                firstUncertainSent = lastSent;
            }
        }

        /** @return the earliest the granted lease may have started */
        long leaseStart() {
            return uncertain ? firstUncertainSent : lastSent;
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
