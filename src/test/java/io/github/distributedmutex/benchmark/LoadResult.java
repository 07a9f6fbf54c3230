package io.github.distributedmutex.benchmark;

import java.util.Arrays;
import java.util.List;

/**
 * What one contender achieved in one load configuration, over all its rounds and all worker JVMs.
 *
 * @param contender     who locked
 * @param workers       threads over all JVMs
 * @param processes     worker JVMs
 * @param acquisitions  counted acquisitions
 * @param failures      counted attempts that ended without the lock after the bounded wait
 * @param errors        counted attempts that failed with an exception (Redis errors)
 * @param perWorker     acquisitions per thread (JVM-major), for fairness
 * @param waits         the wait of every counted attempt, failed ones included, in nanoseconds, sorted
 * @param seconds       measured time, over all rounds
 * @param overlaps      pairs of critical sections on the hot key that overlapped in time (must be 0)
 * @param gaps          on the hot key: the time from one holder's release call to the next holder's return from its
 *                      lock call, in nanoseconds, sorted (the hand-over cost: release, wake-up, acquisition)
 * @param heldNanos     on the hot key: the time the lock was held (lock call returned to release call), summed
 * @param longestStreak on the hot key: the most consecutive acquisitions by one JVM, in the order the lock was held
 *                      (over all rounds, the longest of any); -1 when unknown (distinct keys, or sections overlapped)
 */
record LoadResult(Contender contender, int workers, int processes, long acquisitions, long failures, long errors,
                  long[] perWorker, long[] waits, double seconds, int overlaps, long[] gaps, long heldNanos,
                  int longestStreak) {

    /** @return acquisitions per second */
    double throughput() {
        return seconds == 0 ? 0 : acquisitions / seconds;
    }

    /**
     * @param quantile between 0 and 1
     * @return the wait at that quantile (nearest rank), in milliseconds; NaN without samples
     */
    double waitMillis(double quantile) {
        if (waits.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(quantile * waits.length);
        return waits[Math.min(waits.length - 1, Math.max(0, rank - 1))] / 1e6;
    }

    /**
     * @param quantile between 0 and 1
     * @return the hand-over gap at that quantile, in milliseconds; NaN without samples
     */
    double gapMillis(double quantile) {
        if (gaps.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(quantile * gaps.length);
        return gaps[Math.min(gaps.length - 1, Math.max(0, rank - 1))] / 1e6;
    }

    /** @return the share of the measured time the lock was held, between 0 and 1 */
    double heldShare() {
        return seconds == 0 ? Double.NaN : heldNanos / 1e9 / seconds;
    }

    /** @return the longest wait, in milliseconds */
    double maxWaitMillis() {
        return waits.length == 0 ? Double.NaN : waits[waits.length - 1] / 1e6;
    }

    /**
     * Jain's fairness index of the acquisition counts of the workers: (Σx)² / (n·Σx²), 1 when every
     * worker got the lock equally often, 1/n when one worker got it every time.
     *
     * @return the index, NaN without acquisitions
     */
    double jainIndex() {
        return jain(perWorker);
    }

    /**
     * Jain's fairness index of the acquisition counts of the worker JVMs (each the sum over its threads): 1 when every
     * JVM got the lock equally often, 1/n when one JVM got it every time.
     *
     * @return the index, NaN without acquisitions
     */
    double jvmJainIndex() {
        return jain(perProcess());
    }

    /** @return the acquisitions of each worker JVM */
    long[] perProcess() {
        long[] counts = new long[processes];
        int threads = perWorker.length / processes;
        for (int i = 0; i < perWorker.length; i++) {
            counts[i / threads] += perWorker[i];
        }
        return counts;
    }

    private static double jain(long[] counts) {
        double sum = 0;
        double squares = 0;
        for (long x : counts) {
            sum += x;
            squares += (double) x * x;
        }
        return squares == 0 ? Double.NaN : sum * sum / (counts.length * squares);
    }

    /**
     * @param rounds results of the same contender and configuration
     * @return them as one: counts and times added, waits pooled, the longest streak of any
     */
    static LoadResult merge(List<LoadResult> rounds) {
        LoadResult first = rounds.get(0);
        long[] perWorker = new long[first.perWorker.length];
        long acquisitions = 0;
        long failures = 0;
        long errors = 0;
        double seconds = 0;
        int overlaps = 0;
        int samples = 0;
        int gapSamples = 0;
        long heldNanos = 0;
        int longestStreak = first.longestStreak;
        for (LoadResult round : rounds) {
            if (round.contender != first.contender || round.perWorker.length != perWorker.length
                    || round.processes != first.processes) {
                throw new IllegalArgumentException("rounds of different configurations");
            }
            for (int i = 0; i < perWorker.length; i++) {
                perWorker[i] += round.perWorker[i];
            }
            acquisitions += round.acquisitions;
            failures += round.failures;
            errors += round.errors;
            seconds += round.seconds;
            overlaps += round.overlaps;
            samples += round.waits.length;
            gapSamples += round.gaps.length;
            heldNanos += round.heldNanos;
            longestStreak = longestStreak < 0 || round.longestStreak < 0 ? -1
                    : Math.max(longestStreak, round.longestStreak);
        }
        long[] waits = new long[samples];
        int at = 0;
        for (LoadResult round : rounds) {
            System.arraycopy(round.waits, 0, waits, at, round.waits.length);
            at += round.waits.length;
        }
        Arrays.sort(waits);
        long[] gaps = new long[gapSamples];
        at = 0;
        for (LoadResult round : rounds) {
            System.arraycopy(round.gaps, 0, gaps, at, round.gaps.length);
            at += round.gaps.length;
        }
        Arrays.sort(gaps);
        return new LoadResult(first.contender, first.workers, first.processes, acquisitions, failures, errors, perWorker,
                waits, seconds, overlaps, gaps, heldNanos, longestStreak);
    }
}
