package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.redisson.api.RedissonClient;

/**
 * Starts a master and one replica ({@code --replicaof}) on loopback, runs {@link ReplicaAckBenchmarks} against the
 * master with the same JMH settings as the uncontended cycles, and counts what one acquisition sends with each
 * policy ({@code INFO commandstats}). The pair is the run's own, whatever Redis the other parts use.
 */
final class ReplicaAckRun {

    /**
     * What was measured.
     *
     * @param scores                µs per cycle by benchmark ({@code off}, {@code acks1})
     * @param waitsPerAcquisition   {@code WAIT}s the master ran per acquisition, by benchmark
     * @param scriptsPerAcquisition script calls the master ran per acquisition, by benchmark
     * @param interleaved           the interleaved measurement
     * @param settings              the JMH settings
     * @param servers               the Redis version and how the pair was started
     */
    record Outcome(Map<String, MicroBenchmarkRun.Score> scores, Map<String, Double> waitsPerAcquisition,
                   Map<String, Double> scriptsPerAcquisition, Interleaved interleaved, String settings,
                   String servers) {
    }

    /**
     * Cycles of both policies alternated in one loop (which one goes first alternates too), so that a machine shared
     * with other work slows both alike: medians and 90th percentiles in µs per cycle, and the median of the
     * differences within each pair.
     *
     * @param pairs measured pairs (after as many unmeasured ones)
     */
    record Interleaved(int pairs, double offMedian, double offP90, double acksMedian, double acksP90,
                       double differenceMedian) {
    }

    private static final int COUNTED_ACQUISITIONS = 200;
    private static final int PAIRS = 3_000;
    private static final int SMOKE_PAIRS = 100;

    private ReplicaAckRun() {
    }

    /**
     * @param options   the run's sizes (the JMH settings of the uncontended cycles)
     * @param keyPrefix the run's key prefix
     * @param log       where JMH writes its own report
     * @return the figures
     */
    static Outcome run(BenchmarkOptions options, String keyPrefix, Path log) throws RunnerException {
        try (RedisServerProcess master = RedisServerProcess.start();
             RedisServerProcess replica = RedisServerProcess.start("--replicaof", "127.0.0.1",
                     Integer.toString(master.port()))) {
            awaitReplicaOnline(master);
            Map<String, Double> waits = new LinkedHashMap<>();
            Map<String, Double> scripts = new LinkedHashMap<>();
            count(master, keyPrefix, waits, scripts);
            Interleaved interleaved = interleaved(master, keyPrefix, options.smoke() ? SMOKE_PAIRS : PAIRS);
            Map<String, MicroBenchmarkRun.Score> scores = measure(options, master.address(), keyPrefix, log);
            String servers = "Redis " + BenchmarkRedis.serverInfo(master.address(), "redis_version")
                    + ", a master and one replica (`--replicaof`) on loopback, started for this part";
            String settings = String.format(Locale.ROOT,
                    "JMH 1.37, average time, 1 thread, %s × (%d warm-up + %d measured iterations of %d ms each)",
                    options.jmhForks() == 0 ? "in the driver JVM (no fork)" : options.jmhForks() + " fork(s)",
                    options.jmhWarmupIterations(), options.jmhMeasurementIterations(), options.jmhIterationMillis());
            return new Outcome(scores, waits, scripts, interleaved, settings, servers);
        }
    }

    private static Map<String, MicroBenchmarkRun.Score> measure(BenchmarkOptions options, String address,
                                                                String keyPrefix, Path log) throws RunnerException {
        List<String> jvmArgs = new ArrayList<>(List.of("-Xms512m", "-Xmx512m",
                "-D" + BenchmarkRedis.PREFIX_PROPERTY + "=" + keyPrefix,
                "-D" + ReplicaAckBenchmarks.ADDRESS_PROPERTY + "=" + address));
        if (options.jmhForks() == 0) {
            System.setProperty(BenchmarkRedis.PREFIX_PROPERTY, keyPrefix);
            System.setProperty(ReplicaAckBenchmarks.ADDRESS_PROPERTY, address);
        }
        Collection<RunResult> results = new Runner(MicroBenchmarkRun.jmhOptions(options, jvmArgs, log,
                ReplicaAckBenchmarks.class)).run();
        Map<String, MicroBenchmarkRun.Score> scores = new LinkedHashMap<>();
        for (RunResult result : results) {
            String benchmark = result.getParams().getBenchmark();
            Result<?> primary = result.getPrimaryResult();
            scores.put(benchmark.substring(benchmark.lastIndexOf('.') + 1),
                    new MicroBenchmarkRun.Score(primary.getScore(), primary.getScoreError(), primary.getSampleCount()));
        }
        return scores;
    }

