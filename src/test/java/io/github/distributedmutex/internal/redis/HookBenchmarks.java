package io.github.distributedmutex.internal.redis;

import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.internal.config.ObservabilitySettings;
import io.github.distributedmutex.internal.key.LockKey;
import io.github.distributedmutex.internal.metrics.MetricsBackends;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * JMH, in the benchmark's micro part (run by {@code MicroBenchmarkRun} next to {@code CycleBenchmarks}): the
 * event and metric hooks that one uncontended acquire+release cycle of one key executes, and nothing else, so that
 * their share of the cycle can be bounded in the same run. It lives in this package because {@link LockEvents} is
 * package-private; it is test code only.
 *
 * <p>One invocation is exactly what a successful uncontended cycle calls on its adapter's {@link LockEvents}, with
 * the arguments it passes (see {@link Acquisitions.Call} and {@link RedisLease}):
 * <ol>
 *   <li>{@code events.recording()}, and the metric name only when it is true ({@code Call}'s constructor); the
 *       name (null without a recorder) is kept by the call and its lease: here it goes to a {@link Blackhole};</li>
 *   <li>{@code events.acquired(key, owner, token, now - start)} per key granted ({@code Call.granted});</li>
 *   <li>{@code events.acquisition(name, now - start)} once the call succeeded ({@code Call.succeeded}), with its own
 *       {@link System#nanoTime()} read, which only this report needs;</li>
 *   <li>{@code events.released(key, name, owner, token, now - acquired)} once Redis confirmed the release
 *       ({@code RedisLease.report}).</li>
 * </ol>
 * Each of the three clock reads is included, although two of them also serve the debug logs and existed before
 * metrics: an upper bound, not an estimate.
 *
 * <p><b>What the JIT may and may not remove, and why that is production's.</b> The {@link LockEvents} is read from
 * a non-final field of the state (as production reads it from a final instance field of {@code Acquisitions} or
 * {@code HeldLeases}, which HotSpot does not treat as a constant), so it is not a compile-time constant, and JMH's
 * loop reads a volatile flag between invocations, so those loads are not hoisted out of the loop: each report
 * loads its flags ({@code acquired}, {@code released}, {@code recorder}) and branches on them, as in production. What
 * the JIT does remove, here as there once a report is inlined into its caller, is the argument arithmetic that only
 * the untaken branch uses ({@code now - start}). It cannot remove the {@link System#nanoTime()} calls (runtime calls)
 * nor the name, which is consumed. No value of a hook is otherwise observable (they return nothing), so no further
 * {@link Blackhole} is needed: a void hook that does nothing observable is what production executes too.
 * Because whether production inlines a report depends on its caller's size, {@link #noneNotInlined} measures the
 * same with every {@link LockEvents} method kept out of line (a real call each): the higher of the two bounds the
 * cost either way.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HookBenchmarks {

    /** What one cycle passes: a key of the adapter benchmark's shape, an owner id, a token, the clock readings. */
    public static class Cycle {
        LockEvents events;
        MetricNames metricNames;
        LockKey key;
        LockOptions options;
        String owner;
        long token;
        long start;
        long acquiredNanos;
        LockRecorder recorder;

        /** @param recorder the adapter's recorder, null for none (then {@link LockEvents#NONE}, as the adapter uses) */
        void set(LockRecorder recorder) {
            this.recorder = recorder;
            this.events = recorder == null ? LockEvents.NONE : new LockEvents(null, recorder);
            this.metricNames = new MetricNames();
            this.key = LockKey.of("key:adapter", "bench:cycle:");
            this.options = LockOptions.defaults();
            this.owner = OwnerId.of(OwnerId.newAdapterPart("bench"), 1);
            this.token = 42;
            this.start = System.nanoTime();
            this.acquiredNanos = start;
        }
    }

    /** No listener and no recorder: the production {@link LockEvents#NONE}. */
    @State(Scope.Thread)
    public static class Nothing extends Cycle {
        /** Sets up. */
        @Setup(Level.Trial)
        public void open() {
            set(null);
        }
    }

    /**
     * Micrometer present, nothing exporting: the recorder the library builds for a {@code SimpleMeterRegistry} bean
     * ({@link MetricsBackends#detect}: a {@code MicrometerLockRecorder} in a {@code CompositeLockRecorder}), started
     * as the adapter starts it.
     */
    @State(Scope.Thread)
    public static class Micrometer extends Cycle {
        /** Sets up. */
        @Setup(Level.Trial)
        public void open() {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            LockRecorder recorder = MetricsBackends.detect(ObservabilitySettings.Metrics.MICROMETER,
                    type -> type.isInstance(registry) ? Optional.of(registry) : Optional.empty());
            if (recorder == null) {
                throw new IllegalStateException("no Micrometer recorder");
            }
            recorder.start(new LockGauges() {
                @Override
                public Map<String, Integer> heldByName() {
                    return Map.of();
                }

                @Override
                public Map<String, Integer> waitingByName() {
                    return Map.of();
                }
            });
            set(recorder);
        }

        /** Unregisters. */
        @TearDown(Level.Trial)
        public void close() {
            recorder.stop();
        }
    }

    /** One uncontended cycle's hooks, nothing observing. */
    @Benchmark
    public void none(Nothing cycle, Blackhole blackhole) {
        hooks(cycle, blackhole);
    }

    /** The same, with every {@link LockEvents} method a real call (never inlined). */
    @Benchmark
    @Fork(jvmArgsAppend = {"-XX:CompileCommand=quiet",
            "-XX:CompileCommand=dontinline,io.github.distributedmutex.internal.redis.LockEvents::*"})
    public void noneNotInlined(Nothing cycle, Blackhole blackhole) {
        hooks(cycle, blackhole);
    }

    /** One uncontended cycle's hooks with Micrometer on a {@code SimpleMeterRegistry}: metric name and two recordings. */
    @Benchmark
    public void micrometer(Micrometer cycle, Blackhole blackhole) {
        hooks(cycle, blackhole);
    }

    private static void hooks(Cycle cycle, Blackhole blackhole) {
        LockEvents events = cycle.events;
        // Acquisitions.Call's constructor
        String name = events.recording() ? cycle.metricNames.of(cycle.key, cycle.options, null) : null;
        blackhole.consume(name);
        // Call.granted, one key
        events.acquired(cycle.key, cycle.owner, cycle.token, System.nanoTime() - cycle.start);
        // Call.succeeded
        events.acquisition(name, System.nanoTime() - cycle.start);
        // RedisLease.report, released
        events.released(cycle.key, name, cycle.owner, cycle.token, System.nanoTime() - cycle.acquiredNanos);
    }
}
