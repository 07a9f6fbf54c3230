package io.github.distributedmutex.internal.metrics;

import io.github.distributedmutex.internal.metrics.micrometer.MicrometerLockRecorder;
import io.github.distributedmutex.internal.redis.LockRecorder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

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
    long holds(String name) {
        Timer timer = registry.find(Instruments.HOLD_DURATION).tag(Instruments.NAME, name).timer();
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
}
