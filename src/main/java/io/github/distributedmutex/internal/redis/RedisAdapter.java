package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockNotAcquiredException;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.key.KeyFormat;
import io.github.distributedmutex.internal.key.LockKey;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.redisson.api.RedissonClient;
import org.redisson.client.RedisTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Adapter} on Redis. Each acquisition gets a unique owner id
 * ({@code <pid>-<random>:<sequence>}) stored in the lock; thread ownership for
 * {@code acquire}/{@code release} is a local hold count per (thread, key) on top of a
 * {@link RedisLease}.
 *
 * <p>Waiting: one attempt; on contention the caller registers for release notifications, tries
 * again (marking the lock as waited for, so its release is published) and then sleeps until it
 * is woken by a release, the holder's lease runs out, or {@link #BACKSTOP} passes (a safety net
 * against a lost notification), whichever is first, never beyond its deadline.
 */
public final class RedisAdapter implements Adapter, AutoCloseable {

    /** The longest a waiter sleeps without re-checking, in case a release notification was lost. */
    static final Duration BACKSTOP = Duration.ofSeconds(1);

    /** The least time an abandoned attempt stays refused, in case it is delivered even later. */
    static final Duration ABANDONED_MARKER_MIN = Duration.ofMinutes(10);

    /** How long a call made right after startup waits for the first connection attempt to end. */
    static final Duration FIRST_CONNECTION_TIME = Duration.ofSeconds(5);

    /** At most this many abandoned attempts are given back at a time (a long outage must not pile them up). */
    static final int MAX_PENDING_ABANDONS = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(RedisAdapter.class);

    private final RedisConnection connection;
    private final Settings settings;
    private final String channel;
    private volatile Backend backend;
    private final LeaseRenewals renewals = new LeaseRenewals();
    private final String instanceId;
    private final AtomicLong ownerSequence = new AtomicLong();
    private final AtomicInteger pendingAbandons = new AtomicInteger();
    private final ConcurrentHashMap<ThreadHoldKey, ThreadHold> threadHolds = new ConcurrentHashMap<>();
    private final Set<RedisLease> activeLeases = ConcurrentHashMap.newKeySet();
    private final long backstopNanos;
    private volatile boolean closed;

    /**
     * @param client     the Redisson client to use
     * @param settings   defaults and key prefix
     * @param ownsClient whether {@link #close()} shuts the client down
     */
    public RedisAdapter(RedissonClient client, Settings settings, boolean ownsClient) {
        this(RedisConnection.of(client, ownsClient), settings, BACKSTOP);
    }

    /**
     * @param connection the client, possibly still connecting; closed with this adapter
     * @param settings   defaults and key prefix
     */
    public RedisAdapter(RedisConnection connection, Settings settings) {
        this(connection, settings, BACKSTOP);
    }

    /** As above, with another backstop (tests use a very long one to prove waiters are woken by notifications). */
    RedisAdapter(RedisConnection connection, Settings settings, Duration backstop) {
        this.connection = Objects.requireNonNull(connection, "connection");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.backstopNanos = backstop.toNanos();
        this.channel = "distributedmutex:released:" + settings.keyPrefix();
        this.instanceId = ProcessHandle.current().pid() + "-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        // start subscribing as soon as the client exists, so the first wait does not pay for it
        connection.ready().thenAccept(client -> backend(client));
    }

    /** The Redis-side machinery, built once the client exists. */
    private record Backend(RedisLockStore store, ReleaseNotifications notifications) {
    }

    private Backend backend(RedissonClient client) {
        synchronized (connection) {
            if (backend == null && !closed) {
                Backend created = new Backend(new RedisLockStore(client, channel),
                        new ReleaseNotifications(client, channel));
                created.notifications().subscription();
                backend = created;
            }
            return backend;
        }
    }

    private Backend backend(LockKey key, long deadline) throws InterruptedException {
        Backend current = backend;
        if (current != null) {
            return current;
        }
        RedissonClient client;
        try {
            if (!connection.firstAttempt().isDone()) {
                // the application just started: wait for the first connection attempt rather than fail a caller
                // while Redis is fine (Redisson's own connect timeout bounds this)
                long startup = Math.max(deadline - System.nanoTime(), FIRST_CONNECTION_TIME.toNanos());
                RedisCalls.await(connection.firstAttempt(), startup, key.name(), "connect to Redis to acquire");
            }
            long budget = Math.max(deadline - System.nanoTime(), RedisCalls.MIN_ATTEMPT_TIME.toNanos());
            client = RedisCalls.await(connection.ready(), budget, key.name(), "connect to Redis to acquire");
        } catch (LockUnavailableException e) {
            throw new LockUnavailableException(key.name(), "Redis cannot lock '" + key.name() + "': the library's Redis"
                    + " client is not connected " + connection.lastFailure().map(reason -> "(last attempt: " + reason
                    + ")").orElse("yet (its first connection attempt is still running: check the address, credentials"
                    + " and TLS trust if this persists)") + "; it keeps retrying in the background", null);
        }
        Backend created = backend(client);
        if (created == null) {
            throw new IllegalStateException("this distributed-mutex Adapter is closed (its container shut down)");
        }
        return created;
    }

