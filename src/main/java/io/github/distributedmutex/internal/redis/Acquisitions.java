package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.LockEvent;
import io.github.distributedmutex.LockNotAcquiredException;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.config.LeaseDuration;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.key.LockKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes sets of locks (one key is a set of one) for one adapter, without holding a thread: the blocking calls of
 * {@link RedisAdapter} wait for a {@link Call}'s stage, the asynchronous ones hand it on. Each call is one
 * {@link Call}: the keys in canonical order, split into the groups one script can take (one Cluster slot each;
 * every key at once on a server that is not a cluster), each group all or none ({@link AcquisitionLoop}), group
 * after group with one deadline for the whole set, then the parts opened as leases ({@link HeldLeases}) and
 * reported ({@link LockEvents}).
 *
 * <p>On any failure (contention, Redis, cancellation, shutdown) the parts taken so far are released before the
 * call's stage completes. Once the last group is granted, every earlier part is extended to the whole lease
 * (owner-checked, all in one round trip), so every key of the set holds at least a lease from the return. When one
 * of them was lost meanwhile (its lease ran out while a later group was waited for), the set was never held as a
 * whole: it is given back, and taken again from its first key while the wait lasts; when the wait is over, the
 * call fails like a contended one, naming the lost key.
 */
final class Acquisitions {

    private static final Logger LOG = LoggerFactory.getLogger(Acquisitions.class);

    private final Settings settings;
    private final LockBackend backend;
    private final AcquisitionLoop loop;
    private final HeldLeases leases;
    private final LockEvents events;
    private final MetricNames metricNames;
    private final Supplier<String> owners;
    private final Runnable stillOpen;
    private final InFlight underWay = new InFlight();

    /**
     * @param owners    a new, unique owner id per call
     * @param stillOpen throws {@link IllegalStateException} when the adapter closed
     */
    Acquisitions(Settings settings, LockBackend backend, AcquisitionLoop loop, HeldLeases leases, LockEvents events,
                 MetricNames metricNames, Supplier<String> owners, Runnable stillOpen) {
        this.settings = settings;
        this.backend = backend;
        this.loop = loop;
        this.leases = leases;
        this.events = events;
        this.metricNames = metricNames;
        this.owners = owners;
        this.stillOpen = stillOpen;
    }

    /**
     * Starts taking {@code keys}.
     *
     * @param keys              distinct keys in {@link LockKey#CANONICAL_ORDER}
     * @param throwOnContention whether a wait that ran out fails the call, else it completes with null
     * @param holderThread      the thread that will own the parts through {@code acquire}, null for a lease
     * @param givenName         the set's metric name when the call has one besides its options, else null (a set's
     *                          name is derived from its first key in canonical order)
     * @return the call under way
     * @throws IllegalStateException    when the adapter is closed
     * @throws IllegalArgumentException when the options do not fit the configuration
     */
    Call start(List<LockKey> keys, LockOptions options, boolean throwOnContention, Thread holderThread,
               String givenName) {
        stillOpen.run();
        Call call = new Call(keys, options, throwOnContention, holderThread, givenName);
        call.begin();
        return call;
    }

    /** @return how many calls are under way (for shutdown and its tests) */
    int underWay() {
        return underWay.count();
    }

    /** Waits until no call is under way, at most {@code timeoutNanos}. */
    void awaitNone(long timeoutNanos) {
        underWay.awaitNone(timeoutNanos);
    }

    /** One acquisition of a set of keys. */
    final class Call {
        private final List<LockKey> keys;
        private final boolean throwOnContention;
        private final Thread holderThread;
        private final String name;
        private final Duration maxWait;
        private final long leaseMillis;
        private final long holdAtLeastMillis;
        private final boolean watchdog;
        private final long start = System.nanoTime();
        private final long deadline;
        private final AcquisitionLoop.Cancellation cancellation = new AcquisitionLoop.Cancellation();
        private final CompletableFuture<List<RedisLease>> settled = new CompletableFuture<>();
        /** The parts opened so far. Touched by one step at a time. */
        private final List<RedisLease> taken = new ArrayList<>();
        private volatile LockEvent.NotAcquired.Reason cancelReason;
        /** How long the call took until every part was held. */
        private volatile long settledNanos;
        /** The key being waited for, named by failures. */
        private volatile LockKey current;
        /** The wait for the Redis client, while it lasts: a cancel ends it. */
        private volatile CompletableFuture<LockBackend.Parts> connecting;
        private LockBackend.Parts redis;
        private List<List<LockKey>> groups;

