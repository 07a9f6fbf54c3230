package io.github.distributedmutex.internal.cdi;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.Locked;
import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Intercepted;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.inject.Inject;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.AroundTimeout;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Runs {@code @Locked} methods, and {@code @Locked} EJB timeout methods ({@code @Schedule},
 * {@code @Timeout}: the container calls those through {@code @AroundTimeout}, never through
 * {@code @AroundInvoke}), under their lock, with the same semantics for both. Synchronous
 * methods hold a thread-owned, re-entrant lock ({@link Adapter#acquire(String, io.github.distributedmutex.LockOptions)});
 * methods returning a {@code CompletionStage} hold a {@link Lease} that is closed when the stage
 * completes, on whichever thread completes it, before the caller sees the completion.
 *
 * <p>Priority {@code PLATFORM_BEFORE + 100}: outside {@code @Transactional} (+200), so the lock
 * is taken before a transaction begins and released after it ends.
 */
@Locked
@Interceptor
@Priority(Interceptor.Priority.PLATFORM_BEFORE + 100)
public class LockedInterceptor {

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
        String key = method.key().render(context.getParameters());
        if (method.returns() == LockedMethod.Returns.STAGE) {
            return lockUntilCompleted(context, method, key);
        }
        if (method.onContention() == Locked.OnContention.SKIP) {
            if (!adapter.tryAcquire(key, method.options())) {
                return method.returns().skipped();
            }
        } else {
            adapter.acquire(key, method.options());
        }
        try {
            return LockContext.proceed(context, key, adapter.fencingToken(key));
        } finally {
            adapter.release(key);
        }
    }

    private Object lockUntilCompleted(InvocationContext context, LockedMethod method, String key) throws Exception {
        Optional<Lease> acquired = method.onContention() == Locked.OnContention.SKIP
                ? adapter.tryLock(key, method.options())
                : Optional.of(adapter.lock(key, method.options()));
        if (acquired.isEmpty()) {
            return method.returns().skipped();
        }
        Lease lease = acquired.get();
        Object result;
        try {
            result = LockContext.proceed(context, lease);
        } catch (Exception | Error e) {
            lease.close();
            throw e;
        }
        if (result == null) {
            lease.close();
            return null;
        }
        CompletableFuture<Object> released = new CompletableFuture<>();
        ((CompletionStage<?>) result).whenComplete((value, failure) -> lease.closeAsync().whenComplete((ok, never) -> {
            if (failure != null) {
                released.completeExceptionally(failure);
            } else {
                released.complete(value);
            }
        }));
        return released;
    }
}
