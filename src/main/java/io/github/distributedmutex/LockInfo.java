package io.github.distributedmutex;

import java.time.Duration;
import java.util.Objects;

/**
 * A snapshot of one held lock, for operations: who holds it, with which fencing token, for how much
 * longer. Returned by {@link Adapter#inspect(String)} (read from Redis) and
 * {@link Adapter#heldLocally()} (this instance's own view, no Redis call). A snapshot is not a
 * lock: by the time you read it the lock may have been released, expired or taken by someone else.
 *
 * <p><b>Owner ids.</b> Every acquisition writes a unique owner id into the lock:
 * {@code <instance name>#<adapter>:<sequence>}, for example {@code 12345@web-1#3f9a0c1b2d4e5f60:17},
 * where the instance name is {@code distributedmutex.instance-name} (default: the process id and
 * the host name, {@code <pid>@<host>}), the adapter part is 16 hex digits drawn once per
 * {@link Adapter}, and the sequence counts that adapter's acquisitions. {@link #instance()} is the
 * instance name read back from it (from the right, so instance names may contain {@code ':'} or
 * {@code '#'}).
 *
 * <p><b>Released before the minimum hold.</b> A lock released before its
 * {@linkplain LockOptions#withHoldAtLeast(Duration) minimum hold} ended stays taken, by nobody,
 * until then: {@link #releasedEarly()} is {@code true}, {@link #owner()} and
 * {@link #fencingToken()} are those of the holder that released it, and {@link #remainingLease()}
 * is what is left of the minimum hold. Nobody can extend or release it; it frees itself.
 *
 * @param key            the lock key as the application gave it (without the configured prefix)
 * @param owner          the holder's owner id (see above)
 * @param instance       the name of the application instance that holds (or, when
 *                       {@link #releasedEarly()}, held) the lock, read from the owner id;
 *                       {@code ""} when the owner id is not in this library's format (for example
 *                       one written by an older version)
 * @param fencingToken   the holder's {@linkplain Lease#fencingToken() fencing token}
 * @param remainingLease how long until the lock frees itself unless it is extended or renewed:
 *                       Redis's remaining time to live for {@link Adapter#inspect(String)}, this
 *                       instance's conservative local estimate for {@link Adapter#heldLocally()};
 *                       never negative, except {@code -1 ms} for a Redis key without expiry, which
 *                       this library never writes (somebody ran {@code PERSIST} on it)
 * @param waiters        how many threads of <em>this</em> application instance (this
 *                       {@link Adapter}) wait for the key right now; waiters in other instances
 *                       are not known here and not counted, so {@code 0} means "none known".
 *                       Redis keeps no per-key count of waiters: they share one release channel
 *                       per key prefix, so {@code PUBSUB NUMSUB} counts subscribed instances, not
 *                       waiters of a key
 * @param releasedEarly  whether the holder already released the lock before its minimum hold
 *                       ended, so that it stays taken by nobody for {@link #remainingLease()}
 *                       (always {@code false} in {@link Adapter#heldLocally()})
 */
public record LockInfo(String key, String owner, String instance, long fencingToken, Duration remainingLease,
                       int waiters, boolean releasedEarly) {

    /**
     * @throws NullPointerException     when {@code key}, {@code owner}, {@code instance} or
     *                                  {@code remainingLease} is null
     * @throws IllegalArgumentException when {@code waiters} is negative
     */
    public LockInfo {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(remainingLease, "remainingLease");
        if (waiters < 0) {
            throw new IllegalArgumentException("waiters must not be negative, was " + waiters);
        }
    }
}