        private Call(List<LockKey> keys, LockOptions options, boolean throwOnContention, Thread holderThread,
                     String givenName) {
            this.keys = keys;
            this.throwOnContention = throwOnContention;
            this.holderThread = holderThread;
            this.name = events.recording() ? metricNames.of(keys.get(0), options, givenName) : null;
            this.maxWait = options.maxWait().orElse(settings.maxWait());
            Duration leaseDuration = options.lease().orElse(settings.lease());
            LeaseDuration.checkHoldAtLeast(options.holdAtLeast(), leaseDuration,
                    options.lease().isPresent() ? "lease" : "distributedmutex.lease");
            if (options.lease().isPresent()) {
                // the default lease was checked at startup; a shorter one per call fails here, before any Redis call
                settings.replicaAcks().checkFits(leaseDuration, "LockOptions lease");
            }
            this.leaseMillis = LeaseDuration.toMillis(leaseDuration);
            this.holdAtLeastMillis = options.holdAtLeast().isZero() ? 0 : LeaseDuration.toMillis(options.holdAtLeast());
            this.watchdog = options.watchdog();
            this.deadline = start + RedisCalls.saturatedNanos(maxWait);
            this.current = keys.get(0);
        }

        /**
         * @return completes with the parts in the order of the keys once every one is held, with null when the wait
         *         ran out and the call does not throw on contention; fails with the exception the blocking call
         *         throws ({@link LockNotAcquiredException}, {@link LockUnavailableException},
         *         {@link IllegalStateException}) or {@link CancellationException}, always after every part taken was
         *         given back. Completes on an I/O or timer thread: its dependents must not block
         */
        CompletableFuture<List<RedisLease>> settled() {
            return settled;
        }

        /**
         * Ends the call early: a waiting acquisition stops waiting, an attempt under way is given back, and the
         * stage fails once every part taken is given back (with the "interrupted" {@link LockNotAcquiredException}
         * for {@link LockEvent.NotAcquired.Reason#INTERRUPTED}, else {@link CancellationException}). Does nothing
         * once the call has settled: parts it completed with are the caller's.
         */
        void cancel(LockEvent.NotAcquired.Reason reason) {
            if (settled.isDone()) {
                return;
            }
            cancelReason = reason;
            cancellation.cancel();
            CompletableFuture<LockBackend.Parts> waiting = connecting;
            if (waiting != null) {
                waiting.cancel(false);
            }
        }

        /**
         * @return how long, from now, the call may take at most: the rest of its wait, one attempt's minimum time, the
         *         first connection's time, a replica-acknowledgement step per key and the give-backs. A bound for a
         *         caller's safety net: every step is bounded by less
         */
        long settleBoundNanos() {
            long calls = RedisCalls.CALL_TIMEOUT.toNanos();
            long acks = settings.replicaAcks().isOff() ? 0
                    : keys.size() * (TimeUnit.MILLISECONDS.toNanos(settings.replicaAcks().timeoutMillis()) + calls);
            return Math.max(0, deadline - System.nanoTime()) + RedisCalls.MIN_ATTEMPT_TIME.toNanos()
                    + LockBackend.FIRST_CONNECTION_TIME.toNanos() + acks + 3 * calls;
        }

        /**
         * Reports the parts the call completed with as handed out to its caller: an {@code Acquired} event per key and
         * one acquisition measurement for the call (a set counts once). Reported here, not when Redis granted them,
         * so that a grant that is given back before anybody got it (a cancel, an interrupt) is never reported as held.
         */
        void handedOut(List<RedisLease> parts) {
            for (RedisLease part : parts) {
                events.acquired(part.lockKey(), part.owner(), part.fencingToken(), settledNanos);
                part.handedOut();
            }
            events.acquisition(name, settledNanos);
        }

