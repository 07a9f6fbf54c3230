package io.github.distributedmutex.internal.redis;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The adapter's clock: one daemon thread per adapter that runs what is due later, never anything that blocks. It
 * runs each watchdog lease's next renewal (a lease schedules its renewals itself, one at a time, on the schedule of
 * its current lease, see {@link RedisLease}; the renewals are asynchronous Redis calls), ends the sleep of a waiting
 * acquisition at its timeout, and bounds how long an acquisition waits for a Redis answer. A cancelled task leaves
 * the queue at once, so nothing stays behind after a release or an answer.
 */
final class Timers implements AutoCloseable {

    private final ScheduledThreadPoolExecutor scheduler;

    Timers() {
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
     * @param task        what to run; must not block
     * @param delayMillis when, from now
     * @return a handle to cancel it, or null when the clock was stopped (the task never runs)
     */
    Future<?> schedule(Runnable task, long delayMillis) {
        return schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    }

    /**
     * @param task  what to run; must not block
     * @param delay when, from now
     * @return a handle to cancel it, or null when the clock was stopped (the task never runs)
     */
    Future<?> schedule(Runnable task, long delay, TimeUnit unit) {
        try {
            return scheduler.schedule(task, delay, unit);
        } catch (RejectedExecutionException stopped) {
            return null;
        }
    }

    /**
     * Fails {@code stage} with {@code timeout}'s exception when it has not completed after {@code delayNanos}. After
     * {@link #close()} the JDK's shared delay thread keeps the bound, so no stage waits forever.
     *
     * @return the timer, to be cancelled by whoever completes {@code stage} (before its continuations run, so that
     *         nothing is left once they see the end); null when the JDK's delay thread keeps the bound
     */
    <T> Future<?> bound(CompletableFuture<T> stage, long delayNanos, Supplier<? extends Throwable> timeout) {
        Runnable expire = () -> stage.completeExceptionally(timeout.get());
        Future<?> timer = schedule(expire, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        if (timer == null) {
            CompletableFuture.delayedExecutor(Math.max(0, delayNanos), TimeUnit.NANOSECONDS, Runnable::run)
                    .execute(expire);
        }
        return timer;
    }

    /** @return the number of tasks waiting to run (for tests of memory behaviour) */
    int active() {
        return scheduler.getQueue().size();
    }

    /** Stops the clock: later {@link #schedule} calls do nothing and return null. */
    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
