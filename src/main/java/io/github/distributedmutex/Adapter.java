package io.github.distributedmutex;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;

/**
 * A distributed mutex: at most one holder per key across every process that shares the Redis.
 * Inject it ({@code @Inject Adapter adapter}); the library produces one {@code @ApplicationScoped}
 * instance. Thread-safe.
 *
 * <p><b>Two styles.</b>
 * <ul>
 *   <li>{@link #acquire(String)} / {@link #release(String)}: the lock is owned by the calling
 *       thread and is re-entrant (a nested {@code acquire} of the same key on the same thread
 *       increments a hold count; the lock is released when every {@code acquire} was matched by a
 *       {@code release}), like {@link java.util.concurrent.locks.ReentrantLock}. Release it on
 *       the thread that acquired it, in a {@code finally} block. A hold whose lease has run out
 *       (by the local clock) or was found lost is never re-entered: a thread that skipped a
 *       release gets an ERROR naming the key and the thread, and its next {@code acquire} asks
 *       Redis again. A watchdog hold whose thread ended without releasing is released by the
 *       watchdog, with an ERROR.</li>
 *   <li>{@link #lock(String)} / {@link #tryLock(String, Duration)}: return a {@link Lease}, owned
 *       by the lease itself, that any thread may extend or close; it carries a fencing token.
 *       Use it with try-with-resources or in asynchronous code.</li>
 * </ul>
 * Both styles also take several keys as one unit, in one canonical order that keeps callers from
 * deadlocking each other: {@link #lockAll(Collection, LockOptions)} (one {@link Lease} for the set) and
 * {@link #acquireAll(Collection, LockOptions)} (thread-owned, re-entrant per key).
 *
 * <p><b>Never proceeds without the lock.</b> Blocking calls wait at most the maximum wait
 * (default 5 s, {@code distributedmutex.wait}), woken as soon as the holder releases, and then
 * throw {@link LockNotAcquiredException}; when Redis cannot answer they throw
 * {@link LockUnavailableException} within the same bound (with {@code distributedmutex.replica-acks}
 * configured, a grant is followed by a step that waits for its replicas: the call may take up to
 * {@code distributedmutex.replica-ack-timeout} plus 10 s longer when Redis stops answering during
 * that step (5 s for the step beyond its timeout, 5 s for giving the grant back), and a grant too
 * few replicas acknowledged, or acknowledged with less than a third of its lease left, fails with
 * {@link LockUnavailableException}; the timeout must not exceed a third of the lease, else the
 * configuration, or a call with such a {@link LockOptions#withLease lease}, is refused with
 * {@link IllegalArgumentException}). A lock is kept
 * in Redis for its lease (default 60 s, {@code distributedmutex.lease}), so a holder that dies
 * frees it after at most that.
 *
 * <p><b>Interrupts.</b> Interrupting a thread that waits for a lock ends the wait with
 * {@link LockNotAcquiredException}, for the {@code try…} methods too (an interrupt is never
 * reported as plain contention), and keeps the thread's interrupt status; an attempt that may have
 * reached Redis meanwhile is given back, and what was taken is released before the call throws
 * (it waits at most 5 s for that).
 *
 * <p><b>Shutdown.</b> When the container stops, the adapter refuses new acquisitions, waits up to
 * {@code distributedmutex.shutdown-grace} (default 5 s) for holders still running to release, and
 * then leaves their locks to expire within their leases (a WARN names each): it never deletes a
 * lock whose holder may still be working, so no other instance starts the same work meanwhile.
 *
 * <p><b>Threads.</b> Stages the library hands to the application (from {@link Lease#closeAsync()},
 * {@link #lockAsync(String, LockOptions)} and its siblings, and asynchronous {@link Locked @Locked} methods) never complete on Redisson's I/O threads: on an
 * EE server they complete on its default {@code ManagedExecutorService}, elsewhere on the
 * library's own daemon threads.
 *
 * <p><b>Keys.</b> Non-null, not blank, at most {@value #MAX_KEY_LENGTH} characters, no control
 * characters, well-formed UTF-16 (no unpaired surrogate, which has no UTF-8 encoding, so two such
 * keys would share one Redis key); checked before any Redis call ({@link NullPointerException} /
 * {@link IllegalArgumentException}). The configured prefix ({@code distributedmutex.key-prefix})
 * is added by the library.
 */
public interface Adapter {

    /** The maximum length of a lock key, in characters, before the prefix is added. */
    int MAX_KEY_LENGTH = 512;

