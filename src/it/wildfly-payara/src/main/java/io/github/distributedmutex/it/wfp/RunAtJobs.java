package io.github.distributedmutex.it.wfp;

import io.github.distributedmutex.Locked;
import jakarta.enterprise.concurrent.Asynchronous;
import jakarta.enterprise.concurrent.Schedule;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.CompletableFuture;

/**
 * Jakarta Concurrency 3.1 scheduled asynchronous methods ({@code @Asynchronous(runAt = @Schedule(...))}), every
 * 4 s at the same seconds on every instance, started once per instance by {@link RunAtResource}. Only an EE 11 server
 * (Payara Micro 7, Open Liberty 26) schedules them; on WildFly 39 (Concurrency 3.0, no {@code runAt}) the WAR
 * deploys and nobody calls them.
 *
 * <p>The container's asynchronous interceptor intercepts the starting call and, at every tick, proceeds with
 * the rest of the interceptor chain on a thread of its {@code ManagedScheduledExecutorService}: {@link TickProbe}
 * (+50) records the attempt, then {@code @Locked} (+100) takes or skips the tick's lock.
 */
@ApplicationScoped
public class RunAtJobs {

    /** The void job's name in the ledger and its lock key. */
    public static final String LOCKED_VOID = "runat-void";
    /** The job returning {@code CompletableFuture}: its name in the ledger and its lock key. */
    public static final String LOCKED_FUTURE = "runat-future";
    /** The control without {@code @Locked}: its name in the ledger. */
    public static final String UNLOCKED = "runat-unlocked";

    @Inject
    AppConfig config;

    @Inject
    TickLedger ledger;

    /** Every 4 s: runs the tick on one instance only. */
    @Asynchronous(runAt = @Schedule(cron = "*/4 * * * * *"))
    @TickProbe(LOCKED_VOID)
    @Locked(value = LOCKED_VOID, onContention = Locked.OnContention.SKIP, maxWait = "0s", lease = "10s",
            holdAtLeast = "1500ms")
    public void lockedVoid() {
        ledger.record(LOCKED_VOID);
    }

    /**
     * Every 4 s: runs the tick on one instance only; returns {@code null} to go on, and ends this instance's
     * schedule with {@code Asynchronous.Result.complete(...)} once the test has set {@link DataKeys#runAtStop()}.
     * A skipped tick must not end the schedule: the interceptor returns {@code null} for it, not a completed stage.
     *
     * @return null to run again at the next tick, or the completed result that ends the schedule
     */
    @Asynchronous(runAt = @Schedule(cron = "*/4 * * * * *"))
    @TickProbe(LOCKED_FUTURE)
    @Locked(value = LOCKED_FUTURE, onContention = Locked.OnContention.SKIP, maxWait = "0s", lease = "10s",
            holdAtLeast = "1500ms")
    public CompletableFuture<String> lockedFuture() {
        ledger.record(LOCKED_FUTURE);
        try (Resp redis = config.redis()) {
            if (redis.exists(DataKeys.runAtStop())) {
                return Asynchronous.Result.complete("stopped by " + config.serverName());
            }
        }
        return null;
    }

    /** The control: the same schedule without {@code @Locked} runs every tick on every instance. */
    @Asynchronous(runAt = @Schedule(cron = "*/4 * * * * *"))
    @TickProbe(UNLOCKED)
    public void unlocked() {
        ledger.record(UNLOCKED);
    }
}
