package io.github.distributedmutex;

import java.time.Duration;
import java.util.Optional;

/**
 * The bounded wait for a lock ran out because somebody else held it the whole time (or the
 * waiting thread was interrupted). The protected code did not run.
 *
 * <p><b>Whom it waited for.</b> When the wait ran out, the exception names the holder as the last
 * refused attempt found it in Redis, read by the same script that refused it (no extra round
 * trip): {@link #holderInstance()} (the {@code distributedmutex.instance-name} in the holder's
 * owner id), {@link #holderOwner()} (the whole owner id), {@link #holderHeld()} (how long ago the
 * holder was granted the lock, measured on the Redis server's clock: its {@code TIME} minus the
 * holder's fencing token, which is the grant's {@code TIME}; a renewal or {@code extend} does not
 * reset it) and {@link #holderRemainingLease()} (the lock's remaining time to live, {@code PTTL},
 * at that moment). These describe the holder at the last attempt, a moment before the exception
 * was thrown; by the time it is read the lock may have changed hands. They are empty when the
 * wait ended by an interrupt, or when the last attempt was refused for another reason than a
 * holder (an abandoned attempt of this caller). For a set of keys
 * ({@link Adapter#lockAll(java.util.Collection, LockOptions)}), {@link #key()} is the key that was
 * still held when the wait ran out and the holder is that key's; or, when a key of the set ran out
 * while the rest was waited for and the wait ended before the set could be taken again, that key
 * (without a holder).
 */
public class LockNotAcquiredException extends DistributedMutexException {

    private static final long serialVersionUID = 2L;

    private final Duration waited;
    private final String holderOwner;
    private final String holderInstance;
    private final Duration holderHeld;
    private final Duration holderRemainingLease;

    /**
     * Without anything known about the holder.
     *
     * @param key     the lock key
     * @param waited  how long the caller waited before giving up
     * @param message what went wrong
     */
    public LockNotAcquiredException(String key, Duration waited, String message) {
        this(key, waited, message, null, null, null, null);
    }

    /**
     * @param key                  the lock key
     * @param waited               how long the caller waited before giving up
     * @param message              what went wrong
     * @param holderOwner          the holder's owner id, null when unknown
     * @param holderInstance       the holder's instance name, null when unknown or not in the owner id
     * @param holderHeld           how long the holder had held the lock, null when unknown
     * @param holderRemainingLease the holder's remaining lease, null when unknown
     */
    public LockNotAcquiredException(String key, Duration waited, String message, String holderOwner,
                                    String holderInstance, Duration holderHeld, Duration holderRemainingLease) {
        super(key, message, null);
        this.waited = waited;
        this.holderOwner = holderOwner;
        this.holderInstance = holderInstance;
        this.holderHeld = holderHeld;
        this.holderRemainingLease = holderRemainingLease;
    }

    /** @return how long the caller waited before giving up */
    public Duration waited() {
        return waited;
    }

    /**
     * @return the name of the application instance that held the lock ({@code distributedmutex.instance-name},
     *         read from the owner id), empty when unknown (see the class comment)
     */
    public Optional<String> holderInstance() {
        return Optional.ofNullable(holderInstance);
    }

    /** @return the holder's whole owner id ({@code <instance>#<adapter>:<sequence>}, see {@link LockInfo}), empty when unknown */
    public Optional<String> holderOwner() {
        return Optional.ofNullable(holderOwner);
    }

    /**
     * @return the time from the holder's grant to the last refused attempt, on the Redis server's clock (renewals
     *         not counted as new grants), empty when unknown. For a lock its holder released before its minimum
     *         hold ({@link LockOptions#withHoldAtLeast(Duration)}), which stays taken by nobody until that hold
     *         ends, it is still the time since the grant, <em>not</em> how long the holder kept it: Redis records
     *         no release time, only that it was released early (the message says so)
     */
    public Optional<Duration> holderHeld() {
        return Optional.ofNullable(holderHeld);
    }

    /** @return the holder's remaining lease when the last attempt was refused, empty when unknown */
    public Optional<Duration> holderRemainingLease() {
        return Optional.ofNullable(holderRemainingLease);
    }
}
