package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.testing.JvmProcess;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.TestRedis;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The benchmark, run by {@code mvn -Pbenchmark verify} (see {@link BenchmarkOptions} for the
 * system properties, and the package documentation for what is measured). Uses the Redis the
 * tests would use ({@code REDIS_URL}, else Testcontainers, else a {@code redis-server} process it
 * starts), writes {@code results.md} and its SVG plots (one per hot-key shape, one of the distinct
 * keys) into the results folder, prints the report, and exits with 0, or 1 when a part could not
 * run or two critical sections on the hot key overlapped. It never fails because of a figure:
 * speed is reported, not asserted.
 */
public final class BenchmarkMain {

    private static final String QUIET_FIXTURE_LOG = "org.slf4j.simpleLogger.log.io.github.distributedmutex.testing";
    /** Marks the names of unmeasured warm-up phases. */
    private static final String WARM_UP = "-warmup-";

    private BenchmarkMain() {
    }

    /**
     * @param args ignored; see {@link BenchmarkOptions} for the system properties
     */
    public static void main(String[] args) {
        if (System.getProperty(QUIET_FIXTURE_LOG) == null) {
            System.setProperty(QUIET_FIXTURE_LOG, "warn");
        }
        PrintStream out = System.out;
        int status;
        try {
            status = run(BenchmarkOptions.fromSystemProperties(), out);
        } catch (Throwable e) {
            out.println("BENCHMARK FAILED: " + e);
            e.printStackTrace(out);
            status = 1;
        }
        out.flush();
        System.exit(status);
    }

    /**
     * Runs every selected part and writes the report.
     *
     * @return the exit status: 0, or 1 when a sanity check of the harness failed
     */
    static int run(BenchmarkOptions options, PrintStream out) throws Exception {
        out.printf(Locale.ROOT, "distributed-mutex benchmark, %s run: %s%n", options.smoke() ? "SMOKE" : "full",
                options.sections());
        String address = TestRedis.address();
        // an address from REDIS_URL may carry a password: JMH forks inherit REDIS_URL instead of a command-line copy
        String forkAddress = address.equals(trimmed(System.getenv(TestRedis.REDIS_URL_VARIABLE))) ? null : address;
        String keyPrefix = "bench-" + UUID.randomUUID().toString().substring(0, 8) + ":";
        Files.createDirectories(options.workDirectory());
        MachineInfo machine = MachineInfo.collect(address, TestRedis.source());
        out.printf(Locale.ROOT, "Redis %s (%s); %s, %d cores; %s%n", machine.redisVersion(), machine.redisSource(),
                machine.cpu(), machine.cores(), machine.jvm());
        BenchmarkResults.Builder results = new BenchmarkResults.Builder(options, machine);
        try {
            if (options.runs("micro")) {
                part(results, out, "micro", "uncontended cycles (JMH; its own report goes to "
                        + options.workDirectory().resolve("jmh.log") + ")");
                results.micro = MicroBenchmarkRun.run(options, forkAddress, keyPrefix,
                        options.workDirectory().resolve("jmh.log"));
            }
            if (options.runs("census")) {
                part(results, out, "census", "Redis round trips per operation");
                results.census = RoundTripCensus.run(address, keyPrefix, options.censusOperations());
            }
            if (options.runs("hot")) {
                results.hotKey = new LinkedHashMap<>();
                for (BenchmarkOptions.HotShape shape : options.hotShapes()) {
                    part(results, out, "hot " + shape.id(), "one hot key, " + shape.label());
                    results.hotKey.put(shape, hotKey(options, shape, address, keyPrefix, results));
                }
            }
            if (options.runs("fairsweep")) {
                BenchmarkOptions.HotShape shape = options.hotShapes().get(0);
                part(results, out, "fairsweep", "hybrid fairness thresholds on one hot key, " + shape.label());
                results.fairSweep = fairSweep(options, shape, address, keyPrefix);
            }
            if (options.runs("distinct")) {
                part(results, out, "distinct", "distinct keys");
                results.distinctKeys = distinctKeys(options, address, keyPrefix, results);
            }
            if (options.runs("memory")) {
                part(results, out, "memory", "retained heap");
                results.memory = memory(options, address, keyPrefix);
            }
            if (options.runs("acks")) {
                Path jmhLog = options.workDirectory().resolve("jmh-acks.log");
                part(results, out, "acks", "replica acknowledgements (JMH, a master with one replica; its own report"
                        + " goes to " + jmhLog + ")");
                results.replicaAcks = ReplicaAckRun.run(options, keyPrefix, jmhLog);
            }
            results.loadAverages.put("end", MachineInfo.loadAverage());
        } finally {
            deleteKeys(address, keyPrefix);
        }
        BenchmarkResults finished = results.build();
        ResultsReport report = new ResultsReport(finished);
        Path written = report.write(options.outputDirectory());
        out.println();
        out.println(report.markdown());
        out.println("Report and plots written to " + written.getParent());
        if (overlapped(finished.hotKey()) || finished.fairSweep() != null
                && finished.fairSweep().values().stream().anyMatch(r -> r.overlaps() > 0)) {
            out.println("BENCHMARK FAILED: critical sections on the hot key overlapped (see the report)");
            return 1;
        }
        return 0;
    }

