package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.testing.JvmProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Drives a load run: starts the worker JVMs ({@link LoadWorker}, through the test fixture
 * {@link JvmProcess}), lets them run the same phases in lock-step, waits for them, and reads what
 * they recorded.
 */
final class LoadRun {

    private LoadRun() {
    }

    /**
     * What a load run produced.
     *
     * @param phases   the result of each phase, by phase name, in phase order
     * @param jvmFlags the JVM options the workers ran with
     */
    record Outcome(Map<String, LoadResult> phases, String jvmFlags) {
    }

    /**
     * @param name      the run's name (process names, the raw-data folder)
     * @param phases    what every worker runs, in order
     * @param processes how many worker JVMs
     * @param address   the Redis (handed to the workers in the environment)
     * @param keyPrefix the run's key prefix
     * @param work      where raw data goes
     * @return the result of each phase and the workers' JVM options
     * @throws IllegalStateException when a worker failed or did not finish in time
     */
    static Outcome run(String name, List<LoadPhase> phases, int processes, String address, String keyPrefix, Path work)
            throws IOException, InterruptedException {
        Path out = work.resolve(name);
        Files.createDirectories(out);
        long budgetMillis = 90_000;
        for (LoadPhase phase : phases) {
            budgetMillis += phase.plannedMillis() + LockStrategy.WAIT.toMillis() + 2_000;
        }
        List<JvmProcess> workers = new ArrayList<>();
        String flags = "?";
        try {
            for (int i = 0; i < processes; i++) {
                workers.add(JvmProcess.start(name + "-" + i, LoadWorker.class, Map.of(
                                LoadWorker.INDEX, Integer.toString(i),
                                LoadWorker.PROCESSES, Integer.toString(processes),
                                LoadWorker.PHASES, LoadPhase.encodeAll(phases),
                                LoadWorker.OUT, out.toString(),
                                BenchmarkRedis.PREFIX_PROPERTY, keyPrefix + name + ":"),
                        Map.of(BenchmarkRedis.ADDRESS_VARIABLE, address)));
            }
            // as soon as one worker fails, stop: the others would wait for it at the next barrier
            long deadline = System.nanoTime() + Duration.ofMillis(budgetMillis).toNanos();
            while (true) {
                int finished = 0;
                for (JvmProcess worker : workers) {
                    if (worker.isAlive()) {
                        continue;
                    }
                    int exit = worker.awaitExit(Duration.ofSeconds(10));
                    if (exit != 0) {
                        throw new IllegalStateException("load worker " + name + " exited with " + exit + "; last lines: "
                                + tail(worker.lines()));
                    }
                    finished++;
                }
                if (finished == workers.size()) {
                    break;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("load run " + name + " did not finish within " + budgetMillis + " ms");
                }
                // polling the other JVMs' progress in Redis (harness bookkeeping, not a measurement or a test)
                Thread.sleep(100);
            }
            flags = workers.get(0).lines().stream().filter(line -> line.startsWith(LoadWorker.JVM_FLAGS)).findFirst()
                    .map(line -> line.substring(LoadWorker.JVM_FLAGS.length())).orElse(flags);
        } finally {
            for (JvmProcess worker : workers) {
                worker.close();
            }
        }
        Map<String, LoadResult> results = new LinkedHashMap<>();
        for (LoadPhase phase : phases) {
            results.put(phase.name(), read(phase, processes, out));
        }
        return new Outcome(results, flags);
    }