    /**
     * Takes the lock for {@code key} on behalf of the calling thread, waiting at most the
     * configured maximum wait. Re-entrant.
     *
     * @param key the lock key
     * @throws LockNotAcquiredException when somebody else held the lock for the whole wait
     * @throws LockUnavailableException when Redis could not answer
     */
    void acquire(String key);

    /**
     * {@link #acquire(String)} with a key formatted by {@code String.format(Locale.ROOT, format, args)}.
     *
     * @param format a {@link java.util.Formatter} format; it must use every argument
     * @param args   the format's arguments
     * @throws IllegalArgumentException when the format does not match its arguments
     */
    void acquiref(String format, Object... args);

    /**
     * {@link #acquire(String)} with per-call options.
     *
     * @param key     the lock key
     * @param options wait, lease and watchdog for this call
     * @throws LockNotAcquiredException when somebody else held the lock for the whole wait
     * @throws LockUnavailableException when Redis could not answer
     */
    void acquire(String key, LockOptions options);

    /**
     * Takes the lock for {@code key} on behalf of the calling thread with per-call options.
     *
     * @param key     the lock key
     * @param options wait, lease and watchdog for this call
     * @return {@code true} when the lock is now held by this thread, {@code false} when somebody
     *         else held it for the whole wait
     * @throws LockUnavailableException when Redis could not answer
     * @throws LockNotAcquiredException when the waiting thread was interrupted (its interrupt status stays set)
     */
    boolean tryAcquire(String key, LockOptions options);

    /**
     * Releases one hold of {@code key} by the calling thread; the lock is freed in Redis when the
     * last hold is released. Releasing a key this thread does not hold logs a WARN and deletes
     * nothing. Never throws for Redis failures (the lock then frees itself when its lease ends).
     *
     * @param key the lock key
     */
    void release(String key);

    /**
     * {@link #release(String)}, but when this is the last hold the lock is freed at once even if it
     * was taken with {@link LockOptions#withHoldAtLeast(Duration) holdAtLeast}: for work that failed
     * and should be retried without waiting out the minimum hold ({@link Locked @Locked} methods
     * release this way when they throw). Releasing an inner, re-entered hold only counts it down:
     * the last release decides.
     *
     * @param key the lock key
     */
    void releaseNow(String key);

    /**
     * {@link #release(String)} with a key formatted like {@link #acquiref(String, Object...)}.
     *
     * @param format a {@link java.util.Formatter} format; it must use every argument
     * @param args   the format's arguments
     */
    void releasef(String format, Object... args);

    /**
     * The fencing token of the lock the calling thread holds on {@code key} through
     * {@link #acquire(String)} or a synchronous {@link Locked @Locked} method, for passing to the
     * resource the lock protects (see {@link Lease#fencingToken()}). No Redis call.
     *
     * @param key the lock key
     * @return the token, or empty when the calling thread does not hold the lock
     */
    OptionalLong fencingToken(String key);

    /**
     * Takes the lock for {@code key} with the configured wait and lease.
     *
     * @param key the lock key
     * @return the held lease; close it to release
     * @throws LockNotAcquiredException when somebody else held the lock for the whole wait
     * @throws LockUnavailableException when Redis could not answer
     */
    Lease lock(String key);

    /**
     * Takes the lock for {@code key} with per-call options.
     *
     * @param key     the lock key
     * @param options wait, lease and watchdog for this call
     * @return the held lease; close it to release
     * @throws LockNotAcquiredException when somebody else held the lock for the whole wait
     * @throws LockUnavailableException when Redis could not answer
     */
    Lease lock(String key, LockOptions options);

    /**
     * Tries to take the lock for {@code key}, waiting at most {@code maxWait}.
     *
     * @param key     the lock key
     * @param maxWait how long to wait; zero makes exactly one attempt
     * @return the held lease, or empty when somebody else held the lock for the whole wait
     * @throws LockUnavailableException when Redis could not answer
     * @throws LockNotAcquiredException when the waiting thread was interrupted (its interrupt status stays set)
     */
    Optional<Lease> tryLock(String key, Duration maxWait);

    /**
     * {@link #tryLock(String, Duration)} with an explicit lease.
     *
     * @param key     the lock key
     * @param maxWait how long to wait; zero makes exactly one attempt
     * @param lease   how long Redis keeps the lock unless released or extended
     * @return the held lease, or empty when somebody else held the lock for the whole wait
     * @throws LockUnavailableException when Redis could not answer
     * @throws LockNotAcquiredException when the waiting thread was interrupted (its interrupt status stays set)
     */
    Optional<Lease> tryLock(String key, Duration maxWait, Duration lease);

