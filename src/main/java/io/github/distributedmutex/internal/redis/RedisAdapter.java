package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockEvent;
import io.github.distributedmutex.LockInfo;
import io.github.distributedmutex.LockNotAcquiredException;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.config.LeaseDuration;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Adapter} on Redis. Each acquisition gets a unique owner id
 * ({@code <instance name>#<random>:<sequence>}, see {@link OwnerId}) stored in the lock; thread ownership for
 * {@code acquire}/{@code release} is a local hold count per (thread, key) on top of a
 * {@link RedisLease} ({@link ThreadHolds}). Waiting is {@link AcquisitionLoop}'s, the leases held
 * and their shutdown {@link HeldLeases}'; this class wires them to the Redis connection and owns
 * the lifecycle.
 *
 * <p>Size: the sixteen entry points of {@link Adapter} each take a few lines here; the work is in
 * the classes named above.
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
    private final AcquisitionLoop acquisitions;
    private final InFlight acquisitionsInFlight = new InFlight();
    private final LockEvents events;
    private final MetricNames metricNames = new MetricNames();
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
        this.acquisitions = new AcquisitionLoop(abandoned, backstop.toNanos(),
                new ReplicaAcknowledgements(settings.replicaAcks()));
        this.ownerPrefix = OwnerId.newAdapterPart(settings.instanceName());
        this.backend = new LockBackend(connection, LockKey.releaseChannel(settings.keyPrefix()));
        this.leases = new HeldLeases(completions, threadHolds::forget, backend::releasedLocally, events);
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
     * Takes a set of locks: the keys in canonical order, split into the groups one script can take (one Cluster
     * slot each; every key at once on a server that is not a cluster), each group all or none, group after group
     * with one deadline for the whole set. On any failure (contention, Redis, interrupt, shutdown) the parts taken
     * so far are released before the call returns or throws. Once the last group is granted, every earlier part is
     * extended to the whole lease (owner-checked, all in one round trip: {@link #refreshed}), so every key of the
     * set holds at least a lease from the return. When one of them was lost meanwhile (its lease ran out while a
     * later group was waited for), the set was never held as a whole: it is given back, and taken again from its
     * first key while the wait lasts; when the wait is over, the call fails like a contended one, naming the lost
     * key.
     *
     * @param keys         distinct keys in {@link LockKey#CANONICAL_ORDER}
     * @param holderThread the thread that will own the parts through {@code acquire}, null for a {@link Lease}
     * @param givenName    the set's metric name when the call has one besides its options, else null (a set's
     *                     name is derived from its first key in canonical order)
     * @return the parts in the order of {@code keys}, or null when somebody else held one of the locks for the
     *         whole wait and {@code throwOnContention} is false
     */
    private List<RedisLease> acquireSet(List<LockKey> keys, LockOptions options, boolean throwOnContention,
                                        Thread holderThread, String givenName) {
        ensureOpen();
        String name = events.recording() ? metricNames.of(keys.get(0), options, givenName) : null;
        Duration maxWait = options.maxWait().orElse(settings.maxWait());
        Duration leaseDuration = options.lease().orElse(settings.lease());
        LeaseDuration.checkHoldAtLeast(options.holdAtLeast(), leaseDuration,
                options.lease().isPresent() ? "lease" : "distributedmutex.lease");
        if (options.lease().isPresent()) {
            // the default lease was checked at startup; a shorter one per call fails here, before any Redis call
            settings.replicaAcks().checkFits(leaseDuration, "LockOptions lease");
        }
        long leaseMillis = LeaseDuration.toMillis(leaseDuration);
        long holdAtLeastMillis = options.holdAtLeast().isZero() ? 0 : LeaseDuration.toMillis(options.holdAtLeast());
        long start = System.nanoTime();
        long deadline = start + RedisCalls.saturatedNanos(maxWait);
        List<RedisLease> taken = new ArrayList<>(keys.size());
        LockKey current = keys.get(0);
        boolean complete = false;
        acquisitionsInFlight.enter();
        try {
            LockBackend.Parts redis = backend.await(current, deadline);
            List<List<LockKey>> groups = groups(keys, redis.store().isCluster());
            while (true) {
                for (List<LockKey> group : groups) {
                    current = group.get(0);
                    AcquisitionLoop.Outcome outcome = acquisitions.run(redis.store(), redis.notifications(), group,
                            name, this::newOwner, leaseMillis, deadline, this::ensureOpen);
                    RedisLockStore.Attempt attempt = outcome.attempt();
                    String owner = outcome.owner();
                    long waitedNanos = System.nanoTime() - start;
                    long waitedMillis = TimeUnit.NANOSECONDS.toMillis(waitedNanos);
                    if (!attempt.acquired()) {
                        current = group.get(Math.max(0, Math.min(attempt.blocked(), group.size() - 1)));
                        return notAcquired(current, name, waitedNanos, withSet(contended(current, waitedMillis, maxWait,
                                attempt.holder()), keys, waitedMillis), throwOnContention, owner);
                    }
                    List<RedisLease> opened = leases.open(redis.store(), group, owner, attempt.token(), leaseMillis,
                            outcome.sentNanos(), options.watchdog(), holderThread, holdAtLeastMillis, name);
                    taken.addAll(opened);
                    for (LockKey key : group) {
                        LOG.debug("Acquired lock '{}' (owner {}, token {}) after waiting {} ms, lease {} ms{}",
                                key.name(), owner, attempt.token(), waitedMillis, leaseMillis,
                                options.watchdog() ? " renewed by the watchdog" : "");
                        events.acquired(key, name, owner, attempt.token(), waitedNanos);
                    }
                }
                if (groups.size() == 1) {
                    break;
                }
                List<RedisLease> earlier = taken.subList(0, taken.size() - groups.get(groups.size() - 1).size());
                RedisLease lost = refreshed(earlier, current);
                if (lost == null) {
                    break;
                }
                current = lost.lockKey();
                long waitedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                // never handed out, so nobody acted under it: forgotten quietly, the rest given back
                giveBack(taken, lost);
                if (deadline - System.nanoTime() <= 0) {
                    return notAcquired(current, name, System.nanoTime() - start,
                            ranOut(current, keys, leaseMillis, maxWait, waitedMillis),
                            throwOnContention, lost.owner());
                }
                LOG.debug("Lock '{}' of the set {} ran out (lease {} ms) while the rest of the set was waited for"
                        + " ({} ms): the set was given back and is taken again", current.name(), names(keys),
                        leaseMillis, waitedMillis);
            }
            complete = true;
            return taken;
        } catch (LockUnavailableException e) {
            LOG.error("Lock '{}' unavailable: {}", current.name(), e.getMessage());
            events.notAcquired(current, name, System.nanoTime() - start, LockEvent.NotAcquired.Reason.UNAVAILABLE);
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            long waitedNanos = System.nanoTime() - start;
            long waitedMillis = TimeUnit.NANOSECONDS.toMillis(waitedNanos);
            events.notAcquired(current, name, waitedNanos, LockEvent.NotAcquired.Reason.INTERRUPTED);
            throw new LockNotAcquiredException(current.name(), Duration.ofMillis(waitedMillis), "Interrupted after "
                    + waitedMillis + " ms while waiting for lock '" + current.name() + "'"
                    + (keys.size() == 1 ? "" : " (one of " + names(keys) + "; nothing of the set is held)"));
        } finally {
            if (!complete) {
                giveBack(taken, null);
            }
            acquisitionsInFlight.exit();
        }
    }

    /**
     * A set (or key) not acquired because its wait ended: reports it (event {@code NotAcquired}, reason
     * {@code CONTENDED}), then throws the exception or returns null.
     *
     * @param key         the key the wait ended on, the exception's
     * @param name        the call's metric name, null when no metrics are recorded
     * @param waitedNanos how long the call waited
     * @param owner       the owner id of the attempt that gave up, for the log
     * @return null, when {@code throwOnContention} is false
     */
    private List<RedisLease> notAcquired(LockKey key, String name, long waitedNanos, LockNotAcquiredException e,
                                         boolean throwOnContention, String owner) {
        events.notAcquired(key, name, waitedNanos, LockEvent.NotAcquired.Reason.CONTENDED);
        if (throwOnContention) {
            LOG.error("{}", e.getMessage());
            throw e;
        }
        LOG.debug("Not acquired (owner {} gave up): {}", owner, e.getMessage());
        return null;
    }

    /**
     * Releases the parts of a set that is not handed out (send every release, then wait for them), and forgets
     * {@code lost} without a release or a report: it was found lost before anybody could act under it.
     */
    private static void giveBack(List<RedisLease> taken, RedisLease lost) {
        if (lost != null) {
            lost.discardLost();
        }
        taken.forEach(RedisLease::closeNowAsync);
        taken.forEach(RedisLease::closeNow);
        taken.clear();
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

    /**
     * Extends every part taken before the last group to the whole lease, whatever is left of it, so that every key
     * of the set holds at least a lease from now: owner-checked extensions, all sent at once and awaited together
     * (one round trip).
     *
     * @param earlier the parts taken before the last group (granted just now, left alone)
     * @param current the key named when Redis fails to answer
     * @return the first part found lost (its lease ran out meanwhile), null when every part was extended
     * @throws LockUnavailableException when Redis did not answer in time
     */
    private static RedisLease refreshed(List<RedisLease> earlier, LockKey current) throws InterruptedException {
        List<CompletableFuture<Boolean>> extensions = earlier.stream().map(RedisLease::refreshAsync).toList();
        RedisCalls.await(CompletableFuture.allOf(extensions.toArray(CompletableFuture[]::new)),
                RedisCalls.CALL_TIMEOUT.toNanos(), current.name(), "extend");
        for (int i = 0; i < earlier.size(); i++) {
            if (!extensions.get(i).join()) {
                return earlier.get(i);
            }
        }
        return null;
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
        return acquisitionsInFlight.count();
    }

    /** @return the types of lock events this adapter builds and reports (its listener wants them) */
    public Set<Class<? extends LockEvent>> reportedEvents() {
        return events.reported();
    }

    /** @return how many leases this adapter holds now */
    public int heldLocks() {
        return leases.size();
    }

    /** @return how many pieces of per-key state this adapter keeps now (holds, leases, waiters, renewals, give-backs) */
    public int perKeyState() {
        int waiters = backend.keysWithWaiters();
        return threadHolds.size() + leases.size() + waiters + leases.renewalsScheduled() + abandoned.pending();
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
        acquisitionsInFlight.awaitNone(RedisCalls.CALL_TIMEOUT.toNanos());
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
                if (!lease.isClosed() && !lease.isLost() && lease.metricName() != null) {
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
