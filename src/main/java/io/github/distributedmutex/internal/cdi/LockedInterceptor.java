package io.github.distributedmutex.internal.cdi;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.Locked;
import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Intercepted;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.inject.Inject;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.AroundTimeout;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code @Locked} methods, and {@code @Locked} EJB timeout methods ({@code @Schedule},
 * {@code @Timeout}: the container calls those through {@code @AroundTimeout}, never through
 * {@code @AroundInvoke}), under their lock, with the same semantics for both. Synchronous
 * methods hold a thread-owned, re-entrant lock ({@link Adapter#acquire(String, io.github.distributedmutex.LockOptions)});
 * methods returning a {@code CompletionStage} hold a {@link Lease} that is closed when the stage
 * completes, on whichever thread completes it, before the caller sees the completion; methods returning Mutiny's
 * {@code Uni} return a {@code Uni} that takes such a lease without blocking each time it is subscribed, only then runs
 * the method, and closes the lease when the method's {@code Uni} terminates ({@link MutinyLocking}). With several key
 * templates ({@code @Locked(keys = ...)}) the rendered keys, each once, are taken as one unit the same two ways:
 * {@link Adapter#acquireAll} (thread-owned, re-entrant per key) or {@link Adapter#lockAll} (one lease).
 *
 * <p>A run that fails (the method throws, or its stage or {@code Uni} fails) frees the lock at
 * once, without the minimum hold ({@code holdAtLeast}): the hold is there to stop other nodes from
 * repeating a tick that ran, not to stop the container's retry of one that failed ({@link RunOutcome}).
 *
 * <p>Under a Jakarta Concurrency {@code @Asynchronous} method the container's interceptor runs first and
 * calls this one per execution; the stage the method returns is handed back unchanged (the container
 * completes the caller's future from it), and for a scheduled ({@code runAt}) method a skip returns
 * {@code null} and an unreachable Redis skips the execution with a WARN, because anything else would end
 * the schedule.
 *
 * <p>Priority {@code PLATFORM_BEFORE + 100}: outside {@code @Transactional} (+200), so the lock
 * is taken before a transaction begins and released after it ends.
 */
@Locked
@Interceptor
@Priority(Interceptor.Priority.PLATFORM_BEFORE + 100)
public class LockedInterceptor {

    private static final Logger LOG = LoggerFactory.getLogger(LockedInterceptor.class);

    private final Adapter adapter;
    private final LockedMethodRegistry registry;
    private final Class<?> beanClass;

    /**
     * @param adapter  the application's adapter
     * @param registry the compiled methods
     * @param bean     the intercepted bean (its class names the default key)
     */
    @Inject
    public LockedInterceptor(Adapter adapter, LockedMethodRegistry registry, @Intercepted Bean<?> bean) {
        this.adapter = adapter;
        this.registry = registry;
        this.beanClass = bean.getBeanClass();
    }

    /**
     * @param context the invocation
     * @return the method's result, or the skip value when the lock was busy and the policy is SKIP
     * @throws Exception whatever the method throws, or the library's exceptions when there is no lock
     */
    @AroundInvoke
    public Object lock(InvocationContext context) throws Exception {
        return lockAround(context);
    }

    /**
     * The same as {@link #lock(InvocationContext)} for an EJB timer callback: a {@code @Schedule}
     * or {@code @Timeout} method, or {@code TimedObject.ejbTimeout}. Its {@code jakarta.ejb.Timer}
     * parameter, if any, is a parameter like any other for the key template.
     *
     * @param context the timer callback
     * @return the method's result ({@code null} for a timeout method, which returns {@code void})
     * @throws Exception whatever the method throws, or the library's exceptions when there is no lock
     */
    @AroundTimeout
    public Object lockTimeout(InvocationContext context) throws Exception {
        return lockAround(context);
    }

    private Object lockAround(InvocationContext context) throws Exception {
        LockedMethod method = registry.get(beanClass, context.getMethod());
        List<String> keys = method.render(context.getParameters());
        if (method.returns() == LockedMethod.Returns.STAGE) {
            return lockUntilCompleted(context, method, keys);
        }
        if (method.returns().uni()) {
            return lockOnSubscription(context, method, keys);
        }
        boolean acquired;
        boolean skip = method.onContention() == Locked.OnContention.SKIP;
        try {
            if (keys.size() == 1) {
                acquired = skip ? adapter.tryAcquire(keys.get(0), method.options())
                        : acquire(keys.get(0), method.options());
            } else {
                acquired = skip ? adapter.tryAcquireAll(keys, method.options()) : acquireAll(keys, method.options());
            }
        } catch (LockUnavailableException e) {
            return skipScheduledExecution(method, String.join(", ", keys), e);
        }
        if (!acquired) {
            return method.skipped();
        }
        Object result;
        try {
            result = LockContext.proceed(context, keys, adapter::fencingToken);
        } catch (Exception | Error e) {
            keys.forEach(adapter::releaseNow); // a failed run may be retried at once: no minimum hold
            throw e;
        }
        keys.forEach(adapter::release);
        return result;
    }

    private boolean acquire(String key, LockOptions options) {
        adapter.acquire(key, options);
        return true;
    }

    private boolean acquireAll(List<String> keys, LockOptions options) {
        adapter.acquireAll(keys, options);
        return true;
    }

    private Object lockUntilCompleted(InvocationContext context, LockedMethod method, List<String> keys)
            throws Exception {
        Optional<Lease> acquired;
        boolean skip = method.onContention() == Locked.OnContention.SKIP;
        try {
            if (keys.size() == 1) {
                acquired = skip ? adapter.tryLock(keys.get(0), method.options())
                        : Optional.of(adapter.lock(keys.get(0), method.options()));
            } else {
                acquired = skip ? adapter.tryLockAll(keys, method.options())
                        : Optional.of(adapter.lockAll(keys, method.options()));
            }
        } catch (LockUnavailableException e) {
            return skipScheduledExecution(method, String.join(", ", keys), e);
        }
        if (acquired.isEmpty()) {
            return method.skipped();
        }
        Lease lease = acquired.get();
        Object result;
        try {
            result = proceed(context, keys, lease);
        } catch (Exception | Error e) {
            lease.closeNow();
            throw e;
        }
        if (result == null) {
            lease.close();
            return null;
        }
        CompletionStage<?> stage = (CompletionStage<?>) result;
        if (method.asynchronous() != LockedMethod.Asynchronous.NONE) {
            // a Concurrency container completes the caller's future from this very stage (or ends a schedule
            // on it): hand it back unchanged, the lock is released when it completes
            stage.whenComplete((value, failure) -> RunOutcome.of(failure).release(lease));
            return result;
        }
        CompletableFuture<Object> released = new CompletableFuture<>();
        stage.whenComplete((value, failure) -> RunOutcome.of(failure).release(lease).whenComplete((ok, never) -> {
            if (failure != null) {
                released.completeExceptionally(failure);
            } else {
                released.complete(value);
            }
        }));
        return released;
    }

    /**
     * A {@code Uni} that takes the lock without blocking whenever it is subscribed, then runs the method under it
     * ({@link MutinyLocking}); only this method touches that class, so Mutiny is loaded for such methods only.
     */
    private Object lockOnSubscription(InvocationContext context, LockedMethod method, List<String> keys) {
        LockOptions options = method.options();
        MutinyLocking.Body body = lease -> proceed(context, keys, lease);
        if (method.onContention() == Locked.OnContention.SKIP) {
            Supplier<CompletionStage<Optional<Lease>>> tryLock = keys.size() == 1
                    ? () -> adapter.tryLockAsync(keys.get(0), options)
                    : () -> adapter.tryLockAllAsync(keys, options);
            return MutinyLocking.lockOnSubscription(tryLock, Function.identity(), method.returns().skippedItem(), body);
        }
        Supplier<CompletionStage<Lease>> lock = keys.size() == 1
                ? () -> adapter.lockAsync(keys.get(0), options)
                : () -> adapter.lockAllAsync(keys, options);
        return MutinyLocking.lockOnSubscription(lock, Optional::of, null, body);
    }

    /** Runs the method with the MDC of {@code lease}, which holds {@code keys}. */
    private static Object proceed(InvocationContext context, List<String> keys, Lease lease) throws Exception {
        return LockContext.proceed(context, keys, key -> OptionalLong.of(lease.fencingToken(key)));
    }

    /**
     * A scheduled Concurrency execution that cannot reach Redis is skipped, not failed: an exception would end
     * the schedule of this instance for good, while the next tick may find Redis back.
     */
    private static Object skipScheduledExecution(LockedMethod method, String key, LockUnavailableException e) {
        if (method.asynchronous() != LockedMethod.Asynchronous.RUN_AT) {
            throw e;
        }
        LOG.warn("Scheduled execution of @Locked '{}' skipped, the schedule goes on: {}", key, e.getMessage());
        return null;
    }
}
