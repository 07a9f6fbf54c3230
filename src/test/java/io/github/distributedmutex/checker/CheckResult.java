package io.github.distributedmutex.checker;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@link HistoryChecker} found in a history.
 *
 * <p>Violations of the lock's promise ("while a holder's lease is valid, no other holder gets the
 * same key") are {@link #overlaps()}, {@link #lostUpdates()} and {@link #tokenOrderViolations()};
 * {@link #violations()} is their sum. Anomalies that involve a section which ran past its certain
 * lease ({@link #unprotectedSections()}) are what a lease lock cannot prevent; they are counted in
 * {@link #unprotectedAnomalies()} and are not violations. A run is {@link #clean()} when it has no
 * violation, no failed acquisition and no problem.
 *
 * @param operations           critical sections that ran
 * @param annotationOperations of which through {@code @Locked}
 * @param leaseOperations      of which through {@code Adapter.lock}
 * @param keys                 distinct keys with at least one section
 * @param operationsByProcess  sections per worker process (every process of the history, 0 included)
 * @param threadsPerProcess    the largest thread count of a worker
 * @param overlaps             pairs of sections on one key whose intervals intersect while both leases
 *                             were certainly valid
 * @param lostUpdates          per key, sections (both within their lease) whose counter read is not the
 *                             previous section's write, plus keys whose final counter disagrees with an
 *                             otherwise intact history
 * @param tokenOrderViolations per key, sections (both within their lease) whose token is not greater than
 *                             the token of the section that ran before
 * @param failedAcquisitions   lock calls that failed
 * @param unprotectedSections  sections that ended after their certain lease bound
 * @param unprotectedAnomalies overlaps, counter breaks and token inversions explained by unprotected sections
 * @param finalCountersChecked whether the final counters were compared with the history
 * @param historyNanos         from the first lock request to the last section end
 * @param problems             what went wrong while producing or reading the history (missing or
 *                             incomplete files, crashed threads, exited workers)
 * @param examples             the first violations, described
 */
public record CheckResult(int operations, int annotationOperations, int leaseOperations, int keys,
                          Map<String, Integer> operationsByProcess, int threadsPerProcess,
                          int overlaps, int lostUpdates, int tokenOrderViolations, int failedAcquisitions,
                          int unprotectedSections, int unprotectedAnomalies, boolean finalCountersChecked,
                          long historyNanos, List<String> problems, List<String> examples) {

    /** Copies the collections. */
    public CheckResult {
        operationsByProcess = Map.copyOf(operationsByProcess);
        problems = List.copyOf(problems);
        examples = List.copyOf(examples);
    }

    /** @return overlaps + lost updates + token order violations */
    public int violations() {
        return overlaps + lostUpdates + tokenOrderViolations;
    }

    /** @return whether the history shows no violation, no failed acquisition and no problem */
    public boolean clean() {
        return violations() == 0 && failedAcquisitions == 0 && problems.isEmpty();
    }

    /** @return how many worker processes the history has */
    public int processes() {
        return operationsByProcess.size();
    }

    /**
     * The one-line summary, for example {@code checker: 2400 operations (1200 @Locked, 1200 Lease),
     * 3 keys, 3 processes x 4 threads, 0 overlaps, 0 lost updates, 0 token order violations,
     * 0 failed acquisitions, 0 unprotected sections (12.3 s)}, followed by the anomaly and problem counts
     * when there are any.
     *
     * @return the summary line
     */
    public String summary() {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                "checker: %d operations (%d @Locked, %d Lease), %d keys, %d processes x %d threads, "
                        + "%d overlaps, %d lost updates, %d token order violations, %d failed acquisitions, "
                        + "%d unprotected sections",
                operations, annotationOperations, leaseOperations, keys, processes(), threadsPerProcess,
                overlaps, lostUpdates, tokenOrderViolations, failedAcquisitions, unprotectedSections));
        if (unprotectedAnomalies > 0) {
            line.append(" with ").append(unprotectedAnomalies).append(" anomalies");
        }
        if (!problems.isEmpty()) {
            line.append(", ").append(problems.size()).append(" problems");
        }
        if (!finalCountersChecked) {
            line.append(", final counters not checked");
        }
        line.append(String.format(Locale.ROOT, " (%.1f s)", historyNanos / 1e9));
        return line.toString();
    }
}
