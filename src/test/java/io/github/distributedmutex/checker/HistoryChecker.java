package io.github.distributedmutex.checker;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks a {@link History} for the three ways a broken lock shows, per key:
 * <ol>
 *     <li><b>Overlap.</b> Two sections whose {@code [start, end]} intervals intersect while both leases
 *     were certainly valid. A section's lease is certainly valid until {@link Section#leaseBoundNanos()};
 *     each section is cut at that bound before intervals are compared, so an overlap that only exists after
 *     a lease ran out is not a violation: it counts as an unprotected anomaly, and the section that ran
 *     past its bound as an unprotected section. Intervals that merely touch do not overlap.</li>
 *     <li><b>Lost update.</b> With the sections in the order they started, each must have read the
 *     value the previous one wrote (the first one 0), and, when the final counters are known, the counter
 *     must end at the number of sections. A counter break between two sections that both stayed within
 *     their lease is a violation; one involving an unprotected section is an unprotected anomaly. A final
 *     counter that disagrees with an otherwise unbroken history (a write not in the history, or a lost last
 *     write) is one lost update for that key.</li>
 *     <li><b>Token order.</b> In the same order, fencing tokens strictly increase (a violation between two
 *     protected sections, an unprotected anomaly otherwise).</li>
 * </ol>
 * Failed acquisitions are counted, not judged. Comparing {@code nanoTime} values of different processes
 * assumes they share one monotonic clock (see {@link Section}).
 *
 * <p>Stateless; the methods are thread-safe. As a program, {@code HistoryChecker file...} checks history
 * files offline (without the final counters) and exits with 0 when the history is clean.
 */
public final class HistoryChecker {

    /** How many violations {@link CheckResult#examples()} describes at most. */
    public static final int MAX_EXAMPLES = 20;

    private static final Comparator<Section> RUN_ORDER = Comparator.comparingLong(Section::startNanos)
            .thenComparingLong(Section::endNanos)
            .thenComparing(Section::process)
            .thenComparing(Section::thread);

    private HistoryChecker() {
    }

    /**
     * Checks history files given as arguments, without final counters, and prints the summary line and
     * the problems and examples; exits with 0 when the history is clean, 1 otherwise.
     *
     * @param args the history files
     */
    public static void main(String[] args) {
        List<Path> files = new ArrayList<>();
        for (String arg : args) {
            files.add(Path.of(arg));
        }
        CheckResult result = check(History.read(files), null);
        result.problems().forEach(problem -> System.out.println("problem: " + problem));
        result.examples().forEach(example -> System.out.println("violation: " + example));
        System.out.println(result.summary());
        System.exit(result.clean() ? 0 : 1);
    }

    /**
     * Checks a history and prints the one summary line to {@code out}.
     *
     * @param history       the history
     * @param finalCounters the counter value of each key at the end (a key absent from the map means no
     *                      counter, i.e. 0); {@code null} when unknown, which skips the final counter check
     * @param out           where the summary line goes
     * @return the result
     */
    public static CheckResult check(History history, Map<String, Long> finalCounters, PrintStream out) {
        CheckResult result = check(history, finalCounters);
        out.println(result.summary());
        return result;
    }

