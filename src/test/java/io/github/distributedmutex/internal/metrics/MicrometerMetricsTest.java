package io.github.distributedmutex.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.internal.config.ObservabilitySettings;
import io.github.distributedmutex.internal.metrics.micrometer.MicrometerLockRecorder;
import io.github.distributedmutex.internal.redis.LockRecorder;
import io.github.distributedmutex.testing.LogCapture;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@link LockMetricsContract} on Micrometer, read back from a {@link SimpleMeterRegistry}. */
class MicrometerMetricsTest extends LockMetricsContract {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Override
    LockRecorder newRecorder() {
        return MicrometerLockRecorder.create(registry);
    }

    @Override
    long acquisitions(String name, String outcome) {
        Timer timer = acquireTimer(name, outcome);
        return timer == null ? 0 : timer.count();
    }

    @Override
    double acquireSeconds(String name, String outcome) {
        Timer timer = acquireTimer(name, outcome);
        return timer == null ? 0 : timer.totalTime(TimeUnit.SECONDS);
    }

    private Timer acquireTimer(String name, String outcome) {
        return registry.find(Instruments.ACQUIRE_DURATION).tag(Instruments.NAME, name)
                .tag(Instruments.ACQUIRE_OUTCOME, outcome).timer();
    }

    @Override
    long holds(String name, String outcome) {
        Timer timer = registry.find(Instruments.HOLD_DURATION).tag(Instruments.NAME, name)
                .tag(Instruments.RELEASE_OUTCOME, outcome).timer();
        return timer == null ? 0 : timer.count();
    }

    @Override
    long held(String name) {
        return gauge(Instruments.HELD, name);
    }

    @Override
    long waiters(String name) {
        return gauge(Instruments.WAITERS, name);
    }

    private long gauge(String instrument, String name) {
        Gauge gauge = registry.find(instrument).tag(Instruments.NAME, name).gauge();
        return gauge == null ? 0 : (long) gauge.value();
    }

    @Override
    long renewals(String name, String outcome) {
        Counter counter = registry.find(Instruments.RENEWALS).tag(Instruments.NAME, name)
                .tag(Instruments.RENEWAL_OUTCOME, outcome).counter();
        return counter == null ? 0 : (long) counter.count();
    }

    @Override
    long lost(String name) {
        Counter counter = registry.find(Instruments.LOST).tag(Instruments.NAME, name).counter();
        return counter == null ? 0 : (long) counter.count();
    }

    @Override
    boolean gaugesRegistered() {
        return !registry.find(Instruments.HELD).gauges().isEmpty() || !registry.find(Instruments.WAITERS).gauges().isEmpty();
    }

    @Override
    Set<String> acquireNames() {
        return registry.find(Instruments.ACQUIRE_DURATION).meters().stream().map(Meter::getId)
                .map(id -> id.getTag(Instruments.NAME)).collect(Collectors.toSet());
    }

    @Test
    void acquireTimersAreRegisteredOnFirstUseWithTheOpenTelemetryBuckets() {
        adapters.newInstance(newRecorder()).lock("one:1").close();
        assertThat(acquireTimer("one", "not_acquired")).as("registered when first used").isNull();
        assertThat(acquireTimer("one", "unavailable")).as("registered when first used").isNull();
        assertThat(bucketBoundaries(acquireTimer("one", "acquired"))).isEqualTo(Instruments.ACQUIRE_BUCKETS);
        await().atMost(java.time.Duration.ofSeconds(30)).until(() -> holds("one", "released") == 1);
        assertThat(bucketBoundaries(registry.get(Instruments.HOLD_DURATION).tag(Instruments.NAME, "one").timer()))
                .as("the hold duration is a histogram too").isEqualTo(Instruments.HOLD_BUCKETS);
    }

    /** @return the timer's histogram bucket boundaries in seconds */
    private static List<Double> bucketBoundaries(Timer timer) {
        return Arrays.stream(timer.takeSnapshot().histogramCounts())
                .map(bucket -> bucket.bucket(TimeUnit.SECONDS)).toList();
    }

    @Test
    void twoAdaptersOnOneRegistryEachCountTheirOwnLocks() {
        var first = adapters.newInstance(newRecorder());
        var second = adapters.newInstance(newRecorder());
        first.lock("job:1").close();
        try (Lease held = second.lock("job:2")) {
            assertThat(held("job")).as("the second adapter's lock").isEqualTo(1);
            try (Lease alsoHeld = first.lock("job:3")) {
                assertThat(held("job")).as("both adapters' locks").isEqualTo(2);
            }
            first.close();
            assertThat(registry.find(Instruments.HELD).tag(Instruments.NAME, "job").gauge())
                    .as("the second adapter still reports").isNotNull();
            assertThat(held("job")).isEqualTo(1);
        }
        second.close();
        assertThat(gaugesRegistered()).as("removed with the last adapter").isFalse();
    }

    @Test
    void aRegistryThatRejectsTheMetersIsWarnedOnceAndLeftAlone() {
        AtomicInteger attempts = new AtomicInteger();
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public Meter.Id map(Meter.Id id) {
                if (id.getName().startsWith("distributedmutex")) {
                    attempts.incrementAndGet();
                    throw new IllegalArgumentException("simulated: a tag-key conflict in the registry");
                }
                return id;
            }
        });
        LockRecorder recorder = MetricsBackends.detect(ObservabilitySettings.Metrics.MICROMETER,
                type -> type == MeterRegistry.class ? Optional.of(registry) : Optional.empty());
        try (LogCapture logs = LogCapture.start()) {
            Adapter adapter = adapters.newInstance(recorder);
            for (int id = 0; id < 20; id++) {
                adapter.lock("job:" + id).close();
            }
            assertThat(logs.lines("WARN")).filteredOn(line -> line.contains("simulated")).hasSize(1);
        }
        assertThat(attempts.get()).as("switched off after the first failure, not retried per report")
                .isLessThanOrEqualTo(3);
    }
}
