package io.github.distributedmutex.demo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What a demo run proves, computed from the history every instance wrote to Redis: how often and
 * where each job ran, how much each instance waited, whether two holders of the same lock ever
 * overlapped, and whether the nightly report ran once. Immutable.
 */
public final class DemoReport {

    /** How many jobs the job table shows per line. */
    private static final int JOBS_PER_ROW = 5;
    /** How many problems the one-line verdict names before it just counts the rest. */
    private static final int MAX_PROBLEMS_IN_VERDICT = 5;

    private final List<String> lines;
    private final List<String> problems;
    private final String verdict;
    private final Map<Integer, List<String>> executions;
    private final int overlaps;

    private DemoReport(List<String> lines, List<String> problems, String verdict,
                       Map<Integer, List<String>> executions, int overlaps) {
        this.lines = List.copyOf(lines);
        this.problems = List.copyOf(problems);
        this.verdict = verdict;
        Map<Integer, List<String>> copy = new TreeMap<>();
        executions.forEach((job, instances) -> copy.put(job, List.copyOf(instances)));
        this.executions = java.util.Collections.unmodifiableMap(copy);
        this.overlaps = overlaps;
    }

    /**
     * Analyses one run.
     *
     * @param history          every record of the run, in any order
     * @param instances        the names of the instances that were started
     * @param jobs             the number of jobs, ids {@code 1..jobs}
     * @param doneCount        the size of the "done" set in Redis at the end
     * @param launcherProblems what the launcher already found wrong (an instance that failed or hung)
     * @return the report
     */
    public static DemoReport analyse(List<HistoryRecord> history, List<String> instances, int jobs, long doneCount,
                                     List<String> launcherProblems) {
        Objects.requireNonNull(history, "history");
        List<String> lines = new ArrayList<>();
        List<String> problems = new ArrayList<>(launcherProblems);

        // 1. Each job: how many times it ran, and where.
        Map<Integer, List<String>> executions = new TreeMap<>();
        for (int job = 1; job <= jobs; job++) {
            executions.put(job, new ArrayList<>());
        }
        for (HistoryRecord record : history) {
            if (record.job() > 0 && record.outcome() == HistoryRecord.Outcome.RAN) {
                executions.computeIfAbsent(record.job(), j -> new ArrayList<>()).add(record.instance());
            }
        }
        lines.add("Jobs (job -> the instance that ran it):");
        StringBuilder row = new StringBuilder();
        int inRow = 0;
        for (Map.Entry<Integer, List<String>> entry : executions.entrySet()) {
            List<String> ranOn = entry.getValue();
            String cell = ranOn.size() == 1 ? ranOn.get(0)
                    : ranOn.isEmpty() ? "NOT RUN" : ranOn.size() + "x " + String.join("+", ranOn);
            row.append(String.format(Locale.ROOT, "  %2d -> %-12s", entry.getKey(), cell));
            if (++inRow == JOBS_PER_ROW) {
                lines.add(row.toString().stripTrailing());
                row.setLength(0);
                inRow = 0;
            }
            if (ranOn.size() != 1) {
                problems.add("job " + entry.getKey() + " ran " + ranOn.size() + " times"
                        + (ranOn.isEmpty() ? "" : " (" + String.join(", ", ranOn) + ")"));
            }
        }
        if (inRow > 0) {
            lines.add(row.toString().stripTrailing());
        }
        if (doneCount != jobs) {
            problems.add("the done set holds " + doneCount + " jobs instead of " + jobs);
        }

        // 2. Each instance: jobs run, lock waits.
        lines.add("Instances:");
        List<HistoryRecord> jobAttempts = history.stream().filter(r -> r.job() > 0).toList();
        for (String instance : instances) {
            List<HistoryRecord> own = jobAttempts.stream().filter(r -> r.instance().equals(instance)).toList();
            long ran = own.stream().filter(r -> r.outcome() == HistoryRecord.Outcome.RAN).count();
            long waited = own.stream().filter(r -> waitedForOther(r, jobAttempts)).count();
            List<Long> waits = own.stream().map(HistoryRecord::waitMicros).sorted().toList();
            lines.add(String.format(Locale.ROOT,
                    "  %-11s ran %2d jobs, took %2d locks, %2d of them after waiting for another instance;"
                            + " lock wait p50 %s, max %s",
                    instance, ran, own.size(), waited,
                    waits.isEmpty() ? "-" : millis(waits.get((waits.size() - 1) / 2)),
                    waits.isEmpty() ? "-" : millis(waits.get(waits.size() - 1))));
            if (own.size() != jobs) {
                problems.add(instance + " handled " + own.size() + " of " + jobs + " jobs");
            }
        }

        // 3. Mutual exclusion: no two holds of one key overlap (Redis server clock).
        Map<String, List<HistoryRecord>> holdsByKey = history.stream().filter(HistoryRecord::held)
                .collect(Collectors.groupingBy(HistoryRecord::key, TreeMap::new, Collectors.toList()));
        int holds = 0;
        int overlaps = 0;
        for (Map.Entry<String, List<HistoryRecord>> entry : holdsByKey.entrySet()) {
            List<HistoryRecord> sorted = new ArrayList<>(entry.getValue());
            sorted.sort(Comparator.comparingLong(HistoryRecord::startMicros));
            holds += sorted.size();
            for (int i = 1; i < sorted.size(); i++) {
                HistoryRecord before = sorted.get(i - 1);
                HistoryRecord after = sorted.get(i);
                if (after.startMicros() < before.endMicros()) {
                    overlaps++;
                    problems.add("lock " + entry.getKey() + " was held by " + before.instance() + " and "
                            + after.instance() + " at the same time ("
                            + (before.endMicros() - after.startMicros()) + " us overlap)");
                }
            }
        }
        lines.add(String.format(Locale.ROOT,
                "Mutual exclusion: %d lock holds on %d keys; %s (checked with the Redis server's clock)",
                holds, holdsByKey.size(),
                overlaps == 0 ? "no two holds of the same key overlapped" : overlaps + " OVERLAPS"));

        // 4. The nightly report: once.
        List<HistoryRecord> report = history.stream().filter(r -> r.key().equals(NightlyReport.LOCK_KEY)).toList();
        List<HistoryRecord> reportRuns = report.stream()
                .filter(r -> r.outcome() == HistoryRecord.Outcome.RAN).toList();
        String others = report.stream().filter(r -> r.outcome() != HistoryRecord.Outcome.RAN)
                .sorted(Comparator.comparing(HistoryRecord::instance))
                .map(r -> r.instance() + (r.outcome() == HistoryRecord.Outcome.BUSY
                        ? " (lock busy)" : " (already done)"))
                .collect(Collectors.joining(", "));
        if (reportRuns.size() == 1) {
            lines.add("Nightly report: ran once, by " + reportRuns.get(0).instance() + " with fencing token "
                    + reportRuns.get(0).fencingToken() + (others.isEmpty() ? "" : "; skipped by " + others));
        } else {
            lines.add("Nightly report: ran " + reportRuns.size() + " times");
            problems.add("the nightly report ran " + reportRuns.size() + " times");
        }

        String verdict = problems.isEmpty()
                ? String.format(Locale.ROOT, "OK: %d jobs, %d instances, each job ran exactly once, no overlap",
                        jobs, instances.size())
                : "FAILED: " + summary(problems);
        return new DemoReport(lines, problems, verdict, executions, overlaps);
    }

