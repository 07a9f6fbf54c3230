package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.internal.key.LockKey;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.redisson.RedissonShutdownException;
import org.redisson.client.RedisConnectionException;
import org.redisson.client.RedisRedirectException;
import org.redisson.client.RedisRetryException;
import org.redisson.client.WriteRedisConnectionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives back acquisitions that ended without a grant after one of their attempts may have reached
 * Redis unanswered. Such an attempt may still be granted in Redis, even long after the client gave
 * up on it (a stalled network delivers it late), so the owner is abandoned with
 * {@link RedisLockStore#abandon}, retried with backoff until Redis answers or the refusal marker
 * would have expired anyway. Bounded in number, so a long outage cannot pile them up.
 *
 * <p>Every failure after which the command may have been written counts as "may have reached
 * Redis" (a timeout, a connection closed or reset after the write, anything unknown); only a
 * failure to connect proves it was not.
 */
final class AbandonedAttempts {

    /**
     * The least time an abandoned attempt stays refused, in case it is delivered even later: longer
     * than TCP keeps retransmitting a write on a stalled connection (about 15 minutes with Linux's
     * default {@code tcp_retries2}).
     */
    static final Duration MARKER_MIN = Duration.ofMinutes(20);

    /** The longest pause between tries of one give-back (they back off from 250 ms). */
    static final long MAX_GIVE_BACK_RETRY_MILLIS = 30_000;

    /** At most this many abandoned attempts are given back at a time. */
    static final int MAX_PENDING = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(AbandonedAttempts.class);

    private final InFlight pending = new InFlight();
    private volatile boolean closed;

    /**
     * Gives back the attempts of {@code owner}, whatever Redis did with them: deletes the lock if
     * one of them was granted, else leaves a marker that refuses them if they arrive later.
     */
    void giveBack(RedisLockStore store, List<LockKey> keys, String owner, long leaseMillis) {
        if (!pending.tryEnter(MAX_PENDING)) {
            LOG.warn("Too many unanswered acquisition attempts to give back; lock '{}' (owner {}) may stay held"
                    + " until its lease ends if Redis still grants it", names(keys), owner);
            return;
        }
        long markerMillis = markerMillis(leaseMillis);
        abandon(store, keys, owner, leaseMillis, markerMillis,
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(markerMillis), 1);
    }

    /**
     * A waiter queued in Redis (fair hand-off) gives up with every attempt of {@code owner} answered: its entry leaves
     * the queue, and a hand-off to it that it did not discover is given back and handed on
     * ({@link RedisLockStore#leave}). One try; when it fails or is not answered within
     * {@link RedisCalls#CALL_TIMEOUT}, the owner is given back as an unanswered attempt ({@link #giveBack}), which
     * de-queues it too. Never blocks the caller; counted in {@link #pending()} until done.
     */
    void leave(RedisLockStore store, LockKey key, String owner, long leaseMillis) {
        if (!pending.tryEnter(MAX_PENDING)) {
            LOG.warn("Too many acquisitions to give back; the queue entry of lock '{}' (owner {}) leaves within {} ms"
                    + " and a hand-off to it within {} ms", key.name(), owner, RedisLockStore.ENTRY_TTL_MILLIS,
                    RedisLockStore.PICKUP_MILLIS);
            return;
        }
        CompletableFuture<Boolean> left;
        try {
            left = store.leave(key, owner, leaseMillis);
        } catch (RuntimeException e) {
            left = CompletableFuture.failedFuture(e);
        }
        left.orTimeout(RedisCalls.CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).whenComplete((givenBack, failure) -> {
            pending.exit();
            if (failure != null) {
                giveBack(store, List.of(key), owner, leaseMillis);
            } else if (givenBack) {
                LOG.debug("Lock '{}' was handed to owner {} after it stopped waiting; handed it on", key.name(), owner);
            }
        });
    }

    /** @return how long a marker refuses late attempts of a lease of {@code leaseMillis} */
    static long markerMillis(long leaseMillis) {
        return Math.max(leaseMillis, MARKER_MIN.toMillis());
    }

    /**
     * @param call a call whose answer the caller did not take (not done, failed, or answered too late)
     * @return whether it may have reached Redis: only a failure to connect proves it did not
     */
    static boolean mayHaveReachedRedis(CompletableFuture<?> call) {
        if (!call.isCompletedExceptionally()) {
            return true;
        }
        try {
            call.getNow(null);
            return true;
        } catch (RuntimeException failure) {
            return mayHaveReachedRedis(failure);
        }
    }

    /**
     * Whether a failed command may have been written to Redis and may run (or have run) there. It
     * certainly did not run when no connection could be had, or when Redis refused it before
     * running it: a cluster redirect, TRYAGAIN, CLUSTERDOWN, LOADING.
     */
    static boolean mayHaveReachedRedis(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof RedisConnectionException && !(t instanceof WriteRedisConnectionException)
                    || t instanceof RedisRetryException || t instanceof RedisRedirectException) {
                return false;
            }
        }
        return true;
    }

    /** @return whether {@code call} failed because the client was shut down: trying again cannot help */
    static boolean isFinal(CompletableFuture<?> call) {
        try {
            call.getNow(null);
            return false;
        } catch (RuntimeException failure) {
            for (Throwable t = failure; t != null; t = t.getCause()) {
                if (t instanceof RedissonShutdownException) {
                    return true;
                }
            }
            return false;
        }
    }

    /** @return the names of {@code keys}, for log lines */
    static String names(List<LockKey> keys) {
        return keys.size() == 1 ? keys.get(0).name()
                : keys.stream().map(LockKey::name).collect(Collectors.joining("', '"));
    }

    private void abandon(RedisLockStore store, List<LockKey> keys, String owner, long leaseMillis, long markerMillis,
                         long giveUpNanos, int attempt) {
        if (closed || System.nanoTime() - giveUpNanos > 0) {
            pending.exit();
            return;
        }
        store.abandon(keys, owner, markerMillis, leaseMillis).whenComplete((deleted, failure) -> {
            if (failure != null && !closed && System.nanoTime() - giveUpNanos < 0) {
                long delay = Math.min(MAX_GIVE_BACK_RETRY_MILLIS, 250L << Math.min(attempt, 7));
                CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS)
                        .execute(() -> abandon(store, keys, owner, leaseMillis, markerMillis, giveUpNanos,
                                attempt + 1));
                return;
            }
            pending.exit();
            if (failure == null && deleted) {
                LOG.warn("Lock '{}' was granted to owner {} after the caller stopped waiting; released it", names(keys),
                        owner);
            } else if (failure != null) {
                LOG.warn("Could not give back the unanswered acquisition of lock '{}' (owner {}); if Redis granted it,"
                        + " it frees itself when its lease ends", names(keys), owner);
            }
        });
    }

    /** @return how many give-backs are under way */
    int pending() {
        return pending.count();
    }

    /** Waits, at most {@code timeoutNanos}, until no give-back is under way. */
    void awaitNone(long timeoutNanos) {
        pending.awaitNone(timeoutNanos);
    }

    /**
     * Stops retrying; attempts not given back yet free themselves when their leases end (a WARN
     * says how many).
     */
    void close() {
        closed = true;
        int left = pending.count();
        if (left > 0) {
            LOG.warn("{} unanswered acquisition attempt(s) were not given back before shutdown; if Redis granted them,"
                    + " they free themselves when their leases end", left);
        }
    }
}