        /**
         * Gives back the parts the call completed with, which its caller will never get (its stage was cancelled as
         * they arrived, or the blocking caller was interrupted), quietly, and reports the call as not acquired.
         *
         * @return completes when the give-back ended in Redis
         */
        CompletableFuture<Void> notHandedOut(List<RedisLease> parts, LockEvent.NotAcquired.Reason reason) {
            events.notAcquired(current, name, System.nanoTime() - start, reason);
            return CompletableFuture.allOf(parts.stream().map(RedisLease::giveBackAsync)
                    .toArray(CompletableFuture[]::new));
        }

        /** The exception of a call ended by an interrupt. */
        LockNotAcquiredException interrupted() {
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            LockKey key = current;
            return new LockNotAcquiredException(key.name(), Duration.ofMillis(waitedMillis), "Interrupted after "
                    + waitedMillis + " ms while waiting for lock '" + key.name() + "'"
                    + (keys.size() == 1 ? "" : " (one of " + names(keys) + "; nothing of the set is held)"));
        }

        private void begin() {
            underWay.enter();
            settled.whenComplete((parts, failure) -> underWay.exit());
            CompletableFuture<LockBackend.Parts> ready = backend.ready(current, deadline, "lock", leases.timers());
            connecting = ready.isDone() ? null : ready;
            ready.whenComplete((parts, failure) -> {
                connecting = null;
                if (failure != null) {
                    failed(failure);
                    return;
                }
                redis = parts;
                groups = groups(keys, parts.store().isCluster());
                group(0);
            });
        }

        /** Takes group {@code index}, then the next, and completes the call after the last. */
        private void group(int index) {
            List<LockKey> group = groups.get(index);
            current = group.get(0);
            CompletableFuture<AcquisitionLoop.Outcome> run;
            try {
                run = loop.run(redis.store(), redis.notifications(), group, name, owners, leaseMillis, deadline,
                        stillOpen, cancellation);
            } catch (RuntimeException e) {
                failed(e);
                return;
            }
            run.whenComplete((outcome, failure) -> {
                if (failure != null) {
                    failed(failure);
                    return;
                }
                try {
                    granted(index, group, outcome);
                } catch (RuntimeException | Error e) {
                    failed(e); // whatever broke, what was taken is given back and the caller learns of it
                }
            });
        }

        private void granted(int index, List<LockKey> group, AcquisitionLoop.Outcome outcome) {
            RedisLockStore.Attempt attempt = outcome.attempt();
            String owner = outcome.owner();
            long waitedNanos = System.nanoTime() - start;
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(waitedNanos);
            if (!attempt.acquired()) {
                current = group.get(Math.max(0, Math.min(attempt.blocked(), group.size() - 1)));
                notAcquired(waitedNanos, withSet(contended(current, waitedMillis, maxWait, attempt.holder()), keys,
                        waitedMillis), owner);
                return;
            }
            taken.addAll(leases.open(redis.store(), group, owner, attempt.token(), leaseMillis, outcome.sentNanos(),
                    watchdog, holderThread, holdAtLeastMillis, name));
            for (LockKey key : group) {
                LOG.debug("Acquired lock '{}' (owner {}, token {}) after waiting {} ms, lease {} ms{}", key.name(),
                        owner, attempt.token(), waitedMillis, leaseMillis, watchdog ? " renewed by the watchdog" : "");
            }
            if (index + 1 < groups.size()) {
                group(index + 1);
            } else if (groups.size() == 1) {
                succeeded();
            } else {
                refreshEarlierParts(group.size());
            }
        }