    /** @return the settings this adapter uses */
    public Settings settings() {
        return settings;
    }

    // ---- thread-owned, re-entrant ---------------------------------------------------------------

    @Override
    public void acquire(String key) {
        acquireForThread(lockKey(key), LockOptions.defaults(), true);
    }

    @Override
    public void acquiref(String format, Object... args) {
        acquire(KeyFormat.format(format, args));
    }

    @Override
    public void acquire(String key, LockOptions options) {
        acquireForThread(lockKey(key), Objects.requireNonNull(options, "options must not be null"), true);
    }

    @Override
    public boolean tryAcquire(String key, LockOptions options) {
        return acquireForThread(lockKey(key), Objects.requireNonNull(options, "options must not be null"), false);
    }

    private boolean acquireForThread(LockKey key, LockOptions options, boolean throwOnContention) {
        ThreadHoldKey holdKey = ThreadHoldKey.of(key);
        ThreadHold hold = threadHolds.get(holdKey);
        if (hold != null) {
            hold.count++;
            LOG.debug("Re-entered lock '{}' (owner {}), hold count {}", key.name(), hold.lease.owner(), hold.count);
            return true;
        }
        RedisLease lease = acquireLease(key, options, throwOnContention);
        if (lease == null) {
            return false;
        }
        threadHolds.put(holdKey, new ThreadHold(lease));
        return true;
    }

    @Override
    public void release(String key) {
        LockKey lockKey = lockKey(key);
        ThreadHoldKey holdKey = ThreadHoldKey.of(lockKey);
        ThreadHold hold = threadHolds.get(holdKey);
        if (hold == null) {
            LOG.warn("Release of lock '{}' which the calling thread ({}) does not hold: nothing was released",
                    lockKey.name(), Thread.currentThread().getName());
            return;
        }
        if (--hold.count > 0) {
            LOG.debug("Left lock '{}' (owner {}), hold count {}", lockKey.name(), hold.lease.owner(), hold.count);
            return;
        }
        threadHolds.remove(holdKey);
        hold.lease.close();
    }

    @Override
    public void releasef(String format, Object... args) {
        release(KeyFormat.format(format, args));
    }

    @Override
    public OptionalLong fencingToken(String key) {
        ThreadHold hold = threadHolds.get(ThreadHoldKey.of(lockKey(key)));
        return hold == null ? OptionalLong.empty() : OptionalLong.of(hold.lease.fencingToken());
    }

    // ---- leases -----------------------------------------------------------------------------------

    @Override
    public Lease lock(String key) {
        return lock(key, LockOptions.defaults());
    }

    @Override
    public Lease lock(String key, LockOptions options) {
        LockKey lockKey = lockKey(key);
        return acquireLease(lockKey, Objects.requireNonNull(options, "options must not be null"), true);
    }

    @Override
    public Optional<Lease> tryLock(String key, Duration maxWait) {
        return tryLock(key, LockOptions.defaults().withMaxWait(maxWait));
    }

    @Override
    public Optional<Lease> tryLock(String key, Duration maxWait, Duration lease) {
        return tryLock(key, LockOptions.defaults().withMaxWait(maxWait).withLease(lease));
    }

    @Override
    public Optional<Lease> tryLock(String key, LockOptions options) {
        LockKey lockKey = lockKey(key);
        return Optional.ofNullable(acquireLease(lockKey, Objects.requireNonNull(options, "options must not be null"),
                false));
    }

    // ---- the acquisition ---------------------------------------------------------------------------