    private static void part(BenchmarkResults.Builder results, PrintStream out, String part, String title) {
        String load = MachineInfo.loadAverage();
        results.loadAverages.put(part, load);
        out.printf(Locale.ROOT, "%n== %s (at %d s; load average %s) ==%n", title,
                (System.nanoTime() - results.startedNanos) / 1_000_000_000L, load);
    }

    private static boolean overlapped(Map<BenchmarkOptions.HotShape, Map<Contender, LoadResult>> hotKey) {
        return hotKey != null && hotKey.values().stream().flatMap(byContender -> byContender.values().stream())
                .anyMatch(r -> r.overlaps() > 0);
    }

    /** Every contender of the hot key in one run of the shape's JVMs, the order reversed every other round. */
    private static Map<Contender, LoadResult> hotKey(BenchmarkOptions options, BenchmarkOptions.HotShape shape,
                                                     String address, String keyPrefix, BenchmarkResults.Builder results)
            throws IOException, InterruptedException {
        List<Contender> order = List.of(Contender.ADAPTER, Contender.ADAPTER_FIFO, Contender.ADAPTER_HYBRID,
                Contender.RLOCK, Contender.RFAIRLOCK, Contender.GO_PACKAGE);
        String name = "hot-" + shape.id();
        List<LoadPhase> phases = new ArrayList<>();
        for (Contender contender : order) {
            phases.add(new LoadPhase(name + WARM_UP + contender.id(), contender, shape.threads(), true,
                    options.hotInsideMicros(), options.hotOutsideMicros(), options.hotWarmupMillis(), 1,
                    options.hotThresholdMicros()));
        }
        for (int round = 0; round < options.hotRounds(); round++) {
            for (Contender contender : round % 2 == 0 ? order : reversed(order)) {
                phases.add(new LoadPhase(name + "-" + contender.id() + "-r" + round, contender, shape.threads(), true,
                        options.hotInsideMicros(), options.hotOutsideMicros(), options.hotWarmupMillis(),
                        options.hotMeasureMillis(), options.hotThresholdMicros()));
            }
        }
        LoadRun.Outcome outcome = LoadRun.run(name, phases, shape.processes(), address, keyPrefix,
                options.workDirectory());
        results.workerFlags = outcome.jvmFlags();
        return byContender(order, outcome.phases());
    }

    /**
     * The hybrid adapter at each threshold of the sweep, one round, in one run of the shape's JVMs.
     *
     * @return the results by threshold in microseconds, in the order of the sweep
     */
    private static Map<Long, LoadResult> fairSweep(BenchmarkOptions options, BenchmarkOptions.HotShape shape,
                                                   String address, String keyPrefix)
            throws IOException, InterruptedException {
        List<LoadPhase> phases = new ArrayList<>();
        phases.add(new LoadPhase("sweep" + WARM_UP + Contender.ADAPTER_HYBRID.id(), Contender.ADAPTER_HYBRID,
                shape.threads(), true, options.hotInsideMicros(), options.hotOutsideMicros(), options.hotWarmupMillis(),
                1, options.sweepThresholdsMicros().get(0)));
        for (long threshold : options.sweepThresholdsMicros()) {
            phases.add(new LoadPhase("sweep-" + threshold + "us", Contender.ADAPTER_HYBRID, shape.threads(), true,
                    options.hotInsideMicros(), options.hotOutsideMicros(), options.hotWarmupMillis(),
                    options.hotMeasureMillis(), threshold));
        }
        Map<String, LoadResult> byPhase = LoadRun.run("fairsweep-" + shape.id(), phases, shape.processes(), address,
                keyPrefix, options.workDirectory()).phases();
        Map<Long, LoadResult> results = new LinkedHashMap<>();
        for (long threshold : options.sweepThresholdsMicros()) {
            results.put(threshold, byPhase.get("sweep-" + threshold + "us"));
        }
        return results;
    }

    private static Map<String, Map<Contender, LoadResult>> distinctKeys(BenchmarkOptions options, String address,
                                                                    String keyPrefix, BenchmarkResults.Builder run)
            throws IOException, InterruptedException {
        List<Contender> order = List.of(Contender.FLOOR, Contender.RLOCK, Contender.ADAPTER);
        Map<String, Map<Contender, LoadResult>> results = new LinkedHashMap<>();
        List<LoadPhase> single = warmUps("d1", order, 4, false, 0, 0, options.distinctWarmupMillis());
        for (int threads : options.distinctThreads()) {
            single.addAll(distinctPhases("d1x" + threads, threads, order, options));
        }
        LoadRun.Outcome singleRun = LoadRun.run("distinct-1jvm", single, 1, address, keyPrefix, options.workDirectory());
        run.workerFlags = singleRun.jvmFlags();
        Map<String, LoadResult> singleResults = singleRun.phases();
        for (int threads : options.distinctThreads()) {
            Map<String, LoadResult> ofThreads = new LinkedHashMap<>();
            singleResults.forEach((phase, result) -> {
                if (phase.startsWith("d1x" + threads + "-")) {
                    ofThreads.put(phase, result);
                }
            });
            results.put(threads == 1 ? "1 JVM × 1 thread" : "1 JVM × " + threads + " threads",
                    byContender(order, ofThreads));
        }
        int perJvm = options.distinctProcessThreads();
        List<LoadPhase> twoJvms = warmUps("d2", order, perJvm, false, 0, 0, options.distinctWarmupMillis());
        twoJvms.addAll(distinctPhases("d2x" + perJvm, perJvm, order, options));
        Map<String, LoadResult> dual = LoadRun.run("distinct-2jvm", twoJvms, 2, address, keyPrefix,
                options.workDirectory()).phases();
        results.put("2 JVMs × " + perJvm + " threads", byContender(order, dual));
        return results;
    }

