package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.internal.config.DurationParser;
import io.github.distributedmutex.internal.config.Fairness;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The sizes of one benchmark run: the full run (about 16 minutes on 2 cores; the hot key about 6 of them, the
 * {@code fairsweep} part a little over 1) or the smoke run
 * ({@code -Dbenchmark.smoke=true}: every part, a few hundred milliseconds each, to prove the
 * harness works; its figures mean nothing).
 *
 * <p>System properties: {@code benchmark.smoke} ({@code false}), {@code benchmark.out} (the results
 * folder; default {@code benchmark-results/} for a full run and
 * {@code target/benchmark-results-smoke/} for a smoke run, below {@code benchmark.basedir}),
 * {@code benchmark.sections} (a comma-separated subset of
 * {@code micro,census,hot,fairsweep,distinct,memory,acks};
 * default all), {@code benchmark.memory.keys} (distinct keys of the memory run),
 * {@code benchmark.jmh.forks} (JMH forks per benchmark; 2, and 0 in a smoke run),
 * {@code benchmark.hot.shapes} (the hot key's JVMs × threads per JVM, comma-separated; default {@code 2x4,4x8}),
 * {@code benchmark.fairness.threshold} (the threshold of the hybrid adapter contender on the hot key, in the
 * library's duration syntax; default {@code 5ms}, the library's default),
 * {@code benchmark.fairsweep.thresholds} (the hybrid thresholds of the {@code fairsweep} part, comma-separated;
 * default {@code 1ms,2ms,5ms,10ms,20ms}).
 *
 * @param smoke                      whether this is a smoke run
 * @param outputDirectory            where the report and plots go
 * @param workDirectory              where raw samples and logs go
 * @param sections                   which parts run
 * @param jmhForks                   JMH forks per benchmark
 * @param jmhWarmupIterations        JMH warm-up iterations per fork
 * @param jmhMeasurementIterations   JMH measured iterations per fork
 * @param jmhIterationMillis         length of one JMH iteration
 * @param censusOperations           acquisitions counted per contender for the round-trip census
 * @param hotShapes                  the hot key's configurations (JVMs × threads per JVM), each a run of its own
 * @param hotThresholdMicros         the threshold of {@link Contender#ADAPTER_HYBRID} on the hot key
 * @param sweepThresholdsMicros      the hybrid thresholds of the {@code fairsweep} part (on the first hot-key shape,
 *                                   one round)
 * @param hotInsideMicros            time spent holding the lock per cycle
 * @param hotOutsideMicros           time spent outside the lock per cycle
 * @param hotRounds                  rounds over all contenders (the order reverses every other round)
 * @param hotWarmupMillis            warm-up of each hot-key phase
 * @param hotMeasureMillis           measured time of each hot-key phase
 * @param distinctThreads            thread counts of the single-JVM distinct-key phases
 * @param distinctProcessThreads     threads per JVM of the two-JVM distinct-key phase
 * @param distinctRounds             rounds over all contenders
 * @param distinctWarmupMillis       warm-up of each distinct-key phase
 * @param distinctMeasureMillis      measured time of each distinct-key phase
 * @param memoryHeldLocks            locks held at once for the per-lock heap figure
 * @param memoryKeys                 distinct keys locked and released for the retained-heap figure
 * @param memoryThreads              threads locking those keys
 */
record BenchmarkOptions(boolean smoke, Path outputDirectory, Path workDirectory, Set<String> sections,
                        int jmhForks, int jmhWarmupIterations, int jmhMeasurementIterations, int jmhIterationMillis,
                        int censusOperations,
                        List<HotShape> hotShapes, long hotThresholdMicros, List<Long> sweepThresholdsMicros,
                        long hotInsideMicros, long hotOutsideMicros, int hotRounds,
                        long hotWarmupMillis, long hotMeasureMillis,
                        List<Integer> distinctThreads, int distinctProcessThreads, int distinctRounds,
                        long distinctWarmupMillis, long distinctMeasureMillis,
                        int memoryHeldLocks, int memoryKeys, int memoryThreads) {

    /** Every part, in the order they run. */
    static final List<String> ALL_SECTIONS = List.of("micro", "census", "hot", "fairsweep", "distinct", "memory",
            "acks");

    /** The hot key's shapes unless {@code benchmark.hot.shapes} says otherwise. */
    static final List<HotShape> DEFAULT_HOT_SHAPES = List.of(new HotShape(2, 4), new HotShape(4, 8));
    /** The hybrid threshold unless {@code benchmark.fairness.threshold} says otherwise: the library's default. */
    static final long DEFAULT_THRESHOLD_MICROS = Fairness.DEFAULT_THRESHOLD.toNanos() / 1_000;

    /**
     * One configuration of the hot key.
     *
     * @param processes worker JVMs
     * @param threads   threads per JVM
     */
    record HotShape(int processes, int threads) {

        /** Checks the sizes. */
        HotShape {
            if (processes < 1 || threads < 1) {
                throw new IllegalArgumentException("a hot-key shape needs at least 1 JVM and 1 thread");
            }
        }

        /**
         * @param text {@code <JVMs>x<threads>}, for example {@code 2x4}
         * @return the shape
         * @throws IllegalArgumentException when the text is not one
         */
        static HotShape parse(String text) {
            String[] parts = text.trim().toLowerCase(Locale.ROOT).split("\\s*[x×]\\s*");
            try {
                if (parts.length == 2) {
                    return new HotShape(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
                }
            } catch (NumberFormatException e) {
                // the message below names the accepted form
            }
            throw new IllegalArgumentException("benchmark.hot.shapes: '" + text + "' is not <JVMs>x<threads>, for"
                    + " example 2x4");
        }

        /** @return the shape as {@link #parse} reads it, used in phase and file names: {@code 2x4} */
        String id() {
            return processes + "x" + threads;
        }

        /** @return the shape for the report: {@code 2 JVMs × 4 threads} */
        String label() {
            return processes + (processes == 1 ? " JVM × " : " JVMs × ") + threads
                    + (threads == 1 ? " thread" : " threads");
        }
    }

    /** @return the options given as system properties */
    static BenchmarkOptions fromSystemProperties() {
        boolean smoke = Boolean.parseBoolean(property("benchmark.smoke", "false"));
        Path base = Path.of(property("benchmark.basedir", ".")).toAbsolutePath().normalize();
        String out = property("benchmark.out", "");
        Path output = out.isEmpty()
                ? base.resolve(smoke ? "target/benchmark-results-smoke" : "benchmark-results")
                : base.resolve(out);
        Path work = base.resolve("target/benchmark-work");
        Set<String> sections = new LinkedHashSet<>();
        String wanted = property("benchmark.sections", "");
        for (String section : wanted.isEmpty() ? ALL_SECTIONS : List.of(wanted.toLowerCase(Locale.ROOT).split("\\s*,\\s*"))) {
            if (!ALL_SECTIONS.contains(section)) {
                throw new IllegalArgumentException("benchmark.sections: unknown part '" + section + "', known: " + ALL_SECTIONS);
            }
            sections.add(section);
        }
        int memoryKeys = Integer.parseInt(property("benchmark.memory.keys", smoke ? "10000" : "1000000"));
        // a smoke run's JMH runs without forks: a fork per benchmark would cost more than all its measurements
        int jmhForks = Integer.parseInt(property("benchmark.jmh.forks", smoke ? "0" : "2"));
        List<HotShape> hotShapes = new ArrayList<>();
        String shapes = property("benchmark.hot.shapes", "");
        for (String shape : shapes.isEmpty() ? List.<String>of() : List.of(shapes.split(","))) {
            hotShapes.add(HotShape.parse(shape));
        }
        if (hotShapes.isEmpty()) {
            hotShapes.addAll(DEFAULT_HOT_SHAPES);
        }
        String thresholdValue = property("benchmark.fairness.threshold", "");
        long threshold = thresholdValue.isEmpty() ? DEFAULT_THRESHOLD_MICROS
                : micros("benchmark.fairness.threshold", thresholdValue);
        List<Long> sweep = new ArrayList<>();
        for (String value : property("benchmark.fairsweep.thresholds", "1ms,2ms,5ms,10ms,20ms").split(",")) {
            sweep.add(micros("benchmark.fairsweep.thresholds", value));
        }
        if (smoke) {
            return new BenchmarkOptions(true, output, work, sections,
                    jmhForks, 1, 2, 150,
                    100,
                    hotShapes, threshold, sweep, 1_000, 2_000, 1, 100, 600,
                    List.of(1, 4, 16), 8, 1, 100, 200,
                    1_000, memoryKeys, 16);
        }
        return new BenchmarkOptions(false, output, work, sections,
                jmhForks, 3, 4, 1_000,
                2_000,
                hotShapes, threshold, sweep, 1_000, 2_000, 2, 2_000, 12_000,
                List.of(1, 4, 16), 8, 2, 1_000, 3_000,
                10_000, memoryKeys, 16);
    }

    /** @return the trimmed value, or {@code defaultValue} when unset, blank or an unresolved Maven expression */
    private static String property(String name, String defaultValue) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank() || value.startsWith("${")) {
            return defaultValue;
        }
        return value.trim();
    }

    /** @return a duration in the library's syntax ({@code 5ms}), in microseconds, within the hybrid threshold's range */
    private static long micros(String name, String value) {
        try {
            Duration duration = DurationParser.parse(value);
            return new Fairness(Fairness.Mode.HYBRID, duration).threshold().toNanos() / 1_000;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
    }

    /** @return whether the part runs */
    boolean runs(String section) {
        return sections.contains(section);
    }
}