    /** Counts, with the master's {@code INFO commandstats}, what {@value #COUNTED_ACQUISITIONS} acquisitions run. */
    private static void count(RedisServerProcess master, String keyPrefix, Map<String, Double> waits,
                              Map<String, Double> scripts) {
        RedissonClient client = BenchmarkRedis.newClient(master.address());
        Settings settings = Settings.defaults().withRedisAddress(master.address())
                .withKeyPrefix(keyPrefix + "acks-count:");
        try (RedisAdapter off = new RedisAdapter(client, settings, false);
             RedisAdapter acks = new RedisAdapter(client, settings.withReplicaAcks(ReplicaAckBenchmarks.ONE), false)) {
            Map<String, RedisAdapter> adapters = new LinkedHashMap<>();
            adapters.put("off", off);
            adapters.put("acks1", acks);
            for (Map.Entry<String, RedisAdapter> entry : adapters.entrySet()) {
                RedisAdapter adapter = entry.getValue();
                adapter.lock("warm-up").close();
                List<Lease> held = new ArrayList<>();
                RedisCommands.call(master.address(), "CONFIG", "RESETSTAT");
                for (int i = 0; i < COUNTED_ACQUISITIONS; i++) {
                    held.add(adapter.lock("count-" + entry.getKey() + "-" + i));
                }
                waits.put(entry.getKey(), calls(master, "wait") / COUNTED_ACQUISITIONS);
                scripts.put(entry.getKey(), (calls(master, "evalsha") + calls(master, "eval")) / COUNTED_ACQUISITIONS);
                held.forEach(Lease::close);
            }
        } finally {
            BenchmarkRedis.shutdown(client);
        }
    }

    private static Interleaved interleaved(RedisServerProcess master, String keyPrefix, int pairs) {
        RedissonClient client = BenchmarkRedis.newClient(master.address());
        Settings settings = Settings.defaults().withRedisAddress(master.address())
                .withKeyPrefix(keyPrefix + "acks-interleaved:");
        try (RedisAdapter off = new RedisAdapter(client, settings, false);
             RedisAdapter acks = new RedisAdapter(client, settings.withReplicaAcks(ReplicaAckBenchmarks.ONE), false)) {
            double[] offMicros = new double[pairs];
            double[] acksMicros = new double[pairs];
            double[] differences = new double[pairs];
            for (int round = 0; round < 2; round++) { // the first round warms up and is not kept
                for (int i = 0; i < pairs; i++) {
                    boolean offFirst = i % 2 == 0;
                    double first = cycle(offFirst ? off : acks, offFirst ? "off" : "acks1");
                    double second = cycle(offFirst ? acks : off, offFirst ? "acks1" : "off");
                    offMicros[i] = offFirst ? first : second;
                    acksMicros[i] = offFirst ? second : first;
                    differences[i] = acksMicros[i] - offMicros[i];
                }
            }
            Arrays.sort(offMicros);
            Arrays.sort(acksMicros);
            Arrays.sort(differences);
            return new Interleaved(pairs, percentile(offMicros, 0.5), percentile(offMicros, 0.9),
                    percentile(acksMicros, 0.5), percentile(acksMicros, 0.9), percentile(differences, 0.5));
        } finally {
            BenchmarkRedis.shutdown(client);
        }
    }

    /** @return µs of one lock/close cycle */
    private static double cycle(RedisAdapter adapter, String key) {
        long start = System.nanoTime();
        adapter.lock(key).close();
        return (System.nanoTime() - start) / 1_000.0;
    }

    private static double percentile(double[] sorted, double quantile) {
        return sorted[Math.min(sorted.length - 1, (int) Math.floor(quantile * sorted.length))];
    }

    private static double calls(RedisServerProcess master, String command) {
        String prefix = "cmdstat_" + command + ":calls=";
        for (String line : RedisCommands.call(master.address(), "INFO", "commandstats").split("\r?\n")) {
            if (line.startsWith(prefix)) {
                return Long.parseLong(line.substring(prefix.length(), line.indexOf(',')));
            }
        }
        return 0;
    }

    private static void awaitReplicaOnline(RedisServerProcess master) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!RedisCommands.call(master.address(), "INFO", "replication").contains("state=online")) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the replica did not come online within 30 s");
            }
            // polling an external process that is still starting
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }
}
