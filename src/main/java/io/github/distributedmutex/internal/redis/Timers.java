package io.github.distributedmutex.internal.redis;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The adapter's clock: one daemon thread per adapter that runs what is due later, never anything that blocks. It
 * runs each watchdog lease's next renewal (a lease schedules its renewals itself, one at a time, on the schedule of
 * its current lease, see {@link RedisLease}; the renewals are asynchronous Redis calls), ends the sleep of a waiting
 * acquisition at its timeout, and bounds how long an acquisition waits for a Redis answer. A cancelled task leaves
 * the queue at once, so nothing stays behind after a release or an answer; a task that ends a wait runs at the
 * latest when the clock stops, so no acquisition waits forever for a timer that was dropped.
 */
final class Timers implements AutoCloseable {

    private final ScheduledThreadPoolExecutor scheduler;
    /** Tasks that end a wait, run at {@link #close()} if still pending: nothing waits for a timer that never fires. */
    private final Set<Runnable> ends = ConcurrentHashMap.newKeySet();

    Timers() {
        ThreadFactory threads = runnable -> {
            Thread thread = new Thread(runnable, "distributed-mutex-timer");
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
     * Schedules a task that ends a wait (a timeout, the end of a sleep, the end of a pause): when the clock is
     * stopped before it ran, {@link #close()} runs it at once, and when the clock is stopped already, it runs at
     * once here. So a waiting acquisition always goes on, and finds the adapter closed.
     *
     * @param end   what to run; must not block, may run on the caller's thread
     * @param delay when, from now
     * @return a handle to cancel it
     */
    Future<?> scheduleEnd(Runnable end, long delay, TimeUnit unit) {
        AtomicBoolean ran = new AtomicBoolean();
        Runnable once = new Runnable() {
            @Override
            public void run() {
                ends.remove(this);
                if (ran.compareAndSet(false, true)) {
                    end.run();
                }
            }
        };
        ends.add(once);
        Future<?> timer = schedule(once, delay, unit);
        if (timer == null) {
            once.run();
            return CompletableFuture.completedFuture(null);
        }
        return new Cancellable(timer, once, ran);
    }

    /**
     * Fails {@code stage} with {@code timeout}'s exception when it has not completed after {@code delayNanos} (at
     * once when the clock stops before).
     *
     * @return the timer, to be cancelled by whoever completes {@code stage} (before its continuations run, so that
     *         nothing is left once they see the end)
     */
    <T> Future<?> bound(CompletableFuture<T> stage, long delayNanos, Supplier<? extends Throwable> timeout) {
        return scheduleEnd(() -> stage.completeExceptionally(timeout.get()), Math.max(0, delayNanos),
                TimeUnit.NANOSECONDS);
    }

    /** A scheduled end: cancelling it removes it from the queue and from the ends run at close. */
    private final class Cancellable implements Future<Object> {
        private final Future<?> timer;
        private final Runnable once;
        private final AtomicBoolean ran;
        private volatile boolean cancelled;

        Cancellable(Future<?> timer, Runnable once, AtomicBoolean ran) {
            this.timer = timer;
            this.once = once;
            this.ran = ran;
        }

        /** @return whether this call kept the end from running (it never runs after that) */
        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            ends.remove(once);
            boolean prevented = ran.compareAndSet(false, true);
            if (prevented) {
                timer.cancel(false); // leaves the queue; should the task run meanwhile, it finds itself disarmed
            }
            cancelled = prevented || cancelled;
            return prevented;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            return ran.get();
        }

        @Override
        public Object get() {
            throw new UnsupportedOperationException("a timer has no result");
        }

        @Override
        public Object get(long timeout, TimeUnit unit) {
            throw new UnsupportedOperationException("a timer has no result");
        }
    }

    /** @return the number of tasks waiting to run (for tests of memory behaviour) */
    int active() {
        return scheduler.getQueue().size();
    }

    /**
     * Stops the clock: pending renewals are dropped, pending ends of waits run now ({@link #scheduleEnd}); later
     * {@link #schedule} calls do nothing and return null.
     */
    @Override
    public void close() {
        scheduler.shutdownNow();
        for (Runnable end : List.copyOf(ends)) {
            end.run();
        }
    }
}
