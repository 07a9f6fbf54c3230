package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.internal.redis.HookBenchmarks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link CycleBenchmarks} with JMH and returns the time per cycle of each contender; in the same run, for the
 * metrics overhead, {@link CycleBenchmarks#adapterMicrometer} and the hooks of one cycle ({@link HookBenchmarks}).
 */
final class MicroBenchmarkRun {

    /**
     * The average time of one cycle and its 99.9 % confidence half-width (NaN with a single iteration), in µs; and
     * the averages of the fastest and the slowest measured iteration (NaN when unknown).
     */
    record Score(double micros, double error, long samples, double fastest, double slowest) {

        /** Without the fastest and slowest iteration. */
        Score(double micros, double error, long samples) {
            this(micros, error, samples, Double.NaN, Double.NaN);
        }

        /** @return the relative error, 0 when unknown */
        double relativeError() {
            return Double.isNaN(error) || micros == 0 ? 0 : error / micros;
        }
    }

    /**
     * What was measured and how.
     *
     * @param scores   the time per cycle, by contender
     * @param overhead the rest, by benchmark: {@value #METERED} (a cycle, as {@link Contender#ADAPTER} with a
     *                 Micrometer recorder), and {@value #HOOKS_NONE}, {@value #HOOKS_NONE_NOT_INLINED},
     *                 {@value #HOOKS_MICROMETER} (one cycle's event and metric hooks alone); in µs like the cycles
     * @param settings how
     */
    record Outcome(Map<Contender, Score> scores, Map<String, Score> overhead, String settings) {
    }

    /** {@link CycleBenchmarks#adapterMicrometer}. */
    static final String METERED = "adapterMicrometer";
    /** {@link HookBenchmarks#none}. */
    static final String HOOKS_NONE = "hooks.none";
    /** {@link HookBenchmarks#noneNotInlined}. */
    static final String HOOKS_NONE_NOT_INLINED = "hooks.noneNotInlined";
    /** {@link HookBenchmarks#micrometer}. */
    static final String HOOKS_MICROMETER = "hooks.micrometer";

    private MicroBenchmarkRun() {
    }

    /**
     * The JMH options of a part of the benchmark: one thread, the configured forks, warm-up and
     * measurement iterations of {@code jmhIterationMillis}, output to {@code log}.
     */
    static Options jmhOptions(BenchmarkOptions options, List<String> jvmArgs, Path log, Class<?>... benchmarks) {
        OptionsBuilder builder = new OptionsBuilder();
        for (Class<?> benchmark : benchmarks) {
            builder.include(benchmark.getName().replace(".", "\\.") + "\\.");
        }
        return builder
                .forks(options.jmhForks())
                .warmupIterations(options.jmhWarmupIterations())
                .warmupTime(TimeValue.milliseconds(options.jmhIterationMillis()))
                .measurementIterations(options.jmhMeasurementIterations())
                .measurementTime(TimeValue.milliseconds(options.jmhIterationMillis()))
                .threads(1)
                .jvmArgs(jvmArgs.toArray(String[]::new))
                .shouldFailOnError(true)
                .output(log.toString())
                .build();
    }

    /**
     * @param options     the run's sizes
     * @param forkAddress the Redis address for the forks' command line, or {@code null} when they
     *                    read it from {@code REDIS_URL} (which they inherit)
     * @param keyPrefix   the run's key prefix
     * @param log         where JMH writes its own report
     * @return the scores
     */
    static Outcome run(BenchmarkOptions options, String forkAddress, String keyPrefix, Path log) throws RunnerException {
        List<String> jvmArgs = new ArrayList<>(List.of("-Xms512m", "-Xmx512m",
                "-D" + BenchmarkRedis.PREFIX_PROPERTY + "=" + keyPrefix,
                "-Dorg.jboss.logging.provider=slf4j",
                "-Dorg.slf4j.simpleLogger.log.org.jboss.weld=warn"));
        if (forkAddress != null) {
            jvmArgs.add("-D" + BenchmarkRedis.ADDRESS_PROPERTY + "=" + forkAddress);
        }
        if (options.jmhForks() == 0) {
            // the benchmarks run in this JVM and read their settings from its system properties
            System.setProperty(BenchmarkRedis.PREFIX_PROPERTY, keyPrefix);
            if (forkAddress != null) {
                System.setProperty(BenchmarkRedis.ADDRESS_PROPERTY, forkAddress);
            }
        }
        Collection<RunResult> results = new Runner(jmhOptions(options, jvmArgs, log, CycleBenchmarks.class,
                HookBenchmarks.class)).run();
        Map<Contender, Score> scores = new EnumMap<>(Contender.class);
        Map<String, Score> overhead = new LinkedHashMap<>();
        for (RunResult result : results) {
            String benchmark = result.getParams().getBenchmark();
            String method = benchmark.substring(benchmark.lastIndexOf('.') + 1);
            Result<?> primary = result.getPrimaryResult();
            double perMicro = switch (primary.getScoreUnit()) {
                case "us/op" -> 1;
                case "ns/op" -> 1000;
                default -> throw new IllegalStateException("Unexpected JMH unit " + primary.getScoreUnit());
            };
            Score score = new Score(primary.getScore() / perMicro, primary.getScoreError() / perMicro,
                    primary.getSampleCount(), primary.getStatistics().getMin() / perMicro,
                    primary.getStatistics().getMax() / perMicro);
            if (benchmark.startsWith(HookBenchmarks.class.getName() + ".")) {
                overhead.put("hooks." + method, score);
            } else if (method.equals(METERED)) {
                overhead.put(METERED, score);
            } else {
                scores.put(Contender.byId(method), score);
            }
        }
        String settings = String.format(java.util.Locale.ROOT,
                "JMH 1.37, average time, 1 thread, %s × (%d warm-up + %d measured iterations of %d ms each)",
                options.jmhForks() == 0 ? "in the driver JVM (no fork)" : options.jmhForks() + " fork(s)", options.jmhWarmupIterations(), options.jmhMeasurementIterations(),
                options.jmhIterationMillis());
        return new Outcome(scores, overhead, settings);
    }
}
