package io.github.distributedmutex.benchmark;

import java.util.Arrays;
import java.util.List;

/**
 * What one contender achieved in one load configuration, over all its rounds and all worker JVMs.
 *
 * @param contender     who locked
 * @param workers       threads over all JVMs
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
 */
record LoadResult(Contender contender, int workers, long acquisitions, long failures, long errors, long[] perWorker,
                  long[] waits, double seconds, int overlaps, long[] gaps, long heldNanos) {

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
        double sum = 0;
        double squares = 0;
        for (long x : perWorker) {
            sum += x;
            squares += (double) x * x;
        }
        return squares == 0 ? Double.NaN : sum * sum / (perWorker.length * squares);
    }

    /**
     * @param rounds results of the same contender and configuration
     * @return them as one: counts and times added, waits pooled
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
        for (LoadResult round : rounds) {
            if (round.contender != first.contender || round.perWorker.length != perWorker.length) {
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
        return new LoadResult(first.contender, first.workers, acquisitions, failures, errors, perWorker, waits, seconds,
                overlaps, gaps, heldNanos);
    }
}