        /**
         * Extends every part taken before the last group to the whole lease, whatever is left of it: owner-checked
         * extensions, all sent at once (one round trip). Completes the call, or gives the set back and takes it
         * again when a part was lost meanwhile.
         */
        private void refreshEarlierParts(int lastGroupSize) {
            List<RedisLease> earlier = List.copyOf(taken.subList(0, taken.size() - lastGroupSize));
            List<CompletableFuture<Boolean>> extensions = earlier.stream().map(RedisLease::refreshAsync).toList();
            RedisCalls.within(CompletableFuture.allOf(extensions.toArray(CompletableFuture[]::new)),
                    RedisCalls.CALL_TIMEOUT.toNanos(), current.name(), "extend", leases.timers())
                    .whenComplete((done, failure) -> {
                        if (failure != null) {
                            failed(failure);
                            return;
                        }
                        RedisLease lost = null;
                        for (int i = 0; i < earlier.size() && lost == null; i++) {
                            if (!extensions.get(i).join()) {
                                lost = earlier.get(i);
                            }
                        }
                        if (lost == null) {
                            succeeded();
                        } else {
                            takeAgain(lost);
                        }
                    });
        }

        /** A part ran out while a later group was waited for: the set is given back and taken again, if time is left. */
        private void takeAgain(RedisLease lost) {
            current = lost.lockKey();
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            lost.discardLost(); // never handed out, so nobody acted under it: forgotten quietly, the rest given back
            taken.remove(lost);
            giveBack().whenComplete((done, never) -> {
                if (deadline - System.nanoTime() <= 0) {
                    notAcquired(System.nanoTime() - start, ranOut(current, keys, leaseMillis, maxWait, waitedMillis),
                            lost.owner());
                    return;
                }
                LOG.debug("Lock '{}' of the set {} ran out (lease {} ms) while the rest of the set was waited for"
                        + " ({} ms): the set was given back and is taken again", current.name(), names(keys),
                        leaseMillis, waitedMillis);
                group(0);
            });
        }

        private void succeeded() {
            if (cancellation.isCancelled()) {
                failed(new CancellationException("the acquisition was cancelled"));
            } else {
                settledNanos = System.nanoTime() - start;
                settled.complete(List.copyOf(taken));
            }
        }

        /**
         * The wait ended: reports it (event {@code NotAcquired}, reason {@code CONTENDED}), gives back what was taken,
         * then fails the call or completes it with null.
         *
         * @param owner the owner id of the attempt that gave up, for the log
         */
        private void notAcquired(long waitedNanos, LockNotAcquiredException e, String owner) {
            events.notAcquired(current, name, waitedNanos, LockEvent.NotAcquired.Reason.CONTENDED);
            if (throwOnContention) {
                LOG.error("{}", e.getMessage());
            } else {
                LOG.debug("Not acquired (owner {} gave up): {}", owner, e.getMessage());
            }
            giveBack().whenComplete((done, never) -> {
                if (throwOnContention) {
                    settled.completeExceptionally(e);
                } else {
                    settled.complete(null);
                }
            });
        }

        /** Any other end than a grant or a wait that ran out: reported, what was taken given back, the call failed. */
        private void failed(Throwable failure) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            long waitedNanos = System.nanoTime() - start;
            LockEvent.NotAcquired.Reason reason = cancelReason;
            if (reason != null && (cause instanceof CancellationException || cancellation.isCancelled())) {
                events.notAcquired(current, name, waitedNanos, reason);
                cause = reason == LockEvent.NotAcquired.Reason.INTERRUPTED ? interrupted()
                        : new CancellationException("the acquisition of lock '" + current.name() + "' was cancelled");
            } else if (cause instanceof LockUnavailableException) {
                LOG.error("Lock '{}' unavailable: {}", current.name(), cause.getMessage());
                events.notAcquired(current, name, waitedNanos, LockEvent.NotAcquired.Reason.UNAVAILABLE);
            }
            Throwable result = cause;
            giveBack().whenComplete((done, never) -> settled.completeExceptionally(result));
        }