    /**
     * Tries to take the lock for {@code key} with per-call options.
     *
     * @param key     the lock key
     * @param options wait, lease and watchdog for this call
     * @return the held lease, or empty when somebody else held the lock for the whole wait
     * @throws LockUnavailableException when Redis could not answer
     * @throws LockNotAcquiredException when the waiting thread was interrupted (its interrupt status stays set)
     */
    Optional<Lease> tryLock(String key, LockOptions options);

    // ---- non-blocking -------------------------------------------------------------------------------

    /**
     * Takes the lock for {@code key} without blocking the calling thread: the returned stage completes with the held
     * lease, or fails with the exception {@link #lock(String, LockOptions)} would throw. For event loops (Vert.x,
     * Quarkus' I/O threads) and for many waiters at once: a waiting acquisition holds no thread, only a timer and a
     * registration for release notifications.
     *
     * <pre>{@code
     * adapter.lockAsync("invoice:" + id, LockOptions.defaults())
     *         .thenCompose(lease -> send(invoice, lease.fencingToken()).whenComplete((ok, e) -> lease.closeAsync()));
     * }</pre>
     *
     * <p>Every guarantee of the blocking call holds: the wait is bounded by the maximum wait of {@code options}, a
     * release anywhere wakes it, an attempt whose answer never came is given back, the lease carries its fencing
     * token and watchdog. The stage never completes on Redisson's I/O threads (see "Threads" above), so its
     * dependent actions may block.
     *
     * <p><b>Cancelling.</b> Cancelling the returned stage ({@code toCompletableFuture().cancel(...)}) before it
     * completed gives up the wait and gives back any grant the acquisition got meanwhile (also one whose answer
     * arrives after the cancel): nothing stays held. Completing it from outside is treated the same way. Once the
     * stage has completed with a lease, the lease is the caller's to close.
     *
     * @param key     the lock key
     * @param options wait, lease, watchdog and minimum hold for this call
     * @return completes with the held lease; fails with {@link LockNotAcquiredException} when somebody else held the
     *         lock for the whole wait, {@link LockUnavailableException} when Redis could not answer,
     *         {@link IllegalStateException} when the adapter is closed, and {@link IllegalArgumentException} when the
     *         options do not fit the configuration (as {@link #lock(String, LockOptions)} would throw); with
     *         {@link java.util.concurrent.CancellationException} when cancelled
     * @throws NullPointerException     when {@code key} or {@code options} is null
     * @throws IllegalArgumentException when {@code key} is not a valid key
     */
    CompletionStage<Lease> lockAsync(String key, LockOptions options);

    /**
     * {@link #lockAsync(String, LockOptions)} that completes with empty instead of failing when somebody else held
     * the lock for the whole wait.
     *
     * @param key     the lock key
     * @param options wait, lease, watchdog and minimum hold for this call
     * @return completes with the held lease, or empty; fails as {@link #lockAsync(String, LockOptions)} does
     *         otherwise
     * @throws NullPointerException     when {@code key} or {@code options} is null
     * @throws IllegalArgumentException when {@code key} is not a valid key
     */
    CompletionStage<Optional<Lease>> tryLockAsync(String key, LockOptions options);

    /**
     * {@link #lockAll(Collection, LockOptions)} without blocking the calling thread, with the stage, thread and
     * cancellation rules of {@link #lockAsync(String, LockOptions)}: nothing of the set stays held when it fails or
     * is cancelled.
     *
     * @param keys    the keys, as for {@link #lockAll(Collection, LockOptions)}
     * @param options wait, lease, watchdog and minimum hold for every key; the wait covers the whole set
     * @return completes with one lease holding every key; fails as {@link #lockAsync(String, LockOptions)} does
     * @throws NullPointerException     as for {@link #lockAll(Collection, LockOptions)}
     * @throws IllegalArgumentException as for {@link #lockAll(Collection, LockOptions)}
     */
    CompletionStage<Lease> lockAllAsync(Collection<String> keys, LockOptions options);

    /**
     * {@link #lockAllAsync(Collection, LockOptions)} that completes with empty instead of failing when one of the
     * locks was held by somebody else for the whole wait.
     *
     * @param keys    the keys, as for {@link #lockAll(Collection, LockOptions)}
     * @param options wait, lease, watchdog and minimum hold for every key
     * @return completes with the lease holding every key, or empty; fails as {@link #lockAsync(String, LockOptions)}
     *         does otherwise
     * @throws NullPointerException     as for {@link #lockAll(Collection, LockOptions)}
     * @throws IllegalArgumentException as for {@link #lockAll(Collection, LockOptions)}
     */
    CompletionStage<Optional<Lease>> tryLockAllAsync(Collection<String> keys,
                                                                          LockOptions options);

