package io.github.distributedmutex;

import java.time.Duration;

/**
 * The bounded wait for a lock ran out because somebody else held it the whole time (or the
 * waiting thread was interrupted). The protected code did not run.
 */
public class LockNotAcquiredException extends DistributedMutexException {

    private static final long serialVersionUID = 1L;

    private final Duration waited;

    /**
     * @param key     the lock key
     * @param waited  how long the caller waited before giving up
     * @param message what went wrong
     */
    public LockNotAcquiredException(String key, Duration waited, String message) {
        super(key, message, null);
        this.waited = waited;
    }

    /** @return how long the caller waited before giving up */
    public Duration waited() {
        return waited;
    }
}
