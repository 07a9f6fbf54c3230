package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.key.LockKey;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One acquisition, from the first attempt to a grant or the deadline (what Curator's
 * {@code LockInternals} is to its {@code InterProcessMutex}).
 *
 * <p>One attempt; on contention the caller registers for release notifications, tries again
 * (marking the lock as waited for, so its release is published) and then sleeps until it is woken
 * by a release, the holder's lease runs out, or the backstop passes (a safety net against a lost
 * notification), whichever is first, never beyond its deadline.
 *
 * <p><b>Failed attempts.</b> Redisson does not resend the library's scripts; this loop tries a
 * failed attempt again itself, within the caller's deadline (pauses from
 * {@link #FIRST_RETRY_MILLIS} doubling to {@link #MAX_RETRY_MILLIS}, with jitter), so an
 * acquisition rides through a failover or a dropped connection. Every owner id has at most one
 * attempt whose answer never came: once an attempt may have reached Redis unanswered, its owner is
 * given back at once ({@link AbandonedAttempts}: its grant, if any, is deleted, and its refusal
 * marker makes a later delivery fail), and the next attempt uses a new owner id. So a grant always
 * belongs to an owner all of whose attempts were answered, and its lease is timed from the
 * attempt that won. A failure that proves the script never ran (no connection, a cluster
 * redirect or "try again") needs no give-back.
 *
 * <p><b>Replica acknowledgements</b> ({@code distributedmutex.replica-acks}, off by default): every
 * attempt goes out with a {@code WAIT} on the same connection ({@link ReplicaAcknowledgements}); a grant
 * that too few replicas acknowledged is given back at once (owner-checked release, else abandoned) and the
 * acquisition fails with {@link LockUnavailableException}, without waiting or trying again: the same
 * lagging replicas would most likely make the next grant fail too, each after the whole acknowledgement
 * timeout. A refused attempt's acknowledgements mean nothing and are ignored.
 */
final class AcquisitionLoop {

    /** The first pause before a failed attempt is tried again. */
    static final long FIRST_RETRY_MILLIS = 50;

    /** The longest pause between tries of a failed attempt. */
    static final long MAX_RETRY_MILLIS = 1_000;

    /**
     * What the acquisition ended with.
     *
     * @param owner     the owner id of the last attempt (the holder's, when granted)
     * @param sentNanos when the last attempt was sent
     */
    record Outcome(RedisLockStore.Attempt attempt, String owner, long sentNanos) {
    }

    private final AbandonedAttempts abandoned;
    private final long backstopNanos;
    private final ReplicaAcknowledgements acks;

    /**
     * @param abandoned     where owners of attempts whose answer never came are given back
     * @param backstopNanos the longest a waiter sleeps without re-checking
     * @param acks          how many replicas must acknowledge a grant (off: none, and no {@code WAIT} is sent)
     */
    AcquisitionLoop(AbandonedAttempts abandoned, long backstopNanos, ReplicaAcknowledgements acks) {
        this.abandoned = abandoned;
        this.backstopNanos = backstopNanos;
        this.acks = acks;
    }

    /**
     * @param metricName the lock's metric name, kept with its waiter (null when no metrics are recorded)
     * @param owners    a new, unique owner id per call
     * @param deadline  {@link System#nanoTime()} after which no new attempt starts
     * @param stillOpen checked after every wake-up and before every retry; throws when the adapter closed
     * @return the granting attempt, or the last refused one
     * @throws LockUnavailableException when Redis did not answer within the deadline
     * @throws InterruptedException     when the thread was interrupted
     */
    Outcome run(RedisLockStore store, ReleaseNotifications notifications, LockKey key, String metricName,
                Supplier<String> owners, long leaseMillis, long deadline, Runnable stillOpen) throws InterruptedException {
        Tries tries = new Tries(store, notifications, key, owners, leaseMillis, deadline, stillOpen);
        RedisLockStore.Attempt attempt = tries.attempt(false);
        if (!attempt.acquired() && deadline - System.nanoTime() > 0) {
            RedisCalls.await(notifications.subscription(), atLeastMinimum(deadline), key.name(), "wait for");
            try (ReleaseNotifications.Waiter waiter = notifications.register(key.redisKey(), metricName)) {
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
        return new Outcome(attempt, tries.owner, tries.lastSent);
    }

    /** The attempts of one acquisition. */
    private final class Tries {
        private final RedisLockStore store;
        private final LockKey key;
        private final Supplier<String> owners;
        private final long leaseMillis;
        private final long deadline;
        private final Runnable stillOpen;
        private final ReleaseNotifications notifications;
        private String owner;
        private long lastSent;

        Tries(RedisLockStore store, ReleaseNotifications notifications, LockKey key, Supplier<String> owners,
              long leaseMillis, long deadline, Runnable stillOpen) {
            this.store = store;
            this.notifications = notifications;
            this.key = key;
            this.owners = owners;
            this.leaseMillis = leaseMillis;
            this.deadline = deadline;
            this.stillOpen = stillOpen;
            this.owner = owners.get();
        }

        /**
         * One attempt, tried again after failures while the deadline allows. With replica
         * acknowledgements, a grant too few replicas acknowledged is given back and fails the
         * acquisition ({@code all}: asked once more first when more replicas were connected than the
         * {@code WAIT} asked for).
         */
        RedisLockStore.Attempt attempt(boolean markWaiting) throws InterruptedException {
            long retryMillis = FIRST_RETRY_MILLIS;
            boolean askedAgain = false;
            while (true) {
                lastSent = System.nanoTime();
                int askedFor = acks.isOff() ? 0 : acks.waitFor();
                CompletableFuture<RedisLockStore.Attempt> call = acks.isOff()
                        ? store.tryAcquire(key, owner, leaseMillis, markWaiting)
                        : store.tryAcquire(key, owner, leaseMillis, markWaiting, askedFor, acks.timeoutMillis(),
                                acks.countsReplicas());
                RedisLockStore.Attempt attempt = null;
                try {
                    attempt = RedisCalls.await(call, atLeastMinimum(deadline) + acks.extraAttemptNanos(), key.name(),
                            "acquire");
                } catch (LockUnavailableException e) {
                    if (AbandonedAttempts.isFinal(call)
                            || deadline - System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(retryMillis) <= 0) {
                        throw e;
                    }
                } finally {
                    if (attempt == null && AbandonedAttempts.mayHaveReachedRedis(call)) {
                        abandoned.giveBack(store, key, owner, leaseMillis);
                        owner = owners.get();
                    }
                }
                if (attempt != null) {
                    if (!attempt.acquired() || acks.isOff()) {
                        return attempt;
                    }
                    ReplicaAcknowledgements.Verdict verdict = acks.judge(attempt, askedFor);
                    if (verdict == ReplicaAcknowledgements.Verdict.ENOUGH) {
                        return attempt;
                    }
                    String givenBack = giveBack();
                    owner = owners.get();
                    if (verdict == ReplicaAcknowledgements.Verdict.ASK_AGAIN && !askedAgain) {
                        askedAgain = true;
                        continue;
                    }
                    throw new LockUnavailableException(key.name(), acks.tooFew(key.name(), attempt) + "; " + givenBack,
                            null);
                }
                stillOpen.run();
                // a pause before trying a failed call again, not a wait for an event
                TimeUnit.MILLISECONDS.sleep(ThreadLocalRandom.current().nextLong(retryMillis / 2, retryMillis + 1));
                retryMillis = Math.min(retryMillis * 2, MAX_RETRY_MILLIS);
            }
        }

        /**
         * Gives back a grant too few replicas acknowledged: the owner-checked release (nothing left behind,
         * waiters woken), and when its answer does not come, the owner's abandonment, retried until Redis
         * answers ({@link AbandonedAttempts}). The owner id is not used again.
         *
         * @return what became of the grant, for the exception's message
         */
        private String giveBack() throws InterruptedException {
            CompletableFuture<RedisLockStore.Release> release = store.release(key, owner, 0);
            try {
                RedisLockStore.Release result = RedisCalls.await(release, RedisCalls.CALL_TIMEOUT.toNanos(), key.name(),
                        "give back");
                if (result == RedisLockStore.Release.RELEASED) {
                    notifications.releasedLocally(key.redisKey());
                    return "it was given back";
                }
                return "its lease had already ended";
            } catch (LockUnavailableException | InterruptedException e) {
                abandoned.giveBack(store, key, owner, leaseMillis);
                if (e instanceof InterruptedException) {
                    throw (InterruptedException) e;
                }
                return "it is given back as soon as Redis answers (at the latest it frees itself when its lease of "
                        + leaseMillis + " ms ends)";
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