    // ---- several keys -------------------------------------------------------------------------------

    /**
     * Takes the locks of several keys as one unit and returns one {@link Lease} that holds them all, for work
     * that needs them together (a transfer between two accounts). Waits up to the maximum wait of
     * {@code options} for the whole set.
     *
     * <pre>{@code
     * try (Lease both = adapter.lockAll(List.of("account:" + from, "account:" + to), LockOptions.defaults())) {
     *     transfer(from, to, amount, both.fencingToken("account:" + from), both.fencingToken("account:" + to));
     * }
     * }</pre>
     *
     * <p><b>No deadlock between sets.</b> Every caller, in every process, takes the keys in one canonical order,
     * whatever order it gives them in: by Redis Cluster hash slot, then by the bytes of the key. The locks that
     * one Lua script can take together are taken together, all or none: on a server that is not a cluster
     * (single server, Sentinel, master and replicas) the whole set in one script, one round trip per attempt; on
     * a Redis Cluster the keys of each slot in one script, slot after slot, holding the slots already taken
     * while waiting for the next. So two callers locking {@code [A, B]} and {@code [B, A]} never wait for each
     * other in a cycle. This covers one call: a lock the caller already holds outside it (through another
     * lease or {@link #acquire(String)}) is not part of the order, and nesting calls in opposite orders can
     * still wait for each other until the bounded wait ends.
     *
     * <p><b>All or nothing.</b> When the wait runs out, Redis fails, the thread is interrupted or the adapter
     * closes, every lock of the set taken so far is released before the call throws: nothing of the set stays
     * held. The exception's {@link DistributedMutexException#key() key} is the key that was still held by
     * somebody else (or the one being waited for), and {@link LockNotAcquiredException} names its holder.
     *
     * <p><b>Leases.</b> Every key gets the lease, watchdog and minimum hold of {@code options}. When the set
     * takes more than one script (on a cluster), every key taken before the last script is extended to the whole
     * lease once the last one is granted (owner-checked, all at once: one more round trip), so every key of the
     * returned set holds at least a lease from the return. Should one of them have run out meanwhile (the wait for
     * the later keys was longer than the lease), the set was never held whole: it is given back quietly and taken
     * again while the wait lasts; when the wait is over, the call fails like a contended one, and the exception's
     * key is the key that ran out (use a lease longer than the wait).
     *
     * <p><b>Fencing.</b> Each key's lock carries its own fencing token, exactly as if it had been locked alone:
     * {@link Lease#fencingToken(String)} returns it, and a resource that one key protects should be given that
     * key's token. Keys granted by one script share one token (one {@code TIME} read), so on a server that is not
     * a cluster every key of the set has the same token, and {@link Lease#fencingToken()} returns it. On a Redis
     * Cluster, keys in different slots are granted by different scripts, possibly on masters whose clocks
     * differ, and no one token is safe for all of them (docs/guarantees.md, "Several keys at once"):
     * {@link Lease#fencingToken()} then throws {@link IllegalStateException}, and each resource must be given
     * its own key's token.
     *
     * <p><b>Not re-entrant</b>, like {@link #lock(String)}: a key the caller already holds through another lease
     * or through {@link #acquire(String)} is waited for like any other holder's. {@link #acquireAll} is the
     * thread-owned, re-entrant form.
     *
     * @param keys    the keys, in any order; at least one, distinct, each valid as for {@link #lock(String)}
     * @param options wait, lease, watchdog and minimum hold for every key; the wait covers the whole set
     * @return one lease holding every key; closing it releases all of them
     * @throws NullPointerException     when {@code keys}, one of its elements or {@code options} is null, before
     *                                  any Redis call
     * @throws IllegalArgumentException when {@code keys} is empty, contains a key twice or an invalid key, before
     *                                  any Redis call
     * @throws LockNotAcquiredException when one of the locks was held by somebody else for the whole wait, or the
     *                                  thread was interrupted; nothing of the set is held
     * @throws LockUnavailableException when Redis could not answer; nothing of the set is held
     */
    Lease lockAll(Collection<String> keys, LockOptions options);

    /**
     * {@link #lockAll(Collection, LockOptions)} that returns empty instead of throwing when one of the locks was
     * held by somebody else for the whole wait; nothing of the set is held then.
     *
     * @param keys    the keys, as for {@link #lockAll(Collection, LockOptions)}
     * @param options wait, lease, watchdog and minimum hold for every key
     * @return the lease holding every key, or empty
     * @throws NullPointerException     as for {@link #lockAll(Collection, LockOptions)}
     * @throws IllegalArgumentException as for {@link #lockAll(Collection, LockOptions)}
     * @throws LockUnavailableException when Redis could not answer; nothing of the set is held
     * @throws LockNotAcquiredException when the waiting thread was interrupted (its interrupt status stays set)
     */
    Optional<Lease> tryLockAll(Collection<String> keys, LockOptions options);