    /**
     * Checks a history.
     *
     * @param history       the history
     * @param finalCounters the counter value of each key at the end (a key absent from the map means no
     *                      counter, i.e. 0); {@code null} when unknown, which skips the final counter check
     * @return the result
     */
    public static CheckResult check(History history, Map<String, Long> finalCounters) {
        Objects.requireNonNull(history, "history");
        Map<String, List<Section>> byKey = new TreeMap<>();
        Map<String, Integer> byProcess = new TreeMap<>();
        history.threadsByProcess().keySet().forEach(process -> byProcess.put(process, 0));
        int annotation = 0;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        int unprotectedSections = 0;
        for (Section section : history.sections()) {
            byKey.computeIfAbsent(section.key(), key -> new ArrayList<>()).add(section);
            byProcess.merge(section.process(), 1, Integer::sum);
            if (section.mode() == Section.Mode.ANNOTATION) {
                annotation++;
            }
            first = Math.min(first, section.requestNanos());
            last = Math.max(last, section.endNanos());
            if (!section.protectedByLease()) {
                unprotectedSections++;
            }
        }
        history.failures().forEach(failure -> byProcess.putIfAbsent(failure.process(), 0));

        Tally tally = new Tally();
        TreeSet<String> keys = new TreeSet<>(byKey.keySet());
        if (finalCounters != null) {
            keys.addAll(finalCounters.keySet());
        }
        for (String key : keys) {
            List<Section> sections = new ArrayList<>(byKey.getOrDefault(key, List.of()));
            sections.sort(RUN_ORDER);
            checkOverlaps(key, sections, tally);
            boolean counterBroken = checkCounterChain(key, sections, tally);
            if (finalCounters != null) {
                long finalCounter = finalCounters.getOrDefault(key, 0L);
                if (finalCounter != sections.size() && !counterBroken) {
                    tally.lostUpdates++;
                    tally.example("LOST UPDATE on " + key + ": final counter " + finalCounter + " but "
                            + sections.size() + " sections ran");
                }
            }
            checkTokenOrder(key, sections, tally);
        }

        int threads = history.threadsByProcess().values().stream().mapToInt(Integer::intValue).max().orElse(0);
        return new CheckResult(history.sections().size(), annotation, history.sections().size() - annotation,
                byKey.size(), byProcess, threads, tally.overlaps, tally.lostUpdates, tally.tokenOrder,
                history.failures().size(), unprotectedSections, tally.unprotectedAnomalies, finalCounters != null,
                history.sections().isEmpty() ? 0 : last - first, history.problems(), tally.examples);
    }

    /**
     * Counts intersecting pairs twice: with every section cut at its lease bound (violations), and uncut
     * (the uncut pairs that are not violations are unprotected anomalies). A pair counted cut is always
     * counted uncut too, since a cut interval lies within its uncut interval.
     */
    private static void checkOverlaps(String key, List<Section> sections, Tally tally) {
        int uncutPairs = 0;
        int cutPairs = 0;
        List<Section> open = new ArrayList<>();
        List<Section> openCut = new ArrayList<>();
        for (Section section : sections) {
            long start = section.startNanos();
            open.removeIf(earlier -> earlier.endNanos() <= start);
            openCut.removeIf(earlier -> earlier.protectedEndNanos() <= start);
            uncutPairs += open.size();
            open.add(section);
            if (section.protectedEndNanos() >= start) { // else it started after its lease bound
                for (Section earlier : openCut) {
                    cutPairs++;
                    tally.example("OVERLAP on " + key + ": " + earlier.describe() + " and " + section.describe());
                }
                openCut.add(section);
            }
        }
        tally.overlaps += cutPairs;
        tally.unprotectedAnomalies += uncutPairs - cutPairs;
    }

    /** @return whether the chain of counter values broke anywhere on this key */
    private static boolean checkCounterChain(String key, List<Section> sections, Tally tally) {
        boolean broken = false;
        long expected = 0;
        Section previous = null;
        for (Section section : sections) {
            if (section.counterRead() != expected) {
                broken = true;
                if (bothProtected(previous, section)) {
                    tally.lostUpdates++;
                    tally.example("LOST UPDATE on " + key + ": " + section.describe() + " read "
                            + section.counterRead() + " but the section before it wrote " + expected
                            + (previous == null ? " (none: the counter started at 0)" : " (" + previous.describe() + ")"));
                } else {
                    tally.unprotectedAnomalies++;
                }
            }
            expected = section.counterWritten();
            previous = section;
        }
        return broken;
    }

    private static void checkTokenOrder(String key, List<Section> sections, Tally tally) {
        Section previous = null;
        for (Section section : sections) {
            if (previous != null && section.token() <= previous.token()) {
                if (bothProtected(previous, section)) {
                    tally.tokenOrder++;
                    tally.example("TOKEN ORDER on " + key + ": " + section.describe() + " ran after "
                            + previous.describe());
                } else {
                    tally.unprotectedAnomalies++;
                }
            }
            previous = section;
        }
    }

    private static boolean bothProtected(Section previous, Section section) {
        return section.protectedByLease() && (previous == null || previous.protectedByLease());
    }

    /** Counters of one check. */
    private static final class Tally {
        int overlaps;
        int lostUpdates;
        int tokenOrder;
        int unprotectedAnomalies;
        final List<String> examples = new ArrayList<>();

        void example(String text) {
            if (examples.size() < MAX_EXAMPLES) {
                examples.add(text);
            }
        }
    }
}