    /**
     * Whether {@code attempt} had to wait for another instance: some other instance got the same lock
     * before it and still held it when this attempt asked.
     */
    private static boolean waitedForOther(HistoryRecord attempt, List<HistoryRecord> all) {
        for (HistoryRecord other : all) {
            if (other.key().equals(attempt.key()) && !other.instance().equals(attempt.instance()) && other.held()
                    && other.startMicros() <= attempt.startMicros() && other.endMicros() > attempt.requestedMicros()) {
                return true;
            }
        }
        return false;
    }

    private static String summary(List<String> problems) {
        int shown = Math.min(problems.size(), MAX_PROBLEMS_IN_VERDICT);
        String text = String.join("; ", problems.subList(0, shown));
        return shown == problems.size() ? text : text + "; and " + (problems.size() - shown) + " more";
    }

    private static String millis(long micros) {
        return String.format(Locale.ROOT, "%.1f ms", micros / 1000.0);
    }

    /** @return the report, one line per element, without the verdict */
    public List<String> lines() {
        return lines;
    }

    /** @return everything that went wrong; empty when the run proved what it should */
    public List<String> problems() {
        return problems;
    }

    /** @return {@code true} when nothing went wrong */
    public boolean ok() {
        return problems.isEmpty();
    }

    /** @return the one-line verdict, starting with {@code OK:} or {@code FAILED:} */
    public String verdict() {
        return verdict;
    }

    /** @return for each job id, the instances that ran it, once per execution */
    public Map<Integer, List<String>> executions() {
        return executions;
    }

    /** @return how many pairs of holds of the same key overlapped in time */
    public int overlaps() {
        return overlaps;
    }
}