    /**
     * Takes the locks of several keys on behalf of the calling thread, like {@link #acquire(String, LockOptions)}
     * for each, but as one unit in the canonical order of {@link #lockAll(Collection, LockOptions)} (all or none,
     * the wait covering the set). Re-entrant per key: a key the calling thread already holds through
     * {@link #acquire(String)}, {@code acquireAll} or a synchronous {@link Locked @Locked} method is re-entered
     * (no Redis call, its hold count goes up) and the others are taken as one set. Release each key with
     * {@link #release(String)}, or all with {@link #releaseAll(Collection)}; {@link #fencingToken(String)}
     * gives each key's token.
     *
     * @param keys    the keys, as for {@link #lockAll(Collection, LockOptions)}
     * @param options wait, lease, watchdog and minimum hold for every key taken
     * @throws NullPointerException     as for {@link #lockAll(Collection, LockOptions)}
     * @throws IllegalArgumentException as for {@link #lockAll(Collection, LockOptions)}
     * @throws LockNotAcquiredException when one of the locks was held by somebody else for the whole wait, or the
     *                                  thread was interrupted; nothing of the set is held (re-entered keys are
     *                                  counted down again)
     * @throws LockUnavailableException when Redis could not answer; nothing of the set is held
     */
    void acquireAll(Collection<String> keys, LockOptions options);

    /**
     * {@link #acquireAll(Collection, LockOptions)} that returns {@code false} instead of throwing when one of the
     * locks was held by somebody else for the whole wait.
     *
     * @param keys    the keys, as for {@link #lockAll(Collection, LockOptions)}
     * @param options wait, lease, watchdog and minimum hold for every key taken
     * @return {@code true} when the calling thread now holds every key, {@code false} when it holds none of the
     *         set's new keys (re-entered keys are counted down again)
     * @throws LockUnavailableException when Redis could not answer
     * @throws LockNotAcquiredException when the waiting thread was interrupted (its interrupt status stays set)
     */
    boolean tryAcquireAll(Collection<String> keys, LockOptions options);

    /**
     * {@link #release(String)} for each key: one hold of each by the calling thread.
     *
     * @param keys the keys, as for {@link #lockAll(Collection, LockOptions)}
     * @throws NullPointerException     as for {@link #lockAll(Collection, LockOptions)}
     * @throws IllegalArgumentException as for {@link #lockAll(Collection, LockOptions)}
     */
    void releaseAll(Collection<String> keys);

    // ---- operations ---------------------------------------------------------------------------------

    /**
     * Reads the current state of the lock for {@code key} from Redis, for operations and incident
     * debugging: whoever holds it, in any instance. One Redis round trip (a read-only script on
     * the node that owns the key), no lock taken, nothing changed; a lock held by this instance is
     * read from Redis like any other.
     *
     * <pre>{@code
     * adapter.inspect("job:42").ifPresentOrElse(
     *         info -> log.info("job:42 is held by {} (token {}) for {} more", info.instance(),
     *                 info.fencingToken(), info.remainingLease()),
     *         () -> log.info("job:42 is free"));
     * }</pre>
     *
     * @param key the lock key, with the same rules as {@link #lock(String)}
     * @return the lock's holder, or empty when the key is free; a lock released before its minimum
     *         hold ended is present with {@link LockInfo#releasedEarly()} set (it is still taken)
     * @throws NullPointerException     when {@code key} is null
     * @throws IllegalArgumentException when {@code key} is not a valid key, before any Redis call
     * @throws LockUnavailableException when Redis could not answer: the call waits for it at most 5 s, like
     *                                  {@link Lease#extend(Duration)} (up to 7 s while the library's own
     *                                  client is still making its first connection)
     * @throws IllegalStateException    when the adapter is closed
     */
    Optional<LockInfo> inspect(String key);

    /**
     * The locks this adapter holds now, from its own memory, without a Redis call: every open
     * {@link Lease} and every thread-owned hold (one entry per key and thread, however often it was
     * re-entered), that has not been found lost and whose lease has not run out by the local clock.
     * {@link LockInfo#remainingLease()} is the local clock's conservative estimate (measured from
     * when the last acquisition or renewal was sent); {@link LockInfo#releasedEarly()} is always
     * {@code false}. Ordered by key, then fencing token.
     *
     * @return a snapshot; empty when nothing is held
     */
    List<LockInfo> heldLocally();
}