    private RedisLease acquireLease(LockKey key, LockOptions options, boolean throwOnContention) {
        ensureOpen();
        Duration maxWait = options.maxWait().orElse(settings.maxWait());
        long leaseMillis = options.lease().orElse(settings.lease()).toMillis();
        String owner = instanceId + ":" + ownerSequence.incrementAndGet();
        long start = System.nanoTime();
        long deadline = start + saturatedNanos(maxWait);
        try {
            Backend redis = backend(key, deadline);
            long sent = System.nanoTime();
            RedisLockStore.Attempt attempt = attempt(redis.store(), key, owner, leaseMillis, false, deadline);
            if (!attempt.acquired() && deadline - System.nanoTime() > 0) {
                awaitSubscription(redis.notifications(), key, deadline);
                try (ReleaseNotifications.Waiter waiter = redis.notifications().register(key.redisKey())) {
                    while (true) {
                        sent = System.nanoTime();
                        attempt = attempt(redis.store(), key, owner, leaseMillis, true, deadline);
                        long remaining = deadline - System.nanoTime();
                        if (attempt.acquired() || remaining <= 0) {
                            break;
                        }
                        waiter.await(sleepNanos(attempt.holderRemainingMillis(), remaining));
                        ensureOpen();
                    }
                }
            }
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            if (attempt.acquired()) {
                return newLease(redis.store(), key, owner, attempt.token(), leaseMillis, sent, options.watchdog(),
                        waitedMillis);
            }
            if (throwOnContention) {
                LOG.error("Lock '{}' not acquired: somebody else held it for the whole wait of {} ms", key.name(),
                        waitedMillis);
                throw new LockNotAcquiredException(key.name(), Duration.ofMillis(waitedMillis), "Lock '" + key.name()
                        + "' not acquired: somebody else held it for the whole wait of " + maxWait.toMillis() + " ms");
            }
            LOG.debug("Lock '{}' not acquired within {} ms (owner {} gave up)", key.name(), waitedMillis, owner);
            return null;
        } catch (LockUnavailableException e) {
            LOG.error("Lock '{}' unavailable: {}", key.name(), e.getMessage());
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            throw new LockNotAcquiredException(key.name(), Duration.ofMillis(waitedMillis), "Interrupted after "
                    + waitedMillis + " ms while waiting for lock '" + key.name() + "'");
        }
    }

    private RedisLockStore.Attempt attempt(RedisLockStore store, LockKey key, String owner, long leaseMillis,
                                           boolean markWaiting, long deadline) throws InterruptedException {
        CompletableFuture<RedisLockStore.Attempt> call = store.tryAcquire(key.redisKey(), owner, leaseMillis,
                markWaiting);
        boolean answered = false;
        try {
            long budget = Math.max(deadline - System.nanoTime(), RedisCalls.MIN_ATTEMPT_TIME.toNanos());
            RedisLockStore.Attempt attempt = RedisCalls.await(call, budget, key.name(), "acquire");
            answered = true;
            return attempt;
        } finally {
            if (!answered) {
                giveBackUnanswered(store, call, key, owner, leaseMillis);
            }
        }
    }

    /**
     * An attempt whose answer we did not get may still be granted in Redis, even long after the
     * client gave up on it (a stalled network delivers it late): abandon it (see
     * {@link RedisLockStore#abandon}), retried until Redis answers. Not needed when the command
     * certainly never reached Redis (for example the connection was refused).
     */
    private void giveBackUnanswered(RedisLockStore store, CompletableFuture<RedisLockStore.Attempt> call,
                                    LockKey key, String owner, long leaseMillis) {
        boolean unknownOutcome = !call.isDone();
        if (!unknownOutcome) {
            try {
                call.getNow(null);
            } catch (RuntimeException failure) {
                unknownOutcome = mayHaveReachedRedis(failure);
            }
        }
        if (unknownOutcome) {
            long markerMillis = Math.max(leaseMillis, ABANDONED_MARKER_MIN.toMillis());
            abandon(store, key, owner, markerMillis, System.nanoTime() + markerMillis * 1_000_000L, 1);
        }
    }

