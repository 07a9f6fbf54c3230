package io.github.distributedmutex.it.wfp;

import jakarta.enterprise.concurrent.Asynchronous;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Starts the {@link RunAtJobs} schedules once per application instance, where the server's Jakarta Concurrency has
 * {@code @Asynchronous(runAt)} (3.1, EE 11), and keeps the future of the one that can end.
 */
@ApplicationScoped
public class RunAtSchedules {

    /**
     * True on a thread while it is inside {@link #startOnce}: an execution that sees it ran inside the starting call
     * (thread names cannot tell: Open Liberty serves requests and scheduled executions from one pool).
     */
    private static final ThreadLocal<Boolean> STARTING = ThreadLocal.withInitial(() -> false);

    private CompletableFuture<String> lockedFuture;

    /** @return whether the current thread is inside the call that starts the schedules */
    public static boolean insideStartingCall() {
        return STARTING.get();
    }

    /**
     * @return whether this server's {@code jakarta.enterprise.concurrent.Asynchronous} has {@code runAt}: Concurrency
     *         3.1 (Payara Micro 7, Open Liberty 26); WildFly 39 has 3.0, where a method annotated with {@code runAt}
     *         would run once
     */
    public static boolean runAtSupported() {
        try {
            Asynchronous.class.getMethod("runAt");
            return true;
        } catch (NoSuchMethodException concurrency30) {
            return false;
        }
    }

    /** @return the specification and implementation versions of the server's Concurrency API package */
    public static String concurrencyApi() {
        Package api = Asynchronous.class.getPackage();
        return "spec " + api.getSpecificationVersion() + ", impl " + api.getImplementationVersion();
    }

    /**
     * Calls each runAt method once (the container then runs it at every tick), the first time only.
     *
     * @param jobs the jobs, through their CDI proxy
     * @return whether this call started them (false: they were running already)
     */
    public synchronized boolean startOnce(RunAtJobs jobs) {
        if (lockedFuture != null) {
            return false;
        }
        STARTING.set(true);
        try {
            jobs.lockedVoid();
            jobs.unlocked();
            lockedFuture = jobs.lockedFuture();
        } finally {
            STARTING.remove();
        }
        return true;
    }

    /** @return the state of {@link RunAtJobs#lockedFuture()}'s schedule, as its future shows it */
    public synchronized String lockedFutureState() {
        if (lockedFuture == null) {
            return "not started";
        }
        if (!lockedFuture.isDone()) {
            return "running";
        }
        if (lockedFuture.isCancelled()) {
            return "cancelled";
        }
        try {
            return "completed: " + lockedFuture.join();
        } catch (CompletionException failed) {
            return "failed: " + failed.getCause();
        }
    }
}
