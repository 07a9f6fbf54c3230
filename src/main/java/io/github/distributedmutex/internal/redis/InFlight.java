package io.github.distributedmutex.internal.redis;

import java.util.concurrent.TimeUnit;

/**
 * Counts operations under way (acquisitions, releases, give-backs) so that shutdown can wait,
 * within a bound, until none is left before it shuts the Redis client down.
 */
final class InFlight {

    private int count;

    synchronized void enter() {
        count++;
    }

    /** @return false, entering nothing, when {@code max} are under way already */
    synchronized boolean tryEnter(int max) {
        if (count >= max) {
            return false;
        }
        count++;
        return true;
    }

    synchronized void exit() {
        if (--count == 0) {
            notifyAll();
        }
    }

    synchronized int count() {
        return count;
    }

    /**
     * @param timeoutNanos the longest wait
     * @return how many were still under way when the wait ended (0 when none)
     */
    synchronized int awaitNone(long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        try {
            for (long left = timeoutNanos; count > 0 && left > 0; left = deadline - System.nanoTime()) {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return count;
    }
}
