package io.github.distributedmutex.benchmark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/** Runs {@link CycleBenchmarks} with JMH and returns the time per cycle of each contender. */
final class MicroBenchmarkRun {

    /** The average time of one cycle and its 99.9 % confidence half-width (NaN with a single iteration), in µs. */
    record Score(double micros, double error, long samples) {

        /** @return the relative error, 0 when unknown */
        double relativeError() {
            return Double.isNaN(error) || micros == 0 ? 0 : error / micros;
        }
    }

    /** What was measured and how. */
    record Outcome(Map<Contender, Score> scores, String settings) {
    }

    private MicroBenchmarkRun() {
    }

    /**
     * The JMH options of a part of the benchmark: one thread, the configured forks, warm-up and
     * measurement iterations of {@code jmhIterationMillis}, output to {@code log}.
     */
    static Options jmhOptions(BenchmarkOptions options, Class<?> benchmarks, List<String> jvmArgs, Path log) {
        return new OptionsBuilder()
                .include(benchmarks.getName() + "\\.")
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
        Collection<RunResult> results = new Runner(jmhOptions(options, CycleBenchmarks.class, jvmArgs, log)).run();
        Map<Contender, Score> scores = new EnumMap<>(Contender.class);
        for (RunResult result : results) {
            String benchmark = result.getParams().getBenchmark();
            Contender contender = Contender.byId(benchmark.substring(benchmark.lastIndexOf('.') + 1));
            Result<?> primary = result.getPrimaryResult();
            if (!"us/op".equals(primary.getScoreUnit())) {
                throw new IllegalStateException("Unexpected JMH unit " + primary.getScoreUnit());
            }
            scores.put(contender, new Score(primary.getScore(), primary.getScoreError(), primary.getSampleCount()));
        }
        String settings = String.format(java.util.Locale.ROOT,
                "JMH 1.37, average time, 1 thread, %s × (%d warm-up + %d measured iterations of %d ms each)",
                options.jmhForks() == 0 ? "in the driver JVM (no fork)" : options.jmhForks() + " fork(s)", options.jmhWarmupIterations(), options.jmhMeasurementIterations(),
                options.jmhIterationMillis());
        return new Outcome(scores, settings);
    }
}
