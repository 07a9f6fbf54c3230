package io.github.distributedmutex;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * One held distributed lock, returned by {@link Adapter#lock(String)} and
 * {@link Adapter#tryLock(String, Duration)}.
 *
 * <p><b>Ownership.</b> A lease is owned by the lease object itself, not by a thread: it may be
 * extended and closed from any thread, including virtual threads and {@code CompletionStage}
 * continuations. Leases are not re-entrant: asking for a second lease on a key whose lease you
 * hold waits like any other caller.
 *
 * <p><b>Expiry.</b> The lock is held in Redis for the lease duration. If the holder neither
 * closes nor {@linkplain #extend(Duration) extends} it in time (or the watchdog of a
 * {@linkplain LockOptions#withWatchdog(boolean) watchdog lease} cannot renew it), Redis frees it
 * and another caller may take it. Closing such a lease deletes nothing that belongs to the new
 * holder and is reported as an ERROR, because mutual exclusion may have been broken.
 *
 * <p><b>Fencing.</b> {@link #fencingToken()} lets a resource reject writes from a holder that
 * lost its lease without knowing it (for example after a long GC pause): pass the token with
 * every write and have the resource refuse a token lower than the highest it has seen.
 *
 * <p><b>Several keys.</b> A lease from {@link Adapter#lockAll(Collection, LockOptions)} holds one lock per key
 * ({@link #keys()}): {@link #isHeld()} is true only while every one is held, {@link #extend(Duration)}
 * extends each one still held and is true only when all were, and {@link #close()} (and its variants) releases
 * all of them, idempotently, from any thread.
 *
 * <p>Use it with try-with-resources:
 * <pre>{@code
 * try (Lease lease = adapter.lock("job:42")) {
 *     process(job, lease.fencingToken());
 * }
 * }</pre>
 */
public interface Lease extends AutoCloseable {

    /**
     * @return the lock key as the application gave it (without the configured prefix); for a lease of several
     *         keys ({@link Adapter#lockAll(Collection, LockOptions)}), its {@link #keys()} joined by
     *         {@code ", "}, for log lines (use {@link #keys()} to tell them apart)
     */
    String key();

    /**
     * @return the keys this lease holds, as the application gave them: {@code List.of(key())} for one key; for
     *         a lease of several keys, all of them in the canonical order they were locked in (see
     *         {@link Adapter#lockAll(Collection, LockOptions)})
     */
    default List<String> keys() {
        return List.of(key());
    }

    /**
     * A number that is strictly greater than the token of every earlier acquisition of the same
     * key, across all processes and threads, under the assumptions documented in docs/guarantees.md
     * (the Redis server clock does not step backwards). Stays the same for the life of this lease.
     *
     * <p>For a lease of several keys ({@link Adapter#lockAll(Collection, LockOptions)}) this is the one token all
     * its keys share when one Redis script granted them all: always on a server that is not a cluster, and on a
     * Redis Cluster when every key is in one hash slot. When the keys were granted by several scripts (several
     * Cluster slots, possibly on masters whose clocks differ) there is no one token that is safe for all of them,
     * and this method throws: use {@link #fencingToken(String)} for the resource each key protects.
     *
     * @return this lease's fencing token
     * @throws IllegalStateException for a lease of several keys granted by more than one script (their tokens
     *                               differ), with a message pointing to {@link #fencingToken(String)}
     */
    long fencingToken();

    /**
     * The fencing token of one key of this lease: for a lease of several keys, the token that key was granted
     * with, for the resource that only that key protects (see {@link Adapter#lockAll(Collection, LockOptions)},
     * "Fencing"); for a lease of one key, {@link #fencingToken()}.
     *
     * @param key one of {@link #keys()}
     * @return the token of that key's lock
     * @throws IllegalArgumentException when {@code key} is not one of {@link #keys()}
     */
    default long fencingToken(String key) {
        if (!key().equals(key)) {
            throw new IllegalArgumentException("lock key '" + key + "' is not this lease's key '" + key() + "'");
        }
        return fencingToken();
    }

    /**
     * Asks Redis whether this lease still owns the lock.
     *
     * @return {@code false} once the lease was closed, expired, or the lock belongs to someone else; for several
     *         keys, once that is so for any of them (asked key by key, stopping at the first that is not held)
     * @throws LockUnavailableException when Redis cannot answer
     */
    boolean isHeld();

    /**
     * Sets the remaining time of this lease to {@code duration} from now, if this lease still
     * owns the lock.
     *
     * @param duration the new remaining lease time, at least 1 ms and at most
     *                 {@link LockOptions#MAX_LEASE}; a watchdog lease is renewed to this duration,
     *                 every third of it, from now on
     * @return {@code true} when extended; {@code false} when the lease was already closed or lost (for several
     *         keys: when any of them was; the others are extended all the same and stay held until closed)
     * @throws IllegalArgumentException when {@code duration} is shorter than 1 ms or longer than
     *                                  {@link LockOptions#MAX_LEASE}, before any Redis call (the
     *                                  lease stays as it was)
     * @throws LockUnavailableException when Redis cannot answer
     */
    boolean extend(Duration duration);

    /**
     * Releases the lock, if this lease still owns it. Idempotent; callable from any thread.
     * Never throws: when Redis cannot be reached the failure is logged and the lock frees itself
     * when its lease ends. A lease that expired before this call is logged as an ERROR naming the
     * key, the time it was held and the lease.
     */
    @Override
    void close();

    /**
     * Non-blocking form of {@link #close()}, for asynchronous code (for example to release from
     * a thread that must not block, such as an I/O event loop).
     *
     * @return a stage completed once the release finished (successfully or not), never on a
     *         Redisson I/O thread (see {@link Adapter}, "Threads"); it never completes exceptionally
     */
    CompletionStage<Void> closeAsync();

    /**
     * {@link #close()}, but frees the lock at once even when it was taken with
     * {@link LockOptions#withHoldAtLeast(Duration) holdAtLeast}: for work that failed and should be
     * retried, here or on another instance, without waiting out the minimum hold. Without a
     * minimum hold it is the same as {@link #close()}. Idempotent with {@link #close()}: whichever
     * comes first decides.
     */
    void closeNow();

    /**
     * Non-blocking form of {@link #closeNow()}, completed like {@link #closeAsync()}.
     *
     * @return a stage completed once the release finished (successfully or not); it never
     *         completes exceptionally
     */
    CompletionStage<Void> closeNowAsync();
}
