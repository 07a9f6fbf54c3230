package io.github.distributedmutex;

import jakarta.enterprise.util.Nonbinding;
import jakarta.interceptor.InterceptorBinding;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the annotated method (or every business method of the annotated bean class) while
 * holding the distributed lock named by {@link #value()}. A method-level annotation wins over a
 * type-level one.
 *
 * <pre>{@code
 * @Locked("job:{jobId}")
 * public void process(long jobId) { ... }
 *
 * @Locked(value = "tenant:{tenant.id}:settings", maxWait = "0s", onContention = Locked.OnContention.SKIP)
 * public Optional<Report> refresh(Tenant tenant) { ... }
 * }</pre>
 *
 * <p><b>Key template.</b> {@code {0}} is the first parameter, {@code {name}} the parameter called
 * {@code name} (compile with {@code -parameters}), {@code {name.prop}} reads {@code getProp()},
 * {@code isProp()} or the record component {@code prop()}, and can be chained. An empty template
 * means {@code <bean class name>.<method name>}. A null value in the path fails the call with
 * an {@link IllegalArgumentException} before any lock is taken. Templates, durations and return
 * types are checked when the application deploys: a mistake fails the deployment and names the
 * method.
 *
 * <p><b>Order.</b> The interceptor runs at priority {@code Interceptor.Priority.PLATFORM_BEFORE + 100},
 * so the lock is taken before a {@code @Transactional} transaction begins and released after it
 * ends. No {@code beans.xml} entry is needed.
 *
 * <p><b>Asynchronous methods.</b> A method returning {@code CompletionStage} or
 * {@code CompletableFuture} holds the lock until the returned stage completes; the lock is
 * released from whichever thread completes it, and the stage the caller receives completes after
 * the release. Synchronous methods hold the lock for the calling thread and are re-entrant.
 */
@InterceptorBinding
@Inherited
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Locked {

    /** @return the key template; empty for a key derived from the bean class and method */
    @Nonbinding
    String value() default "";

    /**
     * @return the maximum wait, as {@code 5s}, {@code 250ms}, {@code 1m} or ISO-8601
     *         ({@code PT5S}); {@code 0s} makes one attempt; empty for {@code distributedmutex.wait}
     */
    @Nonbinding
    String maxWait() default "";

    /** @return the lease, in the same syntax as {@link #maxWait()}; empty for {@code distributedmutex.lease} */
    @Nonbinding
    String lease() default "";

    /** @return whether a watchdog renews the lease while the method runs (see {@link LockOptions#withWatchdog(boolean)}) */
    @Nonbinding
    boolean watchdog() default false;

    /** @return what happens when the lock is still held by somebody else when the wait ends */
    @Nonbinding
    OnContention onContention() default OnContention.THROW;

    /** What a {@link Locked} method does when it cannot get the lock within its wait. */
    enum OnContention {
        /** Throw {@link LockNotAcquiredException}; the method does not run. The default. */
        THROW,
        /**
         * Do not run the method and return {@code null} (for {@code void} and reference types),
         * {@code Optional.empty()} (for {@code Optional}) or an already completed stage holding
         * {@code null} (for {@code CompletionStage} / {@code CompletableFuture}). Methods that
         * return a primitive cannot be skipped: that is a deployment error.
         */
        SKIP
    }
}
