package io.github.distributedmutex.benchmark;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The sizes of one benchmark run: the full run (about 10 minutes on 2 cores) or the smoke run
 * ({@code -Dbenchmark.smoke=true}: every part, a few hundred milliseconds each, to prove the
 * harness works; its figures mean nothing).
 *
 * <p>System properties: {@code benchmark.smoke} ({@code false}), {@code benchmark.out} (the results
 * folder; default {@code benchmark-results/} for a full run and
 * {@code target/benchmark-results-smoke/} for a smoke run, below {@code benchmark.basedir}),
 * {@code benchmark.sections} (a comma-separated subset of {@code micro,census,hot,distinct,memory,acks};
 * default all), {@code benchmark.memory.keys} (distinct keys of the memory run),
 * {@code benchmark.jmh.forks} (JMH forks per benchmark; 2, and 0 in a smoke run).
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
 * @param hotProcesses               JVMs on the hot key
 * @param hotThreads                 threads per JVM on the hot key
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
                        int hotProcesses, int hotThreads, long hotInsideMicros, long hotOutsideMicros, int hotRounds,
                        long hotWarmupMillis, long hotMeasureMillis,
                        List<Integer> distinctThreads, int distinctProcessThreads, int distinctRounds,
                        long distinctWarmupMillis, long distinctMeasureMillis,
                        int memoryHeldLocks, int memoryKeys, int memoryThreads) {

    /** Every part, in the order they run. */
    static final List<String> ALL_SECTIONS = List.of("micro", "census", "hot", "distinct", "memory", "acks");

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
        if (smoke) {
            return new BenchmarkOptions(true, output, work, sections,
                    jmhForks, 1, 2, 150,
                    100,
                    2, 4, 1_000, 2_000, 1, 100, 600,
                    List.of(1, 4, 16), 8, 1, 100, 200,
                    1_000, memoryKeys, 16);
        }
        return new BenchmarkOptions(false, output, work, sections,
                jmhForks, 3, 4, 1_000,
                2_000,
                2, 4, 1_000, 2_000, 2, 2_000, 12_000,
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

    /** @return whether the part runs */
    boolean runs(String section) {
        return sections.contains(section);
    }
}
