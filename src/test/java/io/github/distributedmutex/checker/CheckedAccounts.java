package io.github.distributedmutex.checker;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.Locked;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.function.LongFunction;

/**
 * The checker worker's CDI bean: two ways into the same critical section on the lock
 * {@code acct:<account>}, the declarative one and the programmatic one. Both run {@code body} with
 * the fencing token while the lock is held and return what it returns.
 *
 * <p>Contract: when either method calls {@code body}, this process holds the lock {@code acct:<account>}
 * (with the configured wait and lease) and keeps holding it until {@code body} returns or throws. When
 * the lock cannot be had, {@code body} does not run and the library's {@code LockNotAcquiredException}
 * or {@code LockUnavailableException} propagates.
 */
@ApplicationScoped
public class CheckedAccounts {

    /** What every lock key of this bean starts with. */
    public static final String LOCK_PREFIX = "acct:";

    @Inject
    Adapter adapter;

    /**
     * The lock of an account.
     *
     * @param account the account, for example {@code 0}
     * @return its lock key, {@code acct:<account>}
     */
    public static String lockKey(String account) {
        return LOCK_PREFIX + account;
    }

    /**
     * Runs {@code body} under a {@code @Locked} thread-owned lock; the token is the one
     * {@code Adapter.fencingToken(key)} reports for the calling thread.
     *
     * @param account the account whose lock to hold
     * @param body    the critical section, given the fencing token
     * @param <T>     what the body returns
     * @return what the body returned
     * @throws IllegalStateException when the interceptor ran the method without the thread holding the lock
     *                               (a library bug)
     */
    @Locked("acct:{account}")
    public <T> T viaAnnotation(String account, LongFunction<T> body) {
        String key = lockKey(account);
        long token = adapter.fencingToken(key).orElseThrow(() -> new IllegalStateException(
                "@Locked method runs but Adapter.fencingToken(\"" + key + "\") says the thread holds no lock"));
        return body.apply(token);
    }

    /**
     * Runs {@code body} under a {@link Lease} taken with {@code Adapter.lock(key)} and closed by
     * try-with-resources; the token is the lease's.
     *
     * @param account the account whose lock to hold
     * @param body    the critical section, given the fencing token
     * @param <T>     what the body returns
     * @return what the body returned
     */
    public <T> T viaLease(String account, LongFunction<T> body) {
        try (Lease lease = adapter.lock(lockKey(account))) {
            return body.apply(lease.fencingToken());
        }
    }
}
