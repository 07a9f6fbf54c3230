package io.github.distributedmutex;

/**
 * Redis could not be reached, did not answer in time, or answered with an error, so the lock
 * could be neither granted nor refused; or, with {@code distributedmutex.replica-acks} configured,
 * the lock was granted but fewer replicas than required acknowledged it in time, so it was given
 * back rather than held where a failover could lose it. The protected code did not run.
 *
 * <p>The library keeps working: once Redis answers again, the next call succeeds without a
 * restart. The message names the key and the kind of failure, never a password or a connection
 * URL with credentials.
 */
public class LockUnavailableException extends DistributedMutexException {

    private static final long serialVersionUID = 1L;

    /**
     * @param key     the lock key, may be null when the failure is not about one key
     * @param message what went wrong
     * @param cause   the underlying failure (already stripped of credentials), may be null
     */
    public LockUnavailableException(String key, String message, Throwable cause) {
        super(key, message, cause);
    }
}
