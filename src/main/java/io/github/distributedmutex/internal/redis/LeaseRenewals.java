package io.github.distributedmutex.internal.redis;

import java.time.Duration;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The watchdog: renews watchdog leases every third of their lease while they are held (and
 * retries the give-back of abandoned acquisition attempts). One
 * daemon thread per adapter schedules the renewals; the renewals themselves are asynchronous
 * Redis calls, so a slow Redis never blocks the schedule. A cancelled renewal is removed from
 * the queue at once, so nothing stays behind after release.
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
     * @param lease the lease to renew
     * @return a handle to cancel the renewals
     */
    Future<?> start(RedisLease lease) {
        long period = Math.max(1, lease.leaseDuration().toMillis() / 3);
        return scheduler.scheduleWithFixedDelay(lease::renew, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Runs a one-off task later on the same thread, for retrying the give-back of an abandoned
     * acquisition attempt.
     */
    void later(Runnable task, Duration delay) {
        if (!scheduler.isShutdown()) {
            scheduler.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** @return the number of watchdog leases being renewed (for tests of memory behaviour) */
    int active() {
        return scheduler.getQueue().size();
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
