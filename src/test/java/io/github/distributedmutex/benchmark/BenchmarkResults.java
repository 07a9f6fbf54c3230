package io.github.distributedmutex.benchmark;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything one run measured, for the report. A part that did not run is {@code null} (or empty).
 *
 * @param options      the run's sizes
 * @param machine      where it ran
 * @param started      when it started
 * @param took         how long it took
 * @param loadAverages the machine's load averages at the start of each part, by part
 * @param micro        uncontended cycles (JMH)
 * @param census       commands per operation
 * @param hotKey       the hot key, by shape (JVMs × threads) and contender
 * @param fairSweep    the hybrid adapter on the hot key (the first shape), by threshold in microseconds
 * @param distinctKeys distinct keys, by configuration ("1 thread", ...) and contender
 * @param memory       the memory probe's figures, by name
 * @param workerFlags  the JVM options of the load workers and the memory probe (those of the test fixture JvmProcess)
 * @param replicaAcks  the uncontended cycle with and without replica acknowledgements, on a master with one replica
 */
record BenchmarkResults(BenchmarkOptions options, MachineInfo machine, Instant started, Duration took,
                        Map<String, String> loadAverages, MicroBenchmarkRun.Outcome micro,
                        Map<Contender, RoundTripCensus.Count> census,
                        Map<BenchmarkOptions.HotShape, Map<Contender, LoadResult>> hotKey,
                        Map<Long, LoadResult> fairSweep, Map<String, Map<Contender, LoadResult>> distinctKeys,
                        Map<String, Double> memory,
                        String workerFlags, ReplicaAckRun.Outcome replicaAcks) {

    /** A run's results while they are being collected. */
    static final class Builder {
        final BenchmarkOptions options;
        final MachineInfo machine;
        final Instant started = Instant.now();
        final long startedNanos = System.nanoTime();
        final Map<String, String> loadAverages = new LinkedHashMap<>();
        MicroBenchmarkRun.Outcome micro;
        Map<Contender, RoundTripCensus.Count> census;
        Map<BenchmarkOptions.HotShape, Map<Contender, LoadResult>> hotKey;
        Map<Long, LoadResult> fairSweep;
        Map<String, Map<Contender, LoadResult>> distinctKeys;
        Map<String, Double> memory;
        String workerFlags;
        ReplicaAckRun.Outcome replicaAcks;

        Builder(BenchmarkOptions options, MachineInfo machine) {
            this.options = options;
            this.machine = machine;
        }

        BenchmarkResults build() {
            return new BenchmarkResults(options, machine, started, Duration.ofNanos(System.nanoTime() - startedNanos),
                    loadAverages, micro, census, hotKey, fairSweep, distinctKeys, memory, workerFlags, replicaAcks);
        }
    }
}