    /** A command that timed out may have been written to Redis and may still run there. */
    private static boolean mayHaveReachedRedis(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof RedisTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** Retries with backoff until Redis answers or the marker would have expired anyway; bounded in number. */
    private void abandon(RedisLockStore store, LockKey key, String owner, long markerMillis, long giveUpNanos,
                         int attempt) {
        if (closed || System.nanoTime() - giveUpNanos > 0) {
            if (attempt > 1) {
                pendingAbandons.decrementAndGet();
            }
            return;
        }
        if (attempt == 1 && pendingAbandons.incrementAndGet() > MAX_PENDING_ABANDONS) {
            pendingAbandons.decrementAndGet();
            LOG.warn("Too many unanswered acquisition attempts to give back; lock '{}' (owner {}) may stay held"
                    + " until its lease ends if Redis still grants it", key.name(), owner);
            return;
        }
        store.abandon(key.redisKey(), owner, markerMillis).whenComplete((deleted, failure) -> {
            if (failure != null && !closed && System.nanoTime() - giveUpNanos < 0) {
                long delay = Math.min(RedisCalls.CALL_TIMEOUT.toMillis(), 250L * attempt);
                renewals.later(() -> abandon(store, key, owner, markerMillis, giveUpNanos, attempt + 1),
                        Duration.ofMillis(delay));
                return;
            }
            pendingAbandons.decrementAndGet();
            if (failure == null && deleted) {
                LOG.warn("Lock '{}' was granted to owner {} after the caller stopped waiting; released it", key.name(),
                        owner);
            } else if (failure != null) {
                LOG.warn("Could not give back the unanswered acquisition of lock '{}' (owner {}); if Redis granted it,"
                        + " it frees itself when its lease ends", key.name(), owner);
            }
        });
    }

    private static void awaitSubscription(ReleaseNotifications notifications, LockKey key, long deadline)
            throws InterruptedException {
        long budget = Math.max(deadline - System.nanoTime(), RedisCalls.MIN_ATTEMPT_TIME.toNanos());
        RedisCalls.await(notifications.subscription(), budget, key.name(), "wait for");
    }

    private long sleepNanos(long holderRemainingMillis, long remainingNanos) {
        long sleep = Math.min(remainingNanos, backstopNanos);
        if (holderRemainingMillis > 0) {
            // wake just after the holder's lease ends, in case it died without releasing
            sleep = Math.min(sleep, TimeUnit.MILLISECONDS.toNanos(holderRemainingMillis + 1));
        }
        return sleep;
    }

    private RedisLease newLease(RedisLockStore store, LockKey key, String owner, long token, long leaseMillis, long sentNanos,
                                boolean watchdog, long waitedMillis) {
        RedisLease lease = new RedisLease(store, key, owner, token, Duration.ofMillis(leaseMillis), sentNanos,
                activeLeases::remove, this::releasedLocally);
        activeLeases.add(lease);
        if (watchdog) {
            lease.startWatchdog(renewals);
        }
        LOG.debug("Acquired lock '{}' (owner {}, token {}) after waiting {} ms, lease {} ms{}", key.name(), owner,
                token, waitedMillis, leaseMillis, watchdog ? " renewed by the watchdog" : "");
        return lease;
    }

    private void releasedLocally(String redisKey) {
        Backend current = backend;
        if (current != null) {
            current.notifications().releasedLocally(redisKey);
        }
    }

    private LockKey lockKey(String key) {
        return LockKey.of(key, settings.keyPrefix());
    }

    private static long saturatedNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 2;
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this distributed-mutex Adapter is closed (its container shut down)");
        }
    }

    // ---- introspection for tests and lifecycle -----------------------------------------------------

    /** @return how many leases this adapter holds now */
    public int heldLocks() {
        return activeLeases.size();
    }

    /** @return how many pieces of per-key state this adapter keeps now (holds, leases, waiters, renewals) */
    public int perKeyState() {
        Backend current = backend;
        int waiters = current == null ? 0 : current.notifications().keysWithWaiters();
        return threadHolds.size() + activeLeases.size() + waiters + renewals.active();
    }

    /**
     * Releases every lease still held, stops the watchdog and the subscription, and shuts the
     * Redisson client down when the library created it. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<CompletableFuture<Void>> releases = activeLeases.stream()
                .map(lease -> lease.closeAsync().toCompletableFuture()).toList();
        try {
            CompletableFuture.allOf(releases.toArray(CompletableFuture[]::new))
                    .get(RedisCalls.CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("Not every held lock could be released at shutdown; they free themselves when their leases end");
        }
        threadHolds.clear();
        renewals.close();
        synchronized (connection) {
            if (backend != null) {
                backend.notifications().close();
            }
        }
        connection.close();
    }

    private record ThreadHoldKey(long threadId, String redisKey) {
        static ThreadHoldKey of(LockKey key) {
            return new ThreadHoldKey(Thread.currentThread().getId(), key.redisKey());
        }
    }

    /** Mutated only by the thread it belongs to. */
    private static final class ThreadHold {
        private final RedisLease lease;
        private int count = 1;

        ThreadHold(RedisLease lease) {
            this.lease = lease;
        }
    }
}
