package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.key.LockKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One acquisition, from the first attempt to a grant or the deadline (what Curator's
 * {@code LockInternals} is to its {@code InterProcessMutex}), without holding a thread: every step is a
 * continuation of a Redis answer, a wake-up or a timer ({@link Timers}), and none of them blocks, so it may run on
 * Redisson's I/O threads. A blocking caller waits for its stage; {@link Cancellation} ends it early.
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
     * With fair hand-off, the longest a queued waiter sleeps between attempts, whatever the backstop: each attempt
     * renews its queue entry, which lives {@link RedisLockStore#ENTRY_TTL_MILLIS} unrenewed.
     */
    static final long QUEUED_SLEEP_MILLIS = 1_000;

    /**
     * What the acquisition ended with.
     *
     * @param owner     the owner id of the last attempt (the holder's, when granted)
     * @param sentNanos when the last attempt was sent
     */
    record Outcome(RedisLockStore.Attempt attempt, String owner, long sentNanos) {
    }

    /**
     * Ends an acquisition early (an interrupted caller, a cancelled stage): a sleeping waiter wakes, an attempt whose
     * answer has not come is given back ({@link AbandonedAttempts}) and its answer ignored, and the run's stage fails
     * with {@link CancellationException}. A grant already answered is the run's result: its caller gives it back.
     * One per call, shared by the runs of its groups. Thread-safe.
     */
    static final class Cancellation {
        private volatile boolean cancelled;
        private Runnable onCancel;

        /** Cancels; later calls do nothing. */
        void cancel() {
            Runnable action;
            synchronized (this) {
                if (cancelled) {
                    return;
                }
                cancelled = true;
                action = onCancel;
            }
            if (action != null) {
                action.run();
            }
        }

        boolean isCancelled() {
            return cancelled;
        }

        /** Sets what {@link #cancel()} does for the run under way (runs it at once when already cancelled). */
        private void onCancel(Runnable action) {
            synchronized (this) {
                onCancel = action;
                if (!cancelled) {
                    return;
                }
            }
            action.run();
        }
    }

    private final AbandonedAttempts abandoned;
    private final long backstopNanos;
    private final ReplicaAcknowledgements acks;
    private final Timers timers;
    /** Whether a policy asking for more replicas than a master has was logged (once per adapter). */
    private final AtomicBoolean warnedTooFewReplicas = new AtomicBoolean();

    /**
     * @param abandoned     where owners of attempts whose answer never came are given back
     * @param backstopNanos the longest a waiter sleeps without re-checking
     * @param acks          how many replicas must acknowledge a grant (off: none, and no {@code WAIT} is sent)
     * @param timers        the clock of waits, retry pauses and answer timeouts
     */
    AcquisitionLoop(AbandonedAttempts abandoned, long backstopNanos, ReplicaAcknowledgements acks, Timers timers) {
        this.abandoned = abandoned;
        this.backstopNanos = backstopNanos;
        this.acks = acks;
        this.timers = timers;
    }

    /**
     * Takes the locks of {@code keys}, all or none, each attempt one script: one key, or several on one node (one
     * Cluster slot, or any keys of a server that is not a cluster). A waiter waits for the key that refused the
     * last attempt; when a later attempt is refused by another key of the set, it registers for that key and
     * tries again at once (registered before the attempt that may fail, as always), passing the wake-up it may
     * have used on to the next local waiter of the key it leaves.
     *
     * @param keys         one key, or several on one node, distinct
     * @param metricName   the lock's metric name, kept with its waiter (null when no metrics are recorded)
     * @param owners       a new, unique owner id per call
     * @param deadline     {@link System#nanoTime()} after which no new attempt starts
     * @param stillOpen    checked after every wake-up and before every retry; throws when the adapter closed
     * @param cancellation ends the run early
     * @return completes with the granting attempt, or the last refused one; fails with
     *         {@link LockUnavailableException} when Redis did not answer within the deadline, with
     *         {@link CancellationException} when cancelled, or with what {@code stillOpen} threw. Completes on the
     *         thread of an answer, a wake-up or a timer: its dependents must not block
     */
    CompletableFuture<Outcome> run(RedisLockStore store, ReleaseNotifications notifications, List<LockKey> keys,
                                   String metricName, Supplier<String> owners, long leaseMillis, long deadline,
                                   Runnable stillOpen, Cancellation cancellation) {
        Run run = new Run(store, notifications, keys, metricName, owners, leaseMillis, deadline, stillOpen,
                cancellation);
        cancellation.onCancel(run::cancelled);
        run.send(FIRST_RETRY_MILLIS);
        return run.result;
    }

    /** @return the Redis key of the lock that refused {@code attempt} */
    private static String blocker(List<LockKey> keys, RedisLockStore.Attempt attempt) {
        int blocked = attempt.blocked();
        return keys.get(blocked >= 0 && blocked < keys.size() ? blocked : 0).redisKey();
    }

    /** One run: its attempts, its waiter, its result. */
    private final class Run {
        private final RedisLockStore store;
        private final ReleaseNotifications notifications;
        private final List<LockKey> keys;
        /** The keys' names, for messages. */
        private final String names;
        private final String metricName;
        private final Supplier<String> owners;
        private final long leaseMillis;
        private final long deadline;
        private final Runnable stillOpen;
        private final Cancellation cancellation;
        private final CompletableFuture<Outcome> result = new CompletableFuture<>();
        /** The owner id of the next attempt. Guarded by {@code this}. */
        private String owner;
        /**
         * The owner id of the attempt whose answer is awaited, or of a grant whose replica acknowledgements are, null
         * when none is: a cancel gives it back. Guarded by {@code this}.
         */
        private String unanswered;
        private volatile long lastSent;
        /** The bounded stage of the Redis call whose answer is awaited: a cancel cancels it (and its timer). */
        private volatile CompletableFuture<?> awaited;
        /** The pause before a failed attempt is tried again: a cancel ends it. */
        private volatile Future<?> pausing;
        /** Registered after the first refused attempt; null before. */
        private volatile ReleaseNotifications.Waiter waiter;
        /** Whether the attempts queue in Redis (fair hand-off, one key). */
        private final boolean queues;
        /**
         * The owner id whose entry may be in the Redis queue (an attempt of it marked as waiting was sent), null when
         * none may be: a run that ends without the lock takes it out ({@link AbandonedAttempts#leave}). Guarded by
         * {@code this}.
         */
        private String enqueued;

        Run(RedisLockStore store, ReleaseNotifications notifications, List<LockKey> keys, String metricName,
            Supplier<String> owners, long leaseMillis, long deadline, Runnable stillOpen, Cancellation cancellation) {
            this.store = store;
            this.notifications = notifications;
            this.keys = keys;
            this.names = AbandonedAttempts.names(keys);
            this.metricName = metricName;
            this.owners = owners;
            this.leaseMillis = leaseMillis;
            this.deadline = deadline;
            this.stillOpen = stillOpen;
            this.cancellation = cancellation;
            this.owner = owners.get();
            this.queues = store.queues(keys);
        }

        /**
         * Sends one attempt (marking the lock as waited for once the run waits); a failed one is tried again after
         * a pause while the deadline allows. With replica acknowledgements, a grant is then confirmed
         * ({@link #confirm}), or given back and the run failed.
         */
        void send(long retryMillis) {
            if (stopped()) {
                return;
            }
            String sending;
            synchronized (this) {
                sending = owner;
                unanswered = owner;
                lastSent = System.nanoTime();
                if (queues && waiter != null) {
                    enqueued = owner;
                }
            }
            CompletableFuture<RedisLockStore.Attempt> call;
            try {
                call = store.tryAcquire(keys, sending, leaseMillis, waiter != null, !acks.isOff() && acks.countsReplicas());
            } catch (RuntimeException e) {
                call = CompletableFuture.failedFuture(e); // Redisson may fail synchronously while it cannot connect
            }
            CompletableFuture<RedisLockStore.Attempt> sent = call;
            CompletableFuture<RedisLockStore.Attempt> answer = RedisCalls.within(call, atLeastMinimum(deadline), names,
                    "acquire", timers);
            awaited = answer;
            answer.whenComplete((attempt, failure) -> answered(sent, sending, attempt, failure, retryMillis));
        }

        private void answered(CompletableFuture<RedisLockStore.Attempt> call, String sending,
                              RedisLockStore.Attempt attempt, Throwable failure, long retryMillis) {
            boolean toConfirm = failure == null && attempt.acquired() && !acks.isOff();
            synchronized (this) {
                if (unanswered == null) {
                    return; // cancelled meanwhile: its owner was given back, whatever the answer
                }
                if (!toConfirm) {
                    unanswered = null; // a grant still to be confirmed stays the cancel's to give back
                }
                if (failure != null && AbandonedAttempts.mayHaveReachedRedis(call)) {
                    abandoned.giveBack(store, keys, sending, leaseMillis); // its queue entry too
                    newOwner(sending);
                }
                if (failure == null && attempt.acquired()) {
                    enqueued = null; // taking the lock took the entry out
                }
            }
            if (failure == null) {
                if (toConfirm) {
                    confirm(attempt);
                } else {
                    attempted(attempt);
                }
                return;
            }
            if (AbandonedAttempts.isFinal(call)
                    || deadline - System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(retryMillis) <= 0) {
                fail(failure);
                return;
            }
            // a pause before trying a failed call again (at once when the clock stops: the next step finds it closed)
            long pause = ThreadLocalRandom.current().nextLong(retryMillis / 2, retryMillis + 1);
            long next = Math.min(retryMillis * 2, MAX_RETRY_MILLIS);
            pausing = timers.scheduleEnd(() -> send(next), pause, TimeUnit.MILLISECONDS);
        }

        /** An answered (and, with replica acknowledgements, confirmed) attempt: done, or wait and try again. */
        private void attempted(RedisLockStore.Attempt attempt) {
            long remaining = deadline - System.nanoTime();
            if (attempt.acquired() || remaining <= 0) {
                finish(attempt);
                return;
            }
            String blocker = blocker(keys, attempt);
            ReleaseNotifications.Waiter current = waiter;
            if (current == null) {
                // the first refusal: register, then try again (a release in between is not missed)
                CompletableFuture<Void> subscribed = RedisCalls.within(notifications.subscription(),
                        atLeastMinimum(deadline), names, "wait for", timers);
                awaited = subscribed;
                subscribed.whenComplete((ignored, failure) -> {
                    if (failure != null) {
                        fail(failure);
                    } else {
                        waiter = register(blocker);
                        send(FIRST_RETRY_MILLIS);
                    }
                });
                return;
            }
            if (!blocker.equals(current.redisKey())) {
                current.close();
                notifications.releasedLocally(current.redisKey());
                waiter = register(blocker);
                send(FIRST_RETRY_MILLIS);
                return;
            }
            if (stopped()) {
                return;
            }
            long backstop = queues ? Math.min(backstopNanos, TimeUnit.MILLISECONDS.toNanos(QUEUED_SLEEP_MILLIS))
                    : backstopNanos;
            current.sleep(sleepNanos(attempt.holderRemainingMillis(), remaining, backstop), timers)
                    .whenComplete((woken, never) -> send(FIRST_RETRY_MILLIS));
        }

        /** Registers for wake-ups of {@code blocker}'s lock, also those that name this run's owner id. */
        private ReleaseNotifications.Waiter register(String blocker) {
            String current;
            synchronized (this) {
                current = owner;
            }
            return notifications.register(blocker, metricName, current);
        }

        /** The attempts of {@code givenBack} were given back (its queue entry with them): a new owner id goes on. */
        private void newOwner(String givenBack) {
            synchronized (this) {
                owner = owners.get();
                if (givenBack.equals(enqueued)) {
                    enqueued = null;
                }
                ReleaseNotifications.Waiter current = waiter;
                if (current != null) {
                    current.owner(owner);
                }
            }
        }

        /** The run ends without the lock: a queue entry it may have leaves the queue, without waiting for it. */
        private void leaveQueue() {
            String left;
            synchronized (this) {
                left = enqueued;
                enqueued = null;
            }
            if (left != null) {
                abandoned.leave(store, keys.get(0), left, leaseMillis);
            }
        }

        /** @return whether the run ended: cancelled or the adapter closed (then the result is failed) */
        private boolean stopped() {
            if (cancellation.isCancelled()) {
                fail(new CancellationException("the acquisition of lock '" + names + "' was cancelled"));
                return true;
            }
            try {
                stillOpen.run();
                return false;
            } catch (RuntimeException e) {
                fail(e);
                return true;
            }
        }

        /**
         * Called by {@link Cancellation#cancel()}: gives back the attempt (or the grant being confirmed) under way,
         * and ends whatever the run waits for (an answer, a sleep, a pause), so that its next step finds it
         * cancelled.
         */
        void cancelled() {
            String giveBack;
            synchronized (this) {
                giveBack = unanswered;
                unanswered = null;
                if (giveBack != null) {
                    newOwner(giveBack);
                }
            }
            if (giveBack != null) {
                abandoned.giveBack(store, keys, giveBack, leaseMillis);
                fail(new CancellationException("the acquisition of lock '" + names + "' was cancelled"));
            }
            CompletableFuture<?> answer = awaited;
            if (answer != null) {
                answer.cancel(false); // its answer no longer matters: stops its timer, or ends the subscription wait
            }
            Future<?> pause = pausing;
            if (pause != null && pause.cancel(false)) {
                send(FIRST_RETRY_MILLIS); // finds the run cancelled
            }
            ReleaseNotifications.Waiter current = waiter;
            if (current != null) {
                current.interrupt();
            }
        }

        private void finish(RedisLockStore.Attempt attempt) {
            String last;
            synchronized (this) {
                last = owner;
            }
            closeWaiter();
            if (!attempt.acquired()) {
                leaveQueue();
            }
            result.complete(new Outcome(attempt, last, lastSent));
        }

        private void fail(Throwable failure) {
            closeWaiter();
            leaveQueue();
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            result.completeExceptionally(cause);
        }

        private void closeWaiter() {
            ReleaseNotifications.Waiter current = waiter;
            if (current != null) {
                current.close();
            }
        }

        /**
         * The second step of a grant with replica acknowledgements: the run is done when enough replicas of the node
         * that holds the grant acknowledged it; otherwise the grant is given back and the run fails with
         * {@link LockUnavailableException}, when Redis refused or did not answer the step, too.
         */
        private void confirm(RedisLockStore.Attempt grant) {
            String granted;
            synchronized (this) {
                granted = owner;
            }
            CompletableFuture<RedisLockStore.Acknowledgement> call = store.acknowledge(keys, granted,
                    acks.waitFor(grant), acks.timeoutMillis(), acks.countsReplicas());
            CompletableFuture<RedisLockStore.Acknowledgement> answer = RedisCalls.within(call, stepTimeoutNanos(),
                    names, "count the replica acknowledgements of", timers);
            awaited = answer;
            answer.whenComplete((acknowledgement, failure) -> {
                synchronized (this) {
                    if (unanswered == null) {
                        return; // cancelled meanwhile: the grant was given back
                    }
                    unanswered = null;
                }
                String problem;
                Throwable cause = null;
                if (failure == null) {
                    problem = problem(acknowledgement);
                    if (problem == null) {
                        attempted(grant);
                        return;
                    }
                } else {
                    cause = failure.getCause();
                    problem = "Lock '" + names + "' was granted, but " + (cause == null
                            ? "Redis did not answer the step that counts its replica acknowledgements within "
                                    + TimeUnit.NANOSECONDS.toMillis(stepTimeoutNanos()) + " ms"
                            : "Redis could not count its replica acknowledgements: "
                                    + RedisCalls.describe(cause));
                }
                Throwable reason = cause;
                giveBack(granted).whenComplete((givenBack, never) -> {
                    newOwner(granted);
                    fail(new LockUnavailableException(keys.get(0).name(), problem + "; " + givenBack
                            + ", and the acquisition is not retried", reason));
                });
            });
        }

        /** @return why an answered acknowledgement step does not count, null when it does */
        private String problem(RedisLockStore.Acknowledgement acknowledgement) {
            if (acks.judge(acknowledgement) == ReplicaAcknowledgements.Verdict.ENOUGH) {
                long leftNanos = lastSent + TimeUnit.MILLISECONDS.toNanos(leaseMillis) - System.nanoTime();
                if (leftNanos >= TimeUnit.MILLISECONDS.toNanos(minRemainingMillis(leaseMillis))) {
                    return null;
                }
                return "Lock '" + names + "' was granted and acknowledged by its replicas, but only "
                        + Math.max(0, TimeUnit.NANOSECONDS.toMillis(leftNanos)) + " ms of its lease of "
                        + leaseMillis + " ms were left by then (counted from when the attempt was sent), less"
                        + " than the third of the lease a grant must still have: it may have run out in Redis"
                        + " already, so it was not kept";
            }
            if (acks.fewerThanRequired(acknowledgement) && warnedTooFewReplicas.compareAndSet(false, true)) {
                LOG.warn("{} but the master that granted lock '{}' has only {} replica(s) connected: every"
                        + " grant on it fails after {} ms until replicas are added or the policy is lowered"
                        + " (logged once)", acks.setting(), names, acknowledgement.connectedReplicas(),
                        acks.timeoutMillis());
            }
            return acks.explain(names, acknowledgement);
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
         * @return completes with what became of the grant, for the exception's message; never fails
         */
        private CompletableFuture<String> giveBack(String granted) {
            List<CompletableFuture<RedisLockStore.Release>> releases = new ArrayList<>();
            for (LockKey key : keys) {
                releases.add(store.release(key, granted, 0));
            }
            CompletableFuture<Void> all = CompletableFuture.allOf(releases.toArray(CompletableFuture[]::new));
            return RedisCalls.within(all, RedisCalls.CALL_TIMEOUT.toNanos(), names, "give back", timers)
                    .handle((done, failure) -> {
                        if (failure != null) {
                            abandoned.giveBack(store, keys, granted, leaseMillis);
                            return "it is given back as soon as Redis answers (at the latest it frees itself when its"
                                    + " lease of " + leaseMillis + " ms ends)";
                        }
                        boolean released = false;
                        for (int i = 0; i < keys.size(); i++) {
                            RedisLockStore.Release release = releases.get(i).join();
                            if (release == RedisLockStore.Release.RELEASED) {
                                notifications.releasedLocally(keys.get(i).redisKey());
                            }
                            released |= release == RedisLockStore.Release.RELEASED
                                    || release == RedisLockStore.Release.RELEASED_TO_QUEUE;
                        }
                        return released ? "it was given back" : "its lease had already ended";
                    });
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
