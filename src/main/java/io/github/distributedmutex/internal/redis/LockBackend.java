package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.config.Fairness;
import io.github.distributedmutex.internal.key.LockKey;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.redisson.api.RedissonClient;

/**
 * The Redis side of one adapter, the lock store and the release notifications, built once its
 * Redisson client exists (the library's private client may still be connecting when the
 * application starts). The subscription starts as soon as the client exists, so the first wait
 * does not pay for it.
 */
final class LockBackend {

    /** How long a call made right after startup waits for the first connection attempt to end. */
    static final Duration FIRST_CONNECTION_TIME = Duration.ofSeconds(5);

    /** The store and the notifications on one client. */
    record Parts(RedisLockStore store, ReleaseNotifications notifications) {
    }

    private final RedisConnection connection;
    private final String channel;
    private final Object guard = new Object();
    private volatile Parts parts;
    private boolean closed;
    private final Fairness fairness;

    /**
     * @param connection the client, possibly still connecting
     * @param channel    the release channel of the adapter's key prefix
     * @param fairness   how contended locks pass between processes
     */
    LockBackend(RedisConnection connection, String channel, Fairness fairness) {
        this.connection = connection;
        this.channel = channel;
        this.fairness = fairness;
        connection.ready().thenAccept(this::build);
    }

    private Parts build(RedissonClient client) {
        synchronized (guard) {
            if (parts == null && !closed) {
                ReleaseNotifications notifications = new ReleaseNotifications(client, channel);
                Parts created = new Parts(new RedisLockStore(client, channel, fairness, notifications::wakeOwner),
                        notifications);
                created.notifications().subscription();
                parts = created;
            }
            return parts;
        }
    }

    /**
     * {@link #ready} for a caller that may block.
     *
     * @throws LockUnavailableException when the client is not connected in time, saying why
     * @throws IllegalStateException    when the adapter closed
     */
    Parts await(LockKey key, long deadline, String operation) throws InterruptedException {
        Parts current = parts;
        if (current != null) {
            return current;
        }
        try {
            return ready(key, deadline, operation, null).get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException failure) {
                throw failure;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * The store and the notifications, once the client exists: at once when it does; else waiting for it up to the
     * deadline (at least the minimum attempt time; right after startup at least {@link #FIRST_CONNECTION_TIME}).
     *
     * @param key       the lock a caller wants (for messages)
     * @param deadline  the caller's deadline ({@link System#nanoTime()})
     * @param operation what the caller wants to do with the lock, as a verb ("lock", "inspect"), for messages
     * @param timers    the clock of the wait; null to use the JDK's shared delay thread
     * @return completes with the parts; fails with {@link LockUnavailableException} when the client is not connected
     *         in time, saying why, or {@link IllegalStateException} when the adapter closed. Completes on the thread
     *         that connected the client or on a timer thread: its dependents must not block
     */
    CompletableFuture<Parts> ready(LockKey key, long deadline, String operation, Timers timers) {
        Parts current = parts;
        if (current != null) {
            return CompletableFuture.completedFuture(current);
        }
        String verb = "connect to Redis to " + operation;
        CompletableFuture<?> first = connection.firstAttempt();
        CompletableFuture<?> started = first.isDone() ? CompletableFuture.completedFuture(null)
                // the application just started: wait for the first connection attempt rather than fail a caller
                // while Redis is fine (Redisson's own connect timeout bounds this)
                : bounded(first, Math.max(deadline - System.nanoTime(), FIRST_CONNECTION_TIME.toNanos()), key, verb,
                        timers);
        return started.thenCompose(ignored -> bounded(connection.ready(), Math.max(deadline - System.nanoTime(),
                        RedisCalls.MIN_ATTEMPT_TIME.toNanos()), key, verb, timers))
                .handle((client, failure) -> {
                    if (failure != null) {
                        throw new LockUnavailableException(key.name(), "Redis cannot " + operation + " '" + key.name()
                                + "': the library's Redis client is not connected " + connection.lastFailure()
                                .map(reason -> "(last attempt: " + reason + ")").orElse("yet (its first connection"
                                + " attempt is still running: check the address, credentials and TLS trust if this"
                                + " persists)") + "; it keeps retrying in the background", null);
                    }
                    Parts created = build(client);
                    if (created == null) {
                        throw new IllegalStateException(RedisAdapter.CLOSED_MESSAGE);
                    }
                    return created;
                });
    }

    private static <T> CompletableFuture<T> bounded(CompletableFuture<T> stage, long timeoutNanos, LockKey key,
                                                    String verb, Timers timers) {
        if (timers != null) {
            return RedisCalls.within(stage, timeoutNanos, key.name(), verb, timers);
        }
        return stage.copy().orTimeout(Math.max(0, timeoutNanos), TimeUnit.NANOSECONDS);
    }

    /** @return the store and notifications when the client exists, else null; never waits */
    Parts current() {
        return parts;
    }

    /** A lock was released by this process: wakes a local waiter at once. */
    void releasedLocally(String redisKey) {
        Parts current = parts;
        if (current != null) {
            current.notifications().releasedLocally(redisKey);
        }
    }

    /** @return how many local threads wait for the lock at {@code redisKey} now (0 before the client exists) */
    int waiting(String redisKey) {
        Parts current = parts;
        return current == null ? 0 : current.notifications().waiting(redisKey);
    }

    /** @return how many local threads wait now, by metric name (empty before the client exists) */
    Map<String, Integer> waitingByName() {
        Parts current = parts;
        return current == null ? Map.of() : current.notifications().waitingByName();
    }

    /** @return how many keys have local waiters now */
    int keysWithWaiters() {
        Parts current = parts;
        return current == null ? 0 : current.notifications().keysWithWaiters();
    }

    /** Wakes every waiter (they find the adapter closed) and ends the subscription; the connection stays. */
    void close() {
        synchronized (guard) {
            closed = true;
            if (parts != null) {
                parts.notifications().close();
            }
        }
    }
}