    private static LoadResult read(LoadPhase phase, int processes, Path out) throws IOException {
        int threads = phase.threads();
        long[] perWorker = new long[processes * threads];
        long acquisitions = 0;
        long failures = 0;
        long errors = 0;
        LongBuffer waits = new LongBuffer();
        List<long[]> sections = new ArrayList<>();
        List<long[]> everySection = new ArrayList<>();
        for (int w = 0; w < processes; w++) {
            for (String line : Files.readAllLines(out.resolve(phase.name() + "-w" + w + ".tsv"))) {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "T" -> {
                        perWorker[w * threads + Integer.parseInt(f[1])] = Long.parseLong(f[2]);
                        acquisitions += Long.parseLong(f[2]);
                        failures += Long.parseLong(f[3]);
                        errors += Long.parseLong(f[4]);
                    }
                    case "A" -> {
                        waits.add(Long.parseLong(f[2]));
                        if (phase.hotKey()) {
                            sections.add(new long[] {Long.parseLong(f[3]), Long.parseLong(f[4])});
                            everySection.add(new long[] {Long.parseLong(f[3]), Long.parseLong(f[4]), w, 1});
                        }
                    }
                    case "U" -> everySection.add(new long[] {Long.parseLong(f[2]), Long.parseLong(f[3]), w, 0});
                    case "F" -> waits.add(Long.parseLong(f[2]));
                    default -> throw new IllegalStateException("unexpected line in " + phase.name() + ": " + line);
                }
            }
        }
        long[] sorted = waits.toArray();
        Arrays.sort(sorted);
        Sections analysed = analyse(sections);
        return new LoadResult(phase.contender(), perWorker.length, processes, acquisitions, failures, errors, perWorker,
                sorted, phase.measureMillis() / 1000.0, analysed.overlaps(), analysed.gaps(), analysed.heldNanos(),
                phase.hotKey() ? longestStreak(everySection) : -1);
    }

    /** What the critical sections on the hot key show, in time order. */
    private record Sections(int overlaps, long[] gaps, long heldNanos) {
    }

    /**
     * @param sections {acquiredAt, releasingAt} of every counted critical section, from all JVMs
     * @return how many began before an earlier one had ended, the gaps between consecutive ones, and
     *         the time the lock was held
     */
    private static Sections analyse(List<long[]> sections) {
        sections.sort((a, b) -> Long.compare(a[0], b[0]));
        int overlaps = 0;
        long held = 0;
        LongBuffer gaps = new LongBuffer();
        long end = 0;
        boolean first = true;
        for (long[] section : sections) {
            held += section[1] - section[0];
            if (!first) {
                if (section[0] - end < 0) {
                    overlaps++;
                } else {
                    gaps.add(section[0] - end);
                }
            }
            end = first || section[1] - end > 0 ? section[1] : end;
            first = false;
        }
        long[] sortedGaps = gaps.toArray();
        Arrays.sort(sortedGaps);
        return new Sections(overlaps, sortedGaps, held);
    }

    /**
     * The most consecutive acquisitions by one JVM, counted from the first counted acquisition on. The order is that
     * of {@code acquiredAt} on the machine-wide monotonic clock: each recorded section lies within its thread's hold
     * of the lock (taken after the lock call returned, before the release call), holds exclude one another, so
     * sections that do not overlap are in the order the lock was held. Every acquisition of the phase is recorded
     * (counted or not), so from the first counted one on, none is missing from that order.
     *
     * @param sections {acquiredAt, releasingAt, jvm, counted (1) or not (0)} of every acquisition on the hot key
     * @return the longest run, 0 without counted acquisitions, -1 when two sections (counted or not) overlapped: then
     *         there is no order
     */
    static int longestStreak(List<long[]> sections) {
        sections.sort((a, b) -> Long.compare(a[0], b[0]));
        int longest = 0;
        int run = 0;
        long jvm = -1;
        long end = 0;
        boolean first = true;
        boolean started = false;
        for (long[] section : sections) {
            if (!first && section[0] - end < 0) {
                return -1;
            }
            first = false;
            started |= section[3] == 1;
            end = section[1];
            if (!started) {
                continue;
            }
            run = section[2] == jvm ? run + 1 : 1;
            jvm = section[2];
            longest = Math.max(longest, run);
        }
        return longest;
    }

    private static List<String> tail(List<String> lines) {
        return lines.subList(Math.max(0, lines.size() - 20), lines.size());
    }

    /** A growable array of longs. */
    private static final class LongBuffer {
        private long[] values = new long[1024];
        private int size;

        void add(long value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
