package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.internal.key.LockKey;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leases one adapter holds now: it creates them, gives them the watchdog's clock and a thread
 * to complete callers' stages on, forgets them when they close, and decides what happens to them
 * at shutdown.
 *
 * <p><b>Completions.</b> Replies from Redis arrive on Redisson's I/O threads; a stage the
 * application sees (for example {@link RedisLease#closeAsync()}) is completed on the completion
 * executor instead (the application's default {@code ManagedExecutorService} on EE servers, so
 * contexts propagate; else a small pool of the library's own daemon threads that exist only while
 * there is something to complete), so a blocking continuation cannot stall the connection every
 * lock shares.
 *
 * <p><b>Shutdown.</b> {@link #close(Duration)} never deletes a lock whose holder may still be
 * running: it releases the thread-owned holds of threads that have ended, waits up to the grace
 * for the other holders to release, then stops renewing what is left, which expires within its
 * lease exactly as after a crash, and names each such lock in a WARN.
 */
final class HeldLeases {

    private static final Logger LOG = LoggerFactory.getLogger(HeldLeases.class);
    private static final AtomicInteger COMPLETION_THREADS = new AtomicInteger();
    /** The most threads the library's own completion pool runs at once; more completions queue. */
    private static final int COMPLETION_THREADS_MAX = 16;

    private final Set<RedisLease> active = ConcurrentHashMap.newKeySet();
    private final InFlight releases = new InFlight();
    private final Timers timers = new Timers();
    private final Executor completions;
    private final Executor ownCompletions;
    private final Consumer<RedisLease> onClosed;
    private final Consumer<String> onReleased;
    private final LockEvents events;
    private volatile boolean closed;

    /**
     * @param completions where callers' stages complete, null for the library's own threads
     * @param onClosed    called when a lease closes (the adapter forgets a thread-owned hold)
     * @param onReleased  called with the Redis key once Redis confirmed a release (wakes local waiters at once)
     * @param events      where the leases report releases and losses
     */
    HeldLeases(Executor completions, Consumer<RedisLease> onClosed, Consumer<String> onReleased, LockEvents events) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(COMPLETION_THREADS_MAX, COMPLETION_THREADS_MAX, 30,
                TimeUnit.SECONDS, new LinkedBlockingQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, "distributed-mutex-completion-"
                            + COMPLETION_THREADS.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        pool.allowCoreThreadTimeOut(true);
        this.ownCompletions = pool;
        this.completions = completions == null ? ownCompletions : completions;
        this.onClosed = Objects.requireNonNull(onClosed, "onClosed");
        this.onReleased = Objects.requireNonNull(onReleased, "onReleased");
        this.events = Objects.requireNonNull(events, "events");
    }

    /**
     * Opens the leases of one grant: the keys one script took together, all at once, so that they are held or
     * given back as one.
     *
     * @param keys         the keys granted together, to {@code owner} with {@code token}
     * @param sentNanos    when the granting attempt was sent
     * @param holderThread the thread that owns the leases through {@code acquire}, null for a {@code Lease}
     * @param holdAtLeastMillis the minimum hold from acquisition, 0 for none
     * @param metricName   the lock's metric name, null when no metrics are recorded
     * @return the new leases in the order of {@code keys}, their watchdogs started when asked for
     * @throws IllegalStateException when the adapter closed meanwhile; every lock of the grant is then given back
     */
    List<RedisLease> open(RedisLockStore store, List<LockKey> keys, String owner, long token, long leaseMillis,
                          long sentNanos, boolean watchdog, Thread holderThread, long holdAtLeastMillis,
                          String metricName) {
        List<RedisLease> opened = keys.stream().map(key -> new RedisLease(this, store, key, owner, token, leaseMillis,
                sentNanos, watchdog, holderThread, holdAtLeastMillis, metricName)).toList();
        active.addAll(opened);
        if (closed) {
            opened.forEach(RedisLease::giveBackAsync); // never handed out: no minimum hold to keep, nothing to report
            throw new IllegalStateException(RedisAdapter.CLOSED_MESSAGE);
        }
        opened.forEach(RedisLease::startWatchdog);
        return opened;
    }

    LockEvents events() {
        return events;
    }

    Timers timers() {
        return timers;
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Called by a lease when it closes.
     *
     * @param releaseDone completes when its release has ended in Redis (shutdown waits for it)
     */
    void closed(RedisLease lease, CompletableFuture<Void> releaseDone) {
        releases.enter();
        releaseDone.whenComplete((ignored, failure) -> releases.exit());
        synchronized (this) {
            active.remove(lease);
            notifyAll();
        }
        onClosed.accept(lease);
    }

    /** Called once Redis confirmed a release. */
    void released(String redisKey) {
        onReleased.accept(redisKey);
    }

    /** Completes {@code stage} on the completion executor, never on the calling (I/O) thread's stack. */
    void completeOffIoThreads(CompletableFuture<Void> stage) {
        offIoThreads(() -> stage.complete(null));
    }

    /** Runs {@code completion} (which completes a stage the application sees) on the completion executor. */
    void offIoThreads(Runnable completion) {
        try {
            completions.execute(completion);
        } catch (RejectedExecutionException e) {
            // the application's executor is shutting down: the library's own threads still run
            ownCompletions.execute(completion);
        }
    }

    /** @return the leases open now (closed ones are gone; lost or run-out ones are not filtered here) */
    List<RedisLease> snapshot() {
        return List.copyOf(active);
    }

    /** @return how many leases are held now */
    int size() {
        return active.size();
    }

    /** @return how many tasks the adapter's clock has scheduled now (watchdog renewals, timeouts of waits and Redis calls) */
    int timersScheduled() {
        return timers.active();
    }

    /** From now on, a grant that arrives is given back at once and its caller fails (the adapter is closing). */
    void refuseNew() {
        closed = true;
    }

    /**
     * Shuts down as described in the class comment; new leases are refused from now on. Leases
     * whose lease has run out by the local clock are not waited for (their lock is gone from
     * Redis, or somebody else's).
     *
     * @param grace          how long to wait for holders that still run
     * @param releaseTimeout how long to wait for releases still under way in Redis
     */
    void close(Duration grace, Duration releaseTimeout) {
        closed = true;
        for (RedisLease lease : List.copyOf(active)) {
            if (holderEnded(lease)) {
                LOG.error("Lock '{}' (owner {}) is still held by thread '{}', which ended without releasing it;"
                        + " released it at shutdown", lease.key(), lease.owner(), lease.holderThread().getName());
                lease.closeAsync();
            }
        }
        awaitHoldersOrExpiry(grace);
        for (RedisLease lease : List.copyOf(active)) {
            lease.leaveToExpire();
            if (lease.expiredLocally()) {
                LOG.warn("Lock '{}' (owner {}) was never released and its lease has run out: nothing left to release"
                        + " at shutdown", lease.key(), lease.owner());
                continue;
            }
            LOG.warn("Shutdown left lock '{}' (owner {}, {}) to expire within its lease ({} ms left at most): its holder"
                    + " was still running after the shutdown grace of {} ms, so the lock was not deleted, and no other"
                    + " instance gets it while that holder may still work", lease.key(), lease.owner(),
                    lease.holderThread() == null ? "held through a Lease"
                            : "held by thread '" + lease.holderThread().getName() + "'",
                    lease.remainingLocally().toMillis(), grace.toMillis());
        }
        timers.close();
        int unfinished = releases.awaitNone(RedisCalls.saturatedNanos(releaseTimeout));
        if (unfinished > 0) {
            LOG.warn("{} release(s) did not finish before shutdown; those locks free themselves when their leases end",
                    unfinished);
        }
    }

    private static boolean holderEnded(RedisLease lease) {
        return lease.holderThread() != null && !lease.holderThread().isAlive();
    }

    /** Waits until every lease closed or ran out by the local clock, at most {@code grace}. */
    private void awaitHoldersOrExpiry(Duration grace) {
        long graceNanos = RedisCalls.saturatedNanos(grace);
        long deadline = System.nanoTime() + graceNanos;
        synchronized (this) {
            try {
                for (long left = graceNanos; left > 0; left = deadline - System.nanoTime()) {
                    long running = active.stream().filter(lease -> !lease.expiredLocally()).count();
                    if (running == 0) {
                        return;
                    }
                    // a lease that runs out meanwhile does not notify: look again at least every 100 ms
                    TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
