package io.github.distributedmutex;

/**
 * Common base of the exceptions this library throws when a lock cannot be provided.
 *
 * <p>Unchecked, so that code protected by a lock does not run when the lock is missing, without
 * forcing every caller to declare it. Messages name the lock key and never contain credentials.
 * Catch this type to handle both "somebody else holds the lock" and "Redis could not answer".
 */
public class DistributedMutexException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String key;

    /**
     * @param key     the lock key the failure concerns (without the configured prefix), may be null
     * @param message what went wrong
     * @param cause   the underlying failure, may be null
     */
    public DistributedMutexException(String key, String message, Throwable cause) {
        super(message, cause);
        this.key = key;
    }

    /** @return the lock key this failure concerns, as the application gave it (without the prefix) */
    public String key() {
        return key;
    }
}