    private static List<LoadPhase> distinctPhases(String name, int threads, List<Contender> order,
                                                  BenchmarkOptions options) {
        List<LoadPhase> phases = new ArrayList<>();
        for (int round = 0; round < options.distinctRounds(); round++) {
            for (Contender contender : round % 2 == 0 ? order : reversed(order)) {
                phases.add(new LoadPhase(name + "-" + contender.id() + "-r" + round, contender, threads, false, 0, 0,
                        options.distinctWarmupMillis(), options.distinctMeasureMillis()));
            }
        }
        return phases;
    }

    /**
     * @return one unmeasured phase per contender, named {@code <name>-warmup-<contender>}, so that no measured phase
     *         pays for a fresh worker JVM's JIT compilation
     */
    private static List<LoadPhase> warmUps(String name, List<Contender> order, int threads, boolean hotKey,
                                           long insideMicros, long outsideMicros, long millis) {
        List<LoadPhase> phases = new ArrayList<>();
        for (Contender contender : order) {
            phases.add(new LoadPhase(name + WARM_UP + contender.id(), contender, threads, hotKey, insideMicros,
                    outsideMicros, millis, 1));
        }
        return phases;
    }

    /** @return the measured rounds of each contender merged (warm-up phases left out), in the given order */
    private static Map<Contender, LoadResult> byContender(List<Contender> order, Map<String, LoadResult> byPhase) {
        Map<Contender, LoadResult> merged = new LinkedHashMap<>();
        for (Contender contender : order) {
            List<LoadResult> rounds = byPhase.entrySet().stream()
                    .filter(e -> !e.getKey().contains(WARM_UP) && e.getValue().contender() == contender)
                    .map(Map.Entry::getValue).toList();
            if (!rounds.isEmpty()) {
                merged.put(contender, LoadResult.merge(rounds));
            }
        }
        return merged;
    }

    private static Map<String, Double> memory(BenchmarkOptions options, String address, String keyPrefix)
            throws InterruptedException {
        Map<String, Double> figures = new LinkedHashMap<>();
        JvmProcess probe = JvmProcess.start("memory", MemoryProbe.class, Map.of(
                        MemoryProbe.HELD, Integer.toString(options.memoryHeldLocks()),
                        MemoryProbe.KEYS, Integer.toString(options.memoryKeys()),
                        MemoryProbe.THREADS, Integer.toString(options.memoryThreads()),
                        BenchmarkRedis.PREFIX_PROPERTY, keyPrefix + "memory:"),
                Map.of(BenchmarkRedis.ADDRESS_VARIABLE, address));
        try {
            int exit = probe.awaitExit(Duration.ofMinutes(20));
            if (exit != 0) {
                throw new IllegalStateException("the memory probe exited with " + exit);
            }
            for (String line : probe.lines()) {
                if (line.startsWith("MEMORY ")) {
                    String[] pair = line.substring("MEMORY ".length()).split("=", 2);
                    figures.put(pair[0], Double.parseDouble(pair[1]));
                }
            }
        } finally {
            probe.close();
        }
        return figures;
    }

    /**
     * Removes what the run left in Redis (nothing should be left but barrier counters), in batches; also what
     * {@code RFairLock} keeps beside its lock ({@code redisson_lock_queue:{name}}, {@code redisson_lock_timeout:{name}}),
     * should a queue outlive the run.
     */
    private static void deleteKeys(String address, String keyPrefix) {
        try {
            List<String> keys = new ArrayList<>(RedisCommands.callForList(address, "KEYS", keyPrefix + "*"));
            keys.addAll(RedisCommands.callForList(address, "KEYS", "redisson_lock_*:{" + keyPrefix + "*"));
            for (int i = 0; i < keys.size(); i += 500) {
                List<String> batch = keys.subList(i, Math.min(keys.size(), i + 500));
                List<String> command = new ArrayList<>(List.of("DEL"));
                command.addAll(batch);
                RedisCommands.call(address, command.toArray(String[]::new));
            }
        } catch (RuntimeException e) {
            System.out.println("Could not remove the run's keys (prefix " + keyPrefix + "): " + e);
        }
    }

    private static <T> List<T> reversed(List<T> list) {
        List<T> copy = new ArrayList<>(list);
        java.util.Collections.reverse(copy);
        return copy;
    }

    private static String trimmed(String value) {
        return value == null ? null : value.trim();
    }
}
