package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockEvent;
import io.github.distributedmutex.LockInfo;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.config.SettingsReader;
import io.github.distributedmutex.internal.key.KeyFormat;
import io.github.distributedmutex.internal.key.LockKey;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Adapter} on Redis. Each acquisition gets a unique owner id
 * ({@code <instance name>#<random>:<sequence>}, see {@link OwnerId}) stored in the lock; thread ownership for
 * {@code acquire}/{@code release} is a local hold count per (thread, key) on top of a
 * {@link RedisLease} ({@link ThreadHolds}). Acquiring, without a thread, is {@link Acquisitions}' (each group of
 * keys one {@link AcquisitionLoop}), the leases held and their shutdown {@link HeldLeases}'; this class validates
 * the arguments, waits for an acquisition's stage in the blocking calls or hands it on in the asynchronous ones,
 * wires the parts to the Redis connection and owns the lifecycle.
 *
 * <p>Size: the entry points of {@link Adapter} each take a few lines here; the work is in the classes named
 * above.
 */
public final class RedisAdapter implements Adapter, AutoCloseable {

    /** The longest a waiter sleeps without re-checking, in case a release notification was lost. */
    static final Duration BACKSTOP = Duration.ofSeconds(1);

    /** The message of calls made after {@link #close()}. */
    static final String CLOSED_MESSAGE = "this distributed-mutex Adapter is closed (its container shut down)";

    private static final Logger LOG = LoggerFactory.getLogger(RedisAdapter.class);

    private final RedisConnection connection;
    private final Settings settings;
    private final LockBackend backend;
    /** The start of every owner id of this adapter: {@code <instance name>#<random>}. */
    private final String ownerPrefix;
    private final AtomicLong ownerSequence = new AtomicLong();
    private final ThreadHolds threadHolds = new ThreadHolds();
    private final HeldLeases leases;
    private final AbandonedAttempts abandoned = new AbandonedAttempts();
    private final Acquisitions acquisitions;
    private final LockEvents events;
    private final AtomicLong probeSequence = new AtomicLong();
    /** The readiness probe under way, shared by concurrent checks; null before the first. */
    private volatile Probe probe;
    /** The last readiness check's result, reused within its bound; null before the first. */
    private volatile Checked lastReadiness;
    private volatile boolean closed;

    /**
     * @param client     the Redisson client to use
     * @param settings   defaults and key prefix
     * @param ownsClient whether {@link #close()} shuts the client down
     * @throws IllegalArgumentException when the client renames keys with a {@code NameMapper}
     */
    public RedisAdapter(RedissonClient client, Settings settings, boolean ownsClient) {
        this(RedisConnection.of(RedissonClientFactory.requireNoNameMapper(client), ownsClient), settings, null,
                null, null, BACKSTOP);
    }

    /**
     * @param connection the client, possibly still connecting; closed with this adapter
     * @param settings   defaults and key prefix
     */
    public RedisAdapter(RedisConnection connection, Settings settings) {
        this(connection, settings, null, null, null, BACKSTOP);
    }

    /**
     * @param connection  the client, possibly still connecting; closed with this adapter
     * @param settings    defaults and key prefix
     * @param completions where stages handed to the application complete (for example the
     *                    application server's default {@code ManagedExecutorService}); null for
     *                    the library's own threads
     */
    public RedisAdapter(RedisConnection connection, Settings settings, Executor completions) {
        this(connection, settings, completions, null, null, BACKSTOP);
    }

    /**
     * @param connection  the client, possibly still connecting; closed with this adapter
     * @param settings    defaults and key prefix
     * @param completions where stages handed to the application complete, null for the library's
     *                    own threads
     * @param listener    where the adapter's {@link LockEvent}s go; null for nowhere (then no event
     *                    is ever built)
     */
    public RedisAdapter(RedisConnection connection, Settings settings, Executor completions, LockListener listener) {
        this(connection, settings, completions, listener, null, BACKSTOP);
    }

    /**
     * @param connection  the client, possibly still connecting; closed with this adapter
     * @param settings    defaults and key prefix
     * @param completions where stages handed to the application complete, null for the library's
     *                    own threads
     * @param listener    where the adapter's {@link LockEvent}s go; null for nowhere (then no event
     *                    is ever built)
     * @param recorder    where the adapter's measurements go (metrics); null for nowhere (then no
     *                    metric name is ever computed); started now, stopped when the adapter closes
     */
    public RedisAdapter(RedisConnection connection, Settings settings, Executor completions, LockListener listener,
                        LockRecorder recorder) {
        this(connection, settings, completions, listener, recorder, BACKSTOP);
    }

    /** With another backstop (tests use a very long one to prove waiters are woken by notifications). */
    RedisAdapter(RedisConnection connection, Settings settings, Duration backstop) {
        this(connection, settings, null, null, null, backstop);
    }

    private RedisAdapter(RedisConnection connection, Settings settings, Executor completions, LockListener listener,
                         LockRecorder recorder, Duration backstop) {
        this.connection = Objects.requireNonNull(connection, "connection");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.events = listener == null && recorder == null ? LockEvents.NONE : new LockEvents(listener, recorder);
        this.ownerPrefix = OwnerId.newAdapterPart(settings.instanceName());
        this.backend = new LockBackend(connection, LockKey.releaseChannel(settings.keyPrefix()), settings.fairness());
        this.leases = new HeldLeases(completions, threadHolds::forget, backend::releasedLocally, events);
        this.acquisitions = new Acquisitions(settings, backend, new AcquisitionLoop(abandoned, backstop.toNanos(),
                new ReplicaAcknowledgements(settings.replicaAcks()), leases.timers()), leases, events,
                new MetricNames(), this::newOwner, this::ensureOpen);
        if (!settings.replicaAcks().isOff()) {
            LOG.info("distributed-mutex waits for replicas to acknowledge every grant (Redis WAIT): {}={}, {}={} ms;"
                    + " with fewer acknowledgements an acquisition fails", SettingsReader.REPLICA_ACKS,
                    settings.replicaAcks().isAll() ? "all" : Integer.toString(settings.replicaAcks().replicas()),
                    SettingsReader.REPLICA_ACK_TIMEOUT, settings.replicaAcks().timeoutMillis());
        }
        if (recorder != null) {
            try {
                recorder.start(new Gauges());
            } catch (RuntimeException | LinkageError e) {
                // metrics are optional: without their gauges, the adapter still locks
                LOG.warn("distributed-mutex could not register its held-locks and waiters gauges; locking is not"
                        + " affected: {}", e.toString());
            }
        }
    }

    /** @return the settings this adapter uses */
    public Settings settings() {
        return settings;
    }

    // ---- thread-owned, re-entrant ---------------------------------------------------------------

    @Override
    public void acquire(String key) {
        acquireForThread(lockKey(key), LockOptions.defaults(), true, null);
    }

    @Override
    public void acquiref(String format, Object... args) {
        // the format string names the lock in metrics: one series for every key it formats
        acquireForThread(lockKey(KeyFormat.format(format, args)), LockOptions.defaults(), true, format);
    }

    @Override
    public void acquire(String key, LockOptions options) {
        acquireForThread(lockKey(key), Objects.requireNonNull(options, "options must not be null"), true, null);
    }

    @Override
    public boolean tryAcquire(String key, LockOptions options) {
        return acquireForThread(lockKey(key), Objects.requireNonNull(options, "options must not be null"), false,
                null);
    }

    /** @param metricName the lock's metric name when the call has one besides its options, else null */
    private boolean acquireForThread(LockKey key, LockOptions options, boolean throwOnContention, String metricName) {
        int carried = threadHolds.reenter(key);
        if (carried == ThreadHolds.REENTERED) {
            return true;
        }
        RedisLease lease = acquireLease(key, options, throwOnContention, Thread.currentThread(), metricName);
        if (lease == null) {
            return false;
        }
        threadHolds.add(key, lease, 1 + carried);
        return true;
    }

    @Override
    public void release(String key) {
        release(key, true);
    }

    @Override
    public void releaseNow(String key) {
        release(key, false);
    }

    private void release(String key, boolean keepMinimumHold) {
        LockKey lockKey = lockKey(key);
        if (!threadHolds.release(lockKey, keepMinimumHold)) {
            LOG.warn("Release of lock '{}' which the calling thread ({}) does not hold: nothing was released",
                    lockKey.name(), Thread.currentThread().getName());
        }
    }

    @Override
    public void releasef(String format, Object... args) {
        release(KeyFormat.format(format, args));
    }

    @Override
    public OptionalLong fencingToken(String key) {
        return threadHolds.fencingToken(lockKey(key));
    }

    // ---- leases -----------------------------------------------------------------------------------

    @Override
    public Lease lock(String key) {
        return lock(key, LockOptions.defaults());
    }

    @Override
    public Lease lock(String key, LockOptions options) {
        LockKey lockKey = lockKey(key);
        return acquireLease(lockKey, Objects.requireNonNull(options, "options must not be null"), true, null, null);
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
                false, null, null));
    }

    // ---- non-blocking ---------------------------------------------------------------------------------

    @Override
    public CompletionStage<Lease> lockAsync(String key, LockOptions options) {
        return acquireSetAsync(List.of(lockKey(key)), Objects.requireNonNull(options, "options must not be null"),
                true, Optional::get);
    }

    @Override
    public CompletionStage<Optional<Lease>> tryLockAsync(String key, LockOptions options) {
        return acquireSetAsync(List.of(lockKey(key)), Objects.requireNonNull(options, "options must not be null"),
                false, Function.identity());
    }

    @Override
    public CompletionStage<Lease> lockAllAsync(Collection<String> keys, LockOptions options) {
        return acquireSetAsync(lockKeys(keys), Objects.requireNonNull(options, "options must not be null"), true,
                Optional::get);
    }

    @Override
    public CompletionStage<Optional<Lease>> tryLockAllAsync(Collection<String> keys, LockOptions options) {
        return acquireSetAsync(lockKeys(keys), Objects.requireNonNull(options, "options must not be null"), false,
                Function.identity());
    }

    // ---- several keys ---------------------------------------------------------------------------------

    @Override
    public Lease lockAll(Collection<String> keys, LockOptions options) {
        List<LockKey> set = lockKeys(keys);
        return asLease(acquireSet(set, Objects.requireNonNull(options, "options must not be null"), true, null, null));
    }

    @Override
    public Optional<Lease> tryLockAll(Collection<String> keys, LockOptions options) {
        List<LockKey> set = lockKeys(keys);
        List<RedisLease> parts = acquireSet(set, Objects.requireNonNull(options, "options must not be null"), false,
                null, null);
        return parts == null ? Optional.empty() : Optional.of(asLease(parts));
    }

    private static Lease asLease(List<RedisLease> parts) {
        return parts.size() == 1 ? parts.get(0) : new RedisLeaseSet(parts);
    }

    @Override
    public void acquireAll(Collection<String> keys, LockOptions options) {
        acquireAllForThread(lockKeys(keys), Objects.requireNonNull(options, "options must not be null"), true);
    }

    @Override
    public boolean tryAcquireAll(Collection<String> keys, LockOptions options) {
        return acquireAllForThread(lockKeys(keys), Objects.requireNonNull(options, "options must not be null"), false);
    }

    /** Re-enters the keys the calling thread holds, and takes the others as one set. */
    private boolean acquireAllForThread(List<LockKey> keys, LockOptions options, boolean throwOnContention) {
        List<LockKey> reentered = new ArrayList<>();
        List<LockKey> rest = new ArrayList<>();
        Map<LockKey, Integer> carried = new HashMap<>();
        boolean complete = false;
        try {
            for (LockKey key : keys) {
                int count = threadHolds.reenter(key);
                if (count == ThreadHolds.REENTERED) {
                    reentered.add(key);
                } else {
                    rest.add(key);
                    carried.put(key, count);
                }
            }
            if (!rest.isEmpty()) {
                List<RedisLease> parts = acquireSet(rest, options, throwOnContention, Thread.currentThread(), null);
                if (parts == null) {
                    return false;
                }
                for (RedisLease part : parts) {
                    threadHolds.add(part.lockKey(), part, 1 + carried.get(part.lockKey()));
                }
            }
            complete = true;
            return true;
        } finally {
            if (!complete) {
                reentered.forEach(key -> threadHolds.release(key, true)); // counts down only: the outer hold stays
            }
        }
    }

    @Override
    public void releaseAll(Collection<String> keys) {
        for (LockKey key : lockKeys(keys)) {
            release(key.name());
        }
    }

    /**
     * @return the keys, validated, in canonical order
     * @throws NullPointerException     when the collection or one of its keys is null
     * @throws IllegalArgumentException when it is empty, has a key twice, or a key is not valid
     */
    private List<LockKey> lockKeys(Collection<String> keys) {
        Objects.requireNonNull(keys, "keys must not be null");
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("keys must not be empty: give at least one lock key");
        }
        List<LockKey> set = new ArrayList<>(keys.size());
        Set<String> seen = new HashSet<>(); // Redis keys: the lock two names would share, were they not injective
        int position = 0;
        for (String key : keys) {
            if (key == null) {
                throw new NullPointerException("keys must not contain null, found at position " + position + " of "
                        + keys.size());
            }
            LockKey lockKey = lockKey(key);
            if (!seen.add(lockKey.redisKey())) {
                throw new IllegalArgumentException("keys must be distinct, '" + key + "' is given twice");
            }
            set.add(lockKey);
            position++;
        }
        set.sort(LockKey.CANONICAL_ORDER);
        return set;
    }

    // ---- operations ----------------------------------------------------------------------------------

    @Override
    public Optional<LockInfo> inspect(String key) {
        LockKey lockKey = lockKey(key);
        ensureOpen();
        long deadline = System.nanoTime() + RedisCalls.CALL_TIMEOUT.toNanos();
        RedisLockStore.Snapshot snapshot;
        try {
            LockBackend.Parts redis = backend.await(lockKey, deadline, "inspect");
            snapshot = RedisCalls.await(redis.store().inspect(lockKey), deadline - System.nanoTime(), lockKey.name(),
                    "inspect");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LockUnavailableException(lockKey.name(), "interrupted while waiting for Redis to inspect lock '"
                    + lockKey.name() + "'", e);
        }
        if (snapshot == null) {
            return Optional.empty();
        }
        String holder = snapshot.holder();
        return Optional.of(new LockInfo(lockKey.name(), holder, OwnerId.instanceOf(holder), snapshot.token(),
                Duration.ofMillis(Math.max(-1, snapshot.remainingMillis())), backend.waiting(lockKey.redisKey()),
                snapshot.releasedEarly()));
    }

    @Override
    public List<LockInfo> heldLocally() {
        List<LockInfo> held = new ArrayList<>();
        for (RedisLease lease : leases.snapshot()) {
            Duration remaining = lease.remainingLocally().truncatedTo(ChronoUnit.MILLIS);
            if (lease.isClosed() || lease.isLost() || remaining.isZero()) {
                continue;
            }
            held.add(new LockInfo(lease.key(), lease.owner(), settings.instanceName(), lease.fencingToken(), remaining,
                    backend.waiting(lease.lockKey().redisKey()), false));
        }
        held.sort(Comparator.comparing(LockInfo::key).thenComparingLong(LockInfo::fencingToken));
        return List.copyOf(held);
    }

    // ---- readiness ---------------------------------------------------------------------------------

    /**
     * Whether this adapter can lock now, for a readiness check: its Redis client exists, its
     * release-notification subscription is established, Redis answers a {@code PUBLISH} on the
     * release channel, and that message comes back through the subscription (so waiters are woken
     * on release). Never blocks longer than {@code bound}; checks made while a probe is under way
     * (for less than {@code bound}) share it, and a check made less than {@code bound} after the last
     * check ended reuses its result, so that frequent checks (several probes, several instances'
     * health endpoints) send at most one {@code PUBLISH} per {@code bound}, which every instance on
     * the key prefix receives. The reason is generic (no host, port or credential: it is shown on the
     * health endpoint); the result's detail adds the underlying error, for the log.
     *
     * @param bound the longest this call waits, and how long its result is reused
     * @return up, or down with the reason
     */
    public LockReadiness readiness(Duration bound) {
        long boundNanos = RedisCalls.saturatedNanos(bound);
        long start = System.nanoTime();
        if (closed) {
            return LockReadiness.down("the adapter is closed: the application is shutting down");
        }
        Checked last = lastReadiness;
        if (last != null && start - last.endNanos() < boundNanos) {
            return last.readiness();
        }
        LockReadiness readiness = check(start, boundNanos);
        if (!Thread.currentThread().isInterrupted()) {
            lastReadiness = new Checked(readiness, System.nanoTime());
        }
        return readiness;
    }

    /** One readiness check, without reusing an earlier result (see {@link #readiness}). */
    private LockReadiness check(long start, long boundNanos) {
        long deadline = start + boundNanos;
        LockBackend.Parts parts = backend.current();
        if (parts == null) {
            return connection.lastFailure().map(failure -> LockReadiness.down("Redis is not reachable: the library's"
                    + " Redis client is not connected; it keeps retrying", "last attempt: " + failure))
                    .orElseGet(() -> LockReadiness.down("the library's Redis client is not connected yet (its first"
                    + " connection attempt is still running)"));
        }
        long boundMillis = TimeUnit.NANOSECONDS.toMillis(boundNanos);
        String notSubscribed = "release notifications are not subscribed";
        try {
            parts.notifications().subscription().get(remaining(deadline), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return LockReadiness.down(notSubscribed, "the subscription was not established within " + boundMillis
                    + " ms");
        } catch (ExecutionException e) {
            return LockReadiness.down(notSubscribed, "the subscription failed: "
                    + RedisConnection.describe(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return LockReadiness.down("interrupted while checking Redis");
        }
        Probe current = probe(parts.notifications(), start, boundNanos);
        String notAnswering = "Redis did not answer within " + boundMillis + " ms";
        try {
            current.published().get(remaining(deadline), TimeUnit.NANOSECONDS);
            current.received().get(remaining(deadline), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | CancellationException e) {
            // cancelled: a later check replaced this probe after it had waited its whole bound
            return current.published().isDone() ? LockReadiness.down("release notifications do not arrive within "
                    + boundMillis + " ms", "Redis answers, but a message"
                    + " published on the release channel did not come back through this instance's subscription within "
                    + boundMillis + " ms: waiters are not woken on release (they re-check every " + BACKSTOP.toMillis()
                    + " ms) until it is re-established") : LockReadiness.down(notAnswering);
        } catch (ExecutionException e) {
            // not necessarily unreachable: an ACL that denies the PUBLISH fails here too
            return LockReadiness.down("Redis could not answer the probe", RedisConnection.describe(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return LockReadiness.down("interrupted while checking Redis");
        }
        return LockReadiness.up("Redis answered and release notifications arrive");
    }

    /** A check's result and when it ended, reused by the checks that follow within the bound. */
    private record Checked(LockReadiness readiness, long endNanos) {
    }

    /** A readiness probe: the {@code PUBLISH} reply, and the message coming back through the subscription. */
    private record Probe(CompletableFuture<Long> published, CompletableFuture<Void> received, long startNanos) {
    }

    /** @return the probe under way when it started less than {@code boundNanos} ago, else a new one */
    private Probe probe(ReleaseNotifications notifications, long now, long boundNanos) {
        synchronized (probeSequence) {
            Probe current = probe;
            if (current != null && !current.received().isDone() && now - current.startNanos() < boundNanos) {
                return current;
            }
            if (current != null) {
                current.received().cancel(false); // forgets its payload
            }
            CompletableFuture<Long> published = new CompletableFuture<>();
            // never a lock's Redis key (those contain '{'), so no waiter anywhere is woken by it
            String payload = settings.keyPrefix() + "readiness-probe:" + ownerPrefix + ":" + probeSequence.incrementAndGet();
            probe = new Probe(published, notifications.echo(payload, published), now);
            return probe;
        }
    }

    private static long remaining(long deadline) {
        return Math.max(0, deadline - System.nanoTime());
    }

    // ---- the acquisition ---------------------------------------------------------------------------

    /**
     * @param holderThread the thread that will own the lease through {@code acquire}, null for a {@link Lease}
     * @param givenName    the lock's metric name when the call has one besides its options, else null
     * @return the lease, or null when somebody else held the lock for the whole wait and
     *         {@code throwOnContention} is false
     */
    private RedisLease acquireLease(LockKey key, LockOptions options, boolean throwOnContention, Thread holderThread,
                                    String givenName) {
        List<RedisLease> parts = acquireSet(List.of(key), options, throwOnContention, holderThread, givenName);
        return parts == null ? null : parts.get(0);
    }

    /**
     * Takes a set of locks ({@link Acquisitions}) and waits for it: the blocking form of every acquisition. An
     * interrupt cancels the acquisition and waits (uninterruptibly, at most {@link RedisCalls#CALL_TIMEOUT}) until
     * what it took is given back, then throws with the interrupt status set.
     *
     * @param keys         distinct keys in {@link LockKey#CANONICAL_ORDER}
     * @param holderThread the thread that will own the parts through {@code acquire}, null for a {@link Lease}
     * @param givenName    the set's metric name when the call has one besides its options, else null
     * @return the parts in the order of {@code keys}, or null when somebody else held one of the locks for the
     *         whole wait and {@code throwOnContention} is false
     */
    private List<RedisLease> acquireSet(List<LockKey> keys, LockOptions options, boolean throwOnContention,
                                        Thread holderThread, String givenName) {
        Acquisitions.Call call = acquisitions.start(keys, options, throwOnContention, holderThread, givenName);
        try {
            List<RedisLease> parts = call.settled().get(call.settleBoundNanos(), TimeUnit.NANOSECONDS);
            if (parts != null) {
                call.handedOut(parts);
            }
            return parts;
        } catch (ExecutionException e) {
            throw rethrown(e.getCause());
        } catch (TimeoutException e) {
            // never expected: every step of an acquisition is bounded; a safety net against a wait without end
            call.cancel(LockEvent.NotAcquired.Reason.UNAVAILABLE);
            List<RedisLease> late = call.settled().getNow(null); // settled just now: never handed out
            if (late != null) {
                call.notHandedOut(late, LockEvent.NotAcquired.Reason.UNAVAILABLE);
            }
            throw new LockUnavailableException(keys.get(0).name(), "The acquisition of lock '" + keys.get(0).name()
                    + "' did not end within " + TimeUnit.NANOSECONDS.toMillis(call.settleBoundNanos())
                    + " ms, longer than its wait and every Redis call's bound; it was cancelled", null);
        } catch (InterruptedException e) {
            call.cancel(LockEvent.NotAcquired.Reason.INTERRUPTED);
            List<RedisLease> late = awaitUninterruptibly(call.settled(), RedisCalls.CALL_TIMEOUT.toNanos());
            Thread.currentThread().interrupt();
            if (late != null) {
                // granted just as the interrupt came: never handed out
                awaitUninterruptibly(call.notHandedOut(late, LockEvent.NotAcquired.Reason.INTERRUPTED),
                        RedisCalls.CALL_TIMEOUT.toNanos());
            }
            throw call.interrupted();
        }
    }

    /** @return what {@code settled} completed with within the bound, null when it failed or did not complete */
    private static <T> T awaitUninterruptibly(CompletableFuture<T> settled, long boundNanos) {
        long deadline = System.nanoTime() + boundNanos;
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return settled.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException again) {
                    interrupted = true;
                } catch (ExecutionException | TimeoutException | CancellationException ended) {
                    return null;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The failure of an acquisition's stage, as the blocking call throws it: with the caller's stack (it was created
     * on the thread that learned of the failure), the original stack kept as a suppressed exception.
     */
    private static RuntimeException rethrown(Throwable failure) {
        if (failure instanceof RuntimeException e) {
            Throwable origin = new Throwable("where the acquisition raised it");
            origin.setStackTrace(e.getStackTrace());
            e.setStackTrace(new Throwable().getStackTrace());
            e.addSuppressed(origin);
            return e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(failure);
    }

    /**
     * Takes a set of locks without blocking, for the asynchronous calls.
     *
     * @param handedOut what the caller gets for the parts (null parts: somebody else held one of the locks for the
     *                  whole wait and {@code throwOnContention} is false)
     * @return the stage the caller gets, completed on the completion executor; cancelling it (or completing it from
     *         outside) cancels the acquisition, and a lease that arrives anyway is given back
     */
    private <T> CompletableFuture<T> acquireSetAsync(List<LockKey> keys, LockOptions options, boolean throwOnContention,
                                                     Function<Optional<Lease>, T> handedOut) {
        Acquisitions.Call call;
        try {
            call = acquisitions.start(keys, options, throwOnContention, null, null);
        } catch (IllegalStateException | IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        result.whenComplete((value, failure) -> call.cancel(LockEvent.NotAcquired.Reason.CANCELLED));
        call.settled().whenComplete((parts, failure) -> leases.offIoThreads(() -> {
            if (failure != null) {
                result.completeExceptionally(failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure);
            } else if (parts == null) {
                result.complete(handedOut.apply(Optional.empty()));
            } else if (result.complete(handedOut.apply(Optional.of(asLease(parts))))) {
                // reported once the caller has it, so that a call is reported acquired or not acquired, never both;
                // a release by its continuations meanwhile is reported after this (RedisLease.handedOut)
                call.handedOut(parts);
            } else {
                call.notHandedOut(parts, LockEvent.NotAcquired.Reason.CANCELLED); // cancelled as it was granted
            }
        }));
        return result;
    }

    /** @return a new owner id, unique across processes: {@code <instance name>#<random>:<sequence>} */
    private String newOwner() {
        return OwnerId.of(ownerPrefix, ownerSequence.incrementAndGet());
    }

    private LockKey lockKey(String key) {
        return LockKey.of(key, settings.keyPrefix());
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(CLOSED_MESSAGE);
        }
    }

    // ---- introspection for tests and lifecycle -----------------------------------------------------

    /** @return whether {@link #close()} was called */
    public boolean isClosed() {
        return closed;
    }

    /** @return how many acquisitions are under way now (for tests of shutdown) */
    public int acquisitionsUnderWay() {
        return acquisitions.underWay();
    }

    /** @return the types of lock events this adapter builds and reports (its listener wants them) */
    public Set<Class<? extends LockEvent>> reportedEvents() {
        return events.reported();
    }

    /** @return how many leases this adapter holds now */
    public int heldLocks() {
        return leases.size();
    }

    /** @return how many keys have acquisitions of this adapter waiting for them now (for tests) */
    public int keysWithWaiters() {
        return backend.keysWithWaiters();
    }

    /** @return how many pieces of per-key state this adapter keeps now (holds, leases, waiters, timers, give-backs) */
    public int perKeyState() {
        int waiters = backend.keysWithWaiters();
        return threadHolds.size() + leases.size() + waiters + leases.timersScheduled() + abandoned.pending();
    }

    /**
     * Shuts down without ever deleting a lock whose holder may still be running: refuses new
     * acquisitions and wakes waiters (they fail), releases the holds of threads that ended, waits
     * up to {@code distributedmutex.shutdown-grace} for the other holders to release, leaves what
     * is still held to expire within its lease (WARN naming each lock), then stops the
     * subscription and shuts the Redisson client down when the library created it. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        leases.refuseNew();
        backend.close();
        // an attempt under way may still be granted: let it become a lease (given back at once) or be abandoned
        acquisitions.awaitNone(RedisCalls.CALL_TIMEOUT.toNanos());
        leases.close(settings.shutdownGrace(), RedisCalls.CALL_TIMEOUT);
        abandoned.awaitNone(RedisCalls.CALL_TIMEOUT.toNanos());
        abandoned.close();
        LockRecorder recorder = events.recorder();
        if (recorder != null) {
            try {
                recorder.stop();
            } catch (RuntimeException | LinkageError e) {
                LOG.warn("distributed-mutex could not unregister its metrics gauges: {}", e.toString());
            }
        }
        connection.close();
    }

    /** The adapter's gauges for its recorder: its open leases and registered waiters, by metric name. */
    private final class Gauges implements LockGauges {
        @Override
        public Map<String, Integer> heldByName() {
            Map<String, Integer> held = new HashMap<>();
            for (RedisLease lease : leases.snapshot()) {
                // as heldLocally(): a lease run out by the local clock is not held, even if nobody closed it
                if (!lease.isClosed() && !lease.isLost() && lease.metricName() != null && !lease.expiredLocally()) {
                    held.merge(lease.metricName(), 1, Integer::sum);
                }
            }
            return held;
        }

        @Override
        public Map<String, Integer> waitingByName() {
            return backend.waitingByName();
        }
    }
}
