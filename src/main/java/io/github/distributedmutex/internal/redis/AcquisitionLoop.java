package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.key.LockKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p><b>Replica acknowledgements</b> ({@code distributedmutex.replica-acks}, off by default): attempts are sent as
 * without the policy, and only a grant is followed by a second round trip, a barrier write and {@code WAIT} on one
 * connection ({@link RedisLockStore#acknowledge}, judged by {@link ReplicaAcknowledgements}); refused attempts of a
 * waiter send no {@code WAIT} and block no connection. A grant that does not count (too few acknowledgements, the
 * lock no longer held, the {@code WAIT} on another node) or whose second step Redis refused or did not answer
 * ({@code NOPERM}, {@code TRYAGAIN}, a timeout) is given back at once (owner-checked release, else abandoned) and the
 * acquisition fails with {@link LockUnavailableException} naming the reason, without waiting or trying again: the
 * same lagging replicas or the same error would most likely make the next grant fail too. So does a grant acknowledged
 * with less than a third of its lease left ({@link #minRemainingMillis}), counted from when its attempt was sent, as
 * the lease returned is: its lease may have run out in Redis while the {@code WAIT} blocked, and another instance may
 * hold the lock. (The acknowledgement timeout is at most a third of the lease, {@code ReplicaAcks.checkFits}, so only
 * a slow attempt or a stalled server gets there.) The second step is awaited at most the acknowledgement timeout plus
 * {@link RedisCalls#CALL_TIMEOUT}, and a give-back at most {@link RedisCalls#CALL_TIMEOUT} more.
 */
final class AcquisitionLoop {

    private static final Logger LOG = LoggerFactory.getLogger(AcquisitionLoop.class);

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
    /** Whether a policy asking for more replicas than a master has was logged (once per adapter). */
    private final AtomicBoolean warnedTooFewReplicas = new AtomicBoolean();

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
     * Takes the locks of {@code keys}, all or none, each attempt one script: one key, or several on one node (one
     * Cluster slot, or any keys of a server that is not a cluster). A waiter waits for the key that refused the
     * last attempt; when a later attempt is refused by another key of the set, it registers for that key and
     * tries again at once (registered before the attempt that may fail, as always), passing the wake-up it may
     * have used on to the next local waiter of the key it leaves.
     *
     * @param keys      one key, or several on one node, distinct
     * @param metricName the lock's metric name, kept with its waiter (null when no metrics are recorded)
     * @param owners    a new, unique owner id per call
     * @param deadline  {@link System#nanoTime()} after which no new attempt starts
     * @param stillOpen checked after every wake-up and before every retry; throws when the adapter closed
     * @return the granting attempt, or the last refused one
     * @throws LockUnavailableException when Redis did not answer within the deadline
     * @throws InterruptedException     when the thread was interrupted
     */
    Outcome run(RedisLockStore store, ReleaseNotifications notifications, List<LockKey> keys, String metricName,
                Supplier<String> owners, long leaseMillis, long deadline, Runnable stillOpen)
            throws InterruptedException {
        Tries tries = new Tries(store, notifications, keys, owners, leaseMillis, deadline, stillOpen);
        RedisLockStore.Attempt attempt = tries.attempt(false);
        if (!attempt.acquired() && deadline - System.nanoTime() > 0) {
            RedisCalls.await(notifications.subscription(), atLeastMinimum(deadline), tries.names, "wait for");
            ReleaseNotifications.Waiter waiter = notifications.register(blocker(keys, attempt), metricName);
            try {
                while (true) {
                    attempt = tries.attempt(true);
                    long remaining = deadline - System.nanoTime();
                    if (attempt.acquired() || remaining <= 0) {
                        break;
                    }
                    String blocker = blocker(keys, attempt);
                    if (!blocker.equals(waiter.redisKey())) {
                        waiter.close();
                        notifications.releasedLocally(waiter.redisKey());
                        waiter = notifications.register(blocker, metricName);
                        continue;
                    }
                    waiter.await(sleepNanos(attempt.holderRemainingMillis(), remaining, backstopNanos));
                    stillOpen.run();
                }
            } finally {
                waiter.close();
            }
        }
        return new Outcome(attempt, tries.owner, tries.lastSent);
    }

    /** @return the Redis key of the lock that refused {@code attempt} */
    private static String blocker(List<LockKey> keys, RedisLockStore.Attempt attempt) {
        int blocked = attempt.blocked();
        return keys.get(blocked >= 0 && blocked < keys.size() ? blocked : 0).redisKey();
    }

    /** The attempts of one acquisition. */
    private final class Tries {
        private final RedisLockStore store;
        private final List<LockKey> keys;
        /** The keys' names, for messages. */
        private final String names;
        private final Supplier<String> owners;
        private final long leaseMillis;
        private final long deadline;
        private final Runnable stillOpen;
        private final ReleaseNotifications notifications;
        private String owner;
        private long lastSent;

        Tries(RedisLockStore store, ReleaseNotifications notifications, List<LockKey> keys, Supplier<String> owners,
              long leaseMillis, long deadline, Runnable stillOpen) {
            this.store = store;
            this.notifications = notifications;
            this.keys = keys;
            this.names = AbandonedAttempts.names(keys);
            this.owners = owners;
            this.leaseMillis = leaseMillis;
            this.deadline = deadline;
            this.stillOpen = stillOpen;
            this.owner = owners.get();
        }

        /**
         * One attempt, tried again after failures while the deadline allows. With replica acknowledgements, a grant
         * is then confirmed ({@link #confirm}), or given back and the acquisition failed.
         */
        RedisLockStore.Attempt attempt(boolean markWaiting) throws InterruptedException {
            long retryMillis = FIRST_RETRY_MILLIS;
            while (true) {
                lastSent = System.nanoTime();
                CompletableFuture<RedisLockStore.Attempt> call = store.tryAcquire(keys, owner, leaseMillis, markWaiting,
                        !acks.isOff() && acks.countsReplicas());
                RedisLockStore.Attempt attempt = null;
                try {
                    attempt = RedisCalls.await(call, atLeastMinimum(deadline), names, "acquire");
                } catch (LockUnavailableException e) {
                    if (AbandonedAttempts.isFinal(call)
                            || deadline - System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(retryMillis) <= 0) {
                        throw e;
                    }
                } finally {
                    if (attempt == null && AbandonedAttempts.mayHaveReachedRedis(call)) {
                        abandoned.giveBack(store, keys, owner, leaseMillis);
                        owner = owners.get();
                    }
                }
                if (attempt != null) {
                    if (attempt.acquired() && !acks.isOff()) {
                        confirm(attempt);
                    }
                    return attempt;
                }
                stillOpen.run();
                // a pause before trying a failed call again, not a wait for an event
                TimeUnit.MILLISECONDS.sleep(ThreadLocalRandom.current().nextLong(retryMillis / 2, retryMillis + 1));
                retryMillis = Math.min(retryMillis * 2, MAX_RETRY_MILLIS);
            }
        }

        /**
         * The second step of a grant with replica acknowledgements: returns when enough replicas of the node that
         * holds the grant acknowledged it; otherwise gives the grant back and throws.
         *
         * @throws LockUnavailableException when the grant does not count or Redis refused or did not answer the step
         */
        private void confirm(RedisLockStore.Attempt grant) throws InterruptedException {
            CompletableFuture<RedisLockStore.Acknowledgement> call = store.acknowledge(keys, owner, acks.waitFor(grant),
                    acks.timeoutMillis(), acks.countsReplicas());
            String problem;
            Throwable cause = null;
            try {
                RedisLockStore.Acknowledgement acknowledgement = RedisCalls.await(call, stepTimeoutNanos(), names,
                        "count the replica acknowledgements of");
                if (acks.judge(acknowledgement) == ReplicaAcknowledgements.Verdict.ENOUGH) {
                    long leftNanos = lastSent + TimeUnit.MILLISECONDS.toNanos(leaseMillis) - System.nanoTime();
                    if (leftNanos >= TimeUnit.MILLISECONDS.toNanos(minRemainingMillis(leaseMillis))) {
                        return;
                    }
                    problem = "Lock '" + names + "' was granted and acknowledged by its replicas, but only "
                            + Math.max(0, TimeUnit.NANOSECONDS.toMillis(leftNanos)) + " ms of its lease of "
                            + leaseMillis + " ms were left by then (counted from when the attempt was sent), less"
                            + " than the third of the lease a grant must still have: it may have run out in Redis"
                            + " already, so it was not kept";
                } else {
                    problem = acks.explain(names, acknowledgement);
                    if (acks.fewerThanRequired(acknowledgement) && warnedTooFewReplicas.compareAndSet(false, true)) {
                        LOG.warn("{} but the master that granted lock '{}' has only {} replica(s) connected: every"
                                + " grant on it fails after {} ms until replicas are added or the policy is lowered"
                                + " (logged once)", acks.setting(), names, acknowledgement.connectedReplicas(),
                                acks.timeoutMillis());
                    }
                }
            } catch (LockUnavailableException e) {
                cause = e.getCause();
                problem = "Lock '" + names + "' was granted, but " + (cause == null
                        ? "Redis did not answer the step that counts its replica acknowledgements within "
                                + TimeUnit.NANOSECONDS.toMillis(stepTimeoutNanos()) + " ms"
                        : "Redis could not count its replica acknowledgements: " + RedisCalls.describe(cause));
            } catch (InterruptedException e) {
                abandoned.giveBack(store, keys, owner, leaseMillis);
                owner = owners.get();
                throw e;
            }
            String givenBack = giveBack();
            owner = owners.get();
            throw new LockUnavailableException(keys.get(0).name(), problem + "; " + givenBack + ", and the acquisition is not"
                    + " retried", cause);
        }

        /**
         * The longest the second step is awaited: the {@code WAIT} timeout plus {@link RedisCalls#CALL_TIMEOUT} (for
         * the barrier, a script reload and resend, and the round trips), whatever Redisson's own timeout is.
         */
        private long stepTimeoutNanos() {
            return TimeUnit.MILLISECONDS.toNanos(acks.timeoutMillis()) + RedisCalls.CALL_TIMEOUT.toNanos();
        }

        /**
         * Gives back a grant that does not count: the owner-checked release (nothing left behind,
         * waiters woken), and when its answer does not come, the owner's abandonment, retried until Redis
         * answers ({@link AbandonedAttempts}). The owner id is not used again.
         *
         * @return what became of the grant, for the exception's message
         */
        private String giveBack() throws InterruptedException {
            List<CompletableFuture<RedisLockStore.Release>> releases = new ArrayList<>();
            for (LockKey key : keys) {
                releases.add(store.release(key, owner, 0));
            }
            try {
                boolean released = false;
                for (int i = 0; i < keys.size(); i++) {
                    RedisLockStore.Release result = RedisCalls.await(releases.get(i), RedisCalls.CALL_TIMEOUT.toNanos(),
                            names, "give back");
                    if (result == RedisLockStore.Release.RELEASED) {
                        notifications.releasedLocally(keys.get(i).redisKey());
                        released = true;
                    }
                }
                return released ? "it was given back" : "its lease had already ended";
            } catch (LockUnavailableException | InterruptedException e) {
                abandoned.giveBack(store, keys, owner, leaseMillis);
                if (e instanceof InterruptedException) {
                    throw (InterruptedException) e;
                }
                return "it is given back as soon as Redis answers (at the latest it frees itself when its lease of "
                        + leaseMillis + " ms ends)";
            }
        }
    }

    /**
     * How much of a lease a grant with replica acknowledgements must still have when they came, counted from when its
     * attempt was sent: a third. A grant confirmed later is given back (its lease may have run out in Redis while the
     * {@code WAIT} blocked, or the holder would have too little of it to work with); the watchdog's first renewal is
     * due a third of the lease after the attempt was sent, so it is due at once then ({@link RedisLease}).
     */
    static long minRemainingMillis(long leaseMillis) {
        return leaseMillis / 3;
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