        /** Releases the parts taken so far, which were never handed out: at once, all sent before any is awaited. */
        private CompletableFuture<Void> giveBack() {
            List<CompletableFuture<Void>> releases = taken.stream().map(RedisLease::giveBackAsync).toList();
            taken.clear();
            return CompletableFuture.allOf(releases.toArray(CompletableFuture[]::new));
        }
    }

    /**
     * The groups one script can take: on a Redis Cluster, the runs of keys with one slot (the keys are in slot
     * order); elsewhere one master has every key, so all of them.
     */
    private static List<List<LockKey>> groups(List<LockKey> keys, boolean cluster) {
        if (!cluster || keys.size() == 1) {
            return List.of(keys);
        }
        List<List<LockKey>> groups = new ArrayList<>();
        int from = 0;
        for (int i = 1; i <= keys.size(); i++) {
            if (i == keys.size() || keys.get(i).slot() != keys.get(from).slot()) {
                groups.add(keys.subList(from, i));
                from = i;
            }
        }
        return groups;
    }

    /** The exception of a set whose key {@code lost} ran out while the rest was waited for, when the wait is over. */
    private static LockNotAcquiredException ranOut(LockKey lost, List<LockKey> keys, long leaseMillis, Duration maxWait,
                                                   long waitedMillis) {
        return new LockNotAcquiredException(lost.name(), Duration.ofMillis(waitedMillis), "Lock '" + lost.name()
                + "' (one of the " + keys.size() + " keys " + names(keys) + " locked together) not acquired: its lease"
                + " of " + leaseMillis + " ms ran out while the rest of the set was waited for, and the wait of "
                + maxWait.toMillis() + " ms ended before the set could be taken again; nothing of the set is held."
                + " Use a lease longer than the wait");
    }

    /** Adds to a set's exception that it was one key of a set, none of which is held. */
    private static LockNotAcquiredException withSet(LockNotAcquiredException e, List<LockKey> keys, long waitedMillis) {
        if (keys.size() == 1) {
            return e;
        }
        return new LockNotAcquiredException(e.key(), Duration.ofMillis(waitedMillis), e.getMessage() + " (one of the "
                + keys.size() + " keys " + names(keys) + " locked together; nothing of the set is held)",
                e.holderOwner().orElse(null), e.holderInstance().orElse(null), e.holderHeld().orElse(null),
                e.holderRemainingLease().orElse(null));
    }

    private static String names(List<LockKey> keys) {
        return keys.stream().map(key -> "'" + key.name() + "'").collect(Collectors.joining(", ", "[", "]"));
    }

    /**
     * The exception of a wait that ran out, naming the holder the last refused attempt found.
     *
     * @param holder who held the lock at the last attempt, null when unknown
     */
    static LockNotAcquiredException contended(LockKey key, long waitedMillis, Duration maxWait,
                                              RedisLockStore.Holder holder) {
        String message = "Lock '" + key.name() + "' not acquired: somebody else held it for the whole wait of "
                + maxWait.toMillis() + " ms";
        if (holder == null) {
            return new LockNotAcquiredException(key.name(), Duration.ofMillis(waitedMillis), message);
        }
        String owner = holder.ownerId();
        String instance = OwnerId.instanceOf(owner);
        String who = instance.isEmpty() ? "owner " + owner : "instance '" + instance + "' (owner " + owner + ")";
        Duration held = holder.heldMillis() < 0 ? null : Duration.ofMillis(holder.heldMillis());
        Duration remaining = holder.remainingMillis() < 0 ? null : Duration.ofMillis(holder.remainingMillis());
        if (holder.releasedEarly()) {
            // Redis keeps no release time: only when it was granted, and that it was released before its minimum hold
            message += ": " + who + " released it before its minimum hold (holdAtLeast)"
                    + (held == null ? "" : "; it was granted " + held.toMillis() + " ms ago")
                    + ", and it stays taken until that hold ends"
                    + (remaining == null ? "" : ", " + remaining.toMillis() + " ms later");
        } else {
            message += ": held by " + who + (held == null ? "" : " for " + held.toMillis() + " ms")
                    + (remaining == null ? "" : ", " + remaining.toMillis() + " ms of its lease left");
        }
        return new LockNotAcquiredException(key.name(), Duration.ofMillis(waitedMillis), message, owner,
                instance.isEmpty() ? null : instance, held, remaining);
    }
}
