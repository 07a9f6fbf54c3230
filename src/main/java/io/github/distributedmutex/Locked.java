package io.github.distributedmutex;

import jakarta.enterprise.util.Nonbinding;
import jakarta.interceptor.InterceptorBinding;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.time.Duration;

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
 * an {@link IllegalArgumentException} before any lock is taken. The rendered key may contain
 * braces ({@code "job:{42}"} is fine, also on Redis Cluster).
 *
 * <p><b>Key values must identify themselves.</b> Each placeholder's value enters the key through
 * its {@code toString()}: strings, numbers, {@code UUID}s, enums, records, temporals and classes
 * that override {@code toString()} are fine. A value whose {@code toString()} is
 * {@link Object#toString()}'s (an array, or an object of a class that does not override it)
 * renders as class name and identity hash code, a different key on every call, so nothing would
 * ever be excluded. Such a placeholder is a deployment error when its declared type (the type at
 * the end of its path) settles it: an array type, or a final class that does not override
 * {@code toString()}. Where the declared type does not settle it ({@code Object}, an interface, a
 * non-final class that does not override it), a value whose class uses {@code Object.toString()},
 * an array included, fails the call with an {@link IllegalArgumentException} naming the template,
 * the placeholder and the class, before any lock is taken. Use a property instead
 * ({@code {tenant.id}}).
 *
 * <p><b>Several keys.</b> {@link #keys()} names several key templates, for a method that needs several locks at
 * once (a transfer between two accounts); the method runs only once all of them are held, and they are taken as
 * one unit by {@link Adapter#acquireAll(java.util.Collection, LockOptions)} (synchronous methods: thread-owned and
 * re-entrant per key) or {@link Adapter#lockAll(java.util.Collection, LockOptions)} (methods returning a
 * {@code CompletionStage}; for a {@code Uni}, its non-blocking form
 * {@link Adapter#lockAllAsync(java.util.Collection, LockOptions)}): in one canonical order, so two methods locking
 * the same accounts in opposite parameter order never deadlock, all or none, the wait covering the set. Keys that render equal on a call (a
 * transfer from an account to itself) are locked once. Every other attribute applies to every key; inside the
 * method, {@code adapter.fencingToken(key)} gives each key's token, and the MDC's {@code distributedmutex.key}
 * holds the keys joined by {@code ", "} in the order of the templates, and {@code distributedmutex.token} their one
 * token when one Redis script granted them all (always on a server that is not a cluster); on a Redis Cluster set
 * over several slots the keys' tokens differ, no one of them is safe for all keys, and it is not set. A separate
 * element, not a {@code String[] value()}: changing the type of {@code value} would break every class already
 * compiled with {@code @Locked("...")} ({@code AnnotationTypeMismatchException} when its annotation is read),
 * while a new element keeps them, and their sources, working unchanged.
 *
 * <p><b>Deployment errors.</b> Templates, durations and return types are checked when the
 * application deploys (at build time on Quarkus); each of these fails the deployment with a
 * message that names the method: a placeholder that does not resolve (unknown name or position,
 * missing property, names not compiled with {@code -parameters}, unbalanced braces), a key value
 * type that cannot identify itself (above), an invalid {@link #maxWait()}, {@link #lease()} or
 * {@link #holdAtLeast()} (or a {@code holdAtLeast} longer than the {@code lease}), a static or
 * private method (timeout methods included), {@link OnContention#SKIP} on a method returning a
 * primitive, and an unsupported return type (below).
 *
 * <p><b>Timer callbacks.</b> {@code @Locked} also applies to EJB timeout methods:
 * {@code @Schedule}, {@code @Timeout} (programmatic timers) and {@code TimedObject.ejbTimeout}. The
 * container calls those through {@code @AroundTimeout}, which the interceptor implements with the
 * same semantics, template rules and contention policies as for business methods; a type-level
 * {@code @Locked} covers the class's timeout methods too. Every node of a cluster fires its own
 * timers, so for "once per cluster" use {@link OnContention#SKIP} with a short {@link #maxWait()}
 * and a {@link #holdAtLeast()} that covers the spread between the nodes' firings (clock skew,
 * trigger jitter), below the timer's period:
 * <pre>{@code
 * @Singleton
 * public class NightlyExport {
 *     @Schedule(hour = "2", persistent = false, info = "nightly-export")
 *     @Locked(value = "export:{timer.info}", onContention = Locked.OnContention.SKIP, maxWait = "0s",
 *             holdAtLeast = "5m", lease = "1h")
 *     void run(Timer timer) { ... }
 * }
 * }</pre>
 * A {@code jakarta.ejb.Timer} parameter may be left out of the template or read through its
 * properties ({@code {timer.info}}); a placeholder whose value is the {@code Timer} itself (or its
 * {@code TimerHandle}) is a deployment error, because its {@code toString()} differs between servers.
 * A private or static timeout method is a deployment error (make it package-private or more open).
 * With the default {@link OnContention#THROW}, a tick that does not get the lock throws
 * {@link LockNotAcquiredException} out of the timeout method: the container logs it and, as the
 * EJB specification asks for a failed timeout, may retry it, so that tick may run again once the
 * other node released the lock; use {@code SKIP} unless that is what you want. Timer callbacks
 * are tested on WildFly and Payara Micro.
 *
 * <p><b>Order.</b> The interceptor runs at priority {@code Interceptor.Priority.PLATFORM_BEFORE + 100},
 * so the lock is taken before a {@code @Transactional} transaction begins and released after it
 * ends. No {@code beans.xml} entry is needed. EJBs are different: their container-managed
 * transaction (the default {@code REQUIRED}, timeout methods included) begins before any
 * interceptor runs, so the lock is released before that transaction commits. Where that matters,
 * mark the EJB method {@code @TransactionAttribute(NOT_SUPPORTED)} and do the transactional work in
 * a {@code @Transactional} (or {@code REQUIRES_NEW}) method it calls; for such timeout methods the
 * deployment logs a WARN (see the scheduled-jobs guide).
 *
 * <p><b>Return types.</b> A method returning anything else than the types below holds the lock
 * while it runs: the lock is for the calling thread and re-entrant, and released when the method
 * returns or throws. A method returning {@code CompletionStage} or {@code CompletableFuture}
 * (declared exactly so; a subtype is a deployment error) holds the lock until the returned stage
 * completes; the lock is released from whichever thread completes it, and the stage the caller
 * receives completes after the release.
 *
 * <p>A method returning Mutiny's {@code io.smallrye.mutiny.Uni} (declared exactly so; a subtype is a
 * deployment error; Mutiny is on the class path on Quarkus, and the library needs it only for such methods)
 * returns at once a {@code Uni} that locks each time it is subscribed: it takes the lock without blocking
 * the subscribing thread (a Vert.x event loop may subscribe), then runs the method, body included, so work
 * the body does before returning its {@code Uni} is under the lock too, subscribes to the {@code Uni} the
 * method returned and holds the lock until that terminates; the subscriber gets the item or failure after
 * the release. Calling the method without subscribing takes no lock and runs nothing; every subscription
 * locks again and runs the method again. A failure of the method or of its {@code Uni} frees the lock at once,
 * without the minimum hold; cancelling the subscription while it waits ends the wait, and while the method's
 * {@code Uni} runs releases the lock (with its minimum hold, and a WARN, since work the method started may
 * still be running) and cancels that {@code Uni}. Contention with {@link OnContention#THROW} fails the
 * subscription with {@link LockNotAcquiredException}, not the call. The method and its {@code Uni} run on
 * the thread that ended the wait (never a Redisson I/O thread, not necessarily the subscriber's), with the
 * context Mutiny propagates; move work that must run on the caller's event loop there yourself. Such a
 * method cannot also be a Jakarta Concurrency {@code @Asynchronous} method, which may only return
 * {@code void}, {@code CompletionStage} or {@code CompletableFuture} (a deployment error).
 *
 * <p>Other asynchronous or lazy types are not supported yet
 * and are a deployment error, because the lock would be released when the method returns, before
 * the work they stand for runs: {@code java.util.concurrent.Future} (other than
 * {@code CompletableFuture}), {@code java.util.concurrent.Flow.Publisher}, Reactive Streams'
 * {@code Publisher}, Mutiny's {@code Multi}, Reactor's {@code Mono}/{@code Flux},
 * RxJava's {@code Single}, {@code Maybe}, {@code Completable}, {@code Observable} and
 * {@code Flowable}, Kotlin coroutines' {@code Job}/{@code Deferred}/{@code Flow} and Vert.x's
 * {@code Future}, and their subtypes. Return a {@code CompletionStage} instead (Reactor:
 * {@code mono.toFuture()}), or do the work before returning. A method declared to return
 * {@code Object} or a type variable is treated as synchronous, whatever it returns.
 *
 * <p><b>Log context.</b> While the method body runs, the SLF4J MDC holds the lock key under
 * {@code distributedmutex.key} and its fencing token under {@code distributedmutex.token}, so a log
 * pattern such as {@code %X{distributedmutex.key}} shows which lock a line was written under.
 * Afterwards both are set back to the values they had before the call (a nested {@code @Locked}
 * method restores its caller's). The MDC belongs to the thread: for a method returning a
 * {@code CompletionStage} it covers the method body up to its return on the calling thread, not the
 * continuations that complete the stage on other threads (for a {@code Uni}: the method body, which runs
 * once the lock is held, not the pipeline of the {@code Uni} it returns) (copy it there yourself, for example with
 * {@code MDC.getCopyOfContextMap()}, if you need it).
 */
@InterceptorBinding
@Inherited
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface Locked {

    /** @return the key template; empty for a key derived from the bean class and method (or when {@link #keys()} is set) */
    @Nonbinding
    String value() default "";

    /**
     * Several key templates, locked together as one unit for the whole call (see "Several keys" above), instead
     * of the one template of {@link #value()}:
     * <pre>{@code
     * @Locked(keys = {"account:{from.id}", "account:{to.id}"})
     * public void transfer(Account from, Account to, BigDecimal amount) { ... }
     * }</pre>
     *
     * @return the key templates; empty (the default) for the one key of {@link #value()}. Setting both, a blank
     *         template or the same template twice is a deployment error
     */
    @Nonbinding
    String[] keys() default {};

    /**
     * @return the maximum wait, as {@code 5s}, {@code 250ms}, {@code 1m} or ISO-8601
     *         ({@code PT5S}); {@code 0s} makes one attempt; empty for {@code distributedmutex.wait}
     */
    @Nonbinding
    String maxWait() default "";

    /**
     * @return the lease, in the same syntax as {@link #maxWait()}, at least 1 ms (shorter is a
     *         deployment error); empty for {@code distributedmutex.lease}
     */
    @Nonbinding
    String lease() default "";

    /**
     * @return how long the lock stays taken at least after it was acquired, even when the method
     *         returns earlier (ShedLock's {@code lockAtLeastFor}; see
     *         {@link LockOptions#withHoldAtLeast(Duration)}), in the same syntax as
     *         {@link #maxWait()}; empty or {@code 0s} for none. For work that must run once per
     *         cluster although the instances start it a little apart, such as a scheduled job (see
     *         "Timer callbacks" above). Positive but shorter than 1 ms, or longer than this
     *         annotation's {@link #lease()}, is a deployment error; without a {@code lease} here,
     *         one longer than {@code distributedmutex.lease} fails the application's startup. Without a
     *         {@link #maxWait()}, the wait is {@code 0s} (one attempt), whatever
     *         {@link #onContention()} says, because waiting out another node's minimum hold would
     *         run the same tick again. A run that throws (or whose stage or {@code Uni} fails) frees the lock
     *         at once, without the minimum hold, so that a retry can run
     */
    @Nonbinding
    String holdAtLeast() default "";

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
         * {@code null} (for {@code CompletionStage} / {@code CompletableFuture}; but {@code null}
         * for a Jakarta Concurrency {@code @Asynchronous(runAt = ...)} method, whose container ends
         * the schedule on any other result). A method returning a Mutiny {@code Uni} returns its
         * {@code Uni} in any case; a subscription that does not get the lock emits a {@code null} item. Methods that return a primitive cannot be skipped:
         * that is a deployment error.
         *
         * <p>An interrupt of the waiting thread is not contention: the method does not run and the
         * caller gets {@link LockNotAcquiredException} (as with {@code THROW}), with the thread's
         * interrupt status kept.
         */
        SKIP
    }
}
