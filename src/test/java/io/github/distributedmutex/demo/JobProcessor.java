package io.github.distributedmutex.demo;

import io.github.distributedmutex.Locked;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The declarative style: {@code @Locked("job:{jobId}")} makes {@link #process(int)} run only while
 * this instance holds the distributed lock {@code job:<jobId>}. Every instance of the application
 * calls it for every job; the lock turns the "is it done yet? then do it" below into one atomic step
 * across all instances, so each job runs exactly once.
 */
@ApplicationScoped
public class JobProcessor {

    @Inject
    DemoStore store;

    /**
     * What one call did while it held the lock.
     *
     * @param ran          {@code true} when the job ran now, {@code false} when it was already done
     * @param enteredNanos {@link System#nanoTime()} when the method body started, i.e. the lock was held
     * @param startMicros  Redis time just after the lock was obtained
     * @param endMicros    Redis time just before the lock is released
     * @param workMillis   how long the simulated work took, 0 when the job did not run
     * @param previousHoldEndMicros Redis time at which the previous holder of this job's lock (another
     *                     instance) released it, 0 when nobody held it before
     */
    public record Outcome(boolean ran, long enteredNanos, long startMicros, long endMicros, long workMillis,
                          long previousHoldEndMicros) {
    }

    /**
     * Runs job {@code jobId} unless some instance already did.
     *
     * @param jobId the job
     * @return what happened
     * @throws io.github.distributedmutex.LockNotAcquiredException when another instance held the lock for
     *         the whole 10 s wait (does not happen here: every job takes tens of milliseconds)
     */
    @Locked(value = "job:{jobId}", maxWait = "10s", lease = "30s")
    public Outcome process(int jobId) {
        long entered = System.nanoTime();
        long start = store.redisTimeMicros();
        long workMillis = 0;
        boolean ran = false;
        // Check-then-act: safe only because no other instance can be between these lines for this job.
        if (!store.isDone(jobId)) {
            workMillis = ThreadLocalRandom.current().nextLong(20, 61);
            simulateWork(workMillis);
            store.markDone(jobId);
            ran = true;
        }
        long end = store.redisTimeMicros();
        long previousHoldEnd = store.swapLastHoldEnd(jobId, end);
        return new Outcome(ran, entered, start, end, workMillis, previousHoldEnd);
    }

    static void simulateWork(long millis) {
        try {
            // Simulated work: stands for the real job (a database update, a call to another service...).
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted during the simulated work", e);
        }
    }
}
