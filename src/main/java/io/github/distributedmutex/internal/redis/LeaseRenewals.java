package io.github.distributedmutex.internal.redis;

import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The watchdog's clock: one daemon thread per adapter that runs each watchdog lease's next
 * renewal when it is due. A lease schedules its renewals itself, one at a time, on the schedule
 * of its current lease (see {@link RedisLease}); the renewals are asynchronous Redis calls, so a
 * slow Redis never blocks this thread. A cancelled renewal leaves the queue at once, so nothing
 * stays behind after release.
 */
final class LeaseRenewals implements AutoCloseable {

    private final ScheduledThreadPoolExecutor scheduler;

    LeaseRenewals() {
        ThreadFactory threads = runnable -> {
            Thread thread = new Thread(runnable, "distributed-mutex-watchdog");
            thread.setDaemon(true);
            return thread;
        };
        scheduler = new ScheduledThreadPoolExecutor(1, threads);
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /**
     * @param renewal     what to run
     * @param delayMillis when, from now
     * @return a handle to cancel it, or null when the watchdog was stopped
     */
    Future<?> schedule(Runnable renewal, long delayMillis) {
        try {
            return scheduler.schedule(renewal, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException stopped) {
            return null;
        }
    }

    /** @return the number of renewals waiting to run (for tests of memory behaviour) */
    int active() {
        return scheduler.getQueue().size();
    }

    /** Stops every renewal; later {@link #schedule} calls do nothing. */
    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
