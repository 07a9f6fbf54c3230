package io.github.distributedmutex.internal.metrics.micrometer;

import io.github.distributedmutex.internal.metrics.Instruments;
import io.github.distributedmutex.internal.redis.LockGauges;
import io.github.distributedmutex.internal.redis.LockRecorder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Records an adapter's metrics to a Micrometer {@link MeterRegistry} (see {@link Instruments}). The
 * meters of a metric name are registered when the name is first reported and kept per name, so a
 * report is a map lookup and a record, with no allocation; the number of names is bounded (see the
 * core's {@code MetricNames}). The gauges read the adapter's state when the registry collects, and
 * are removed from the registry when the adapter closes.
 *
 * <p>The acquire duration publishes a percentile histogram (1 ms to 1 min), so a backend such as
 * Prometheus can compute its p99; an application {@code MeterFilter} can change that. Only the
 * renewals counter has a base unit whose name its name already ends with, so that Prometheus names
 * are the instrument names plus {@code _seconds} (timers) or {@code _total} (counters).
 */
public final class MicrometerLockRecorder implements LockRecorder {

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, NameMeters> byName = new ConcurrentHashMap<>();
    private final List<Meter> gauges = new CopyOnWriteArrayList<>();
    private volatile LockGauges state;
    private volatile boolean stopped;

    private MicrometerLockRecorder(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * @param registry a {@link MeterRegistry} (typed {@code Object} so that callers need no Micrometer type)
     * @return a recorder to it
     */
    public static LockRecorder create(Object registry) {
        return new MicrometerLockRecorder((MeterRegistry) registry);
    }

    /** @return a recorder to {@link Metrics#globalRegistry} */
    public static LockRecorder global() {
        return new MicrometerLockRecorder(Metrics.globalRegistry);
    }

    @Override
    public void start(LockGauges gauges) {
        this.state = gauges;
    }

    @Override
    public void acquisition(String name, Acquisition outcome, long nanos) {
        NameMeters meters = meters(name);
        Timer timer = switch (outcome) {
            case ACQUIRED -> meters.acquired;
            case NOT_ACQUIRED -> meters.notAcquired;
            case UNAVAILABLE -> meters.unavailable;
        };
        timer.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void released(String name, long heldNanos) {
        meters(name).hold.record(heldNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void renewal(String name, Renewal outcome) {
        NameMeters meters = meters(name);
        (switch (outcome) {
            case RENEWED -> meters.renewed;
            case LOST -> meters.renewalLost;
            case FAILED -> meters.renewalFailed;
        }).increment();
    }

    @Override
    public void lost(String name) {
        meters(name).lost.increment();
    }

    @Override
    public void stop() {
        stopped = true;
        for (Meter gauge : gauges) {
            registry.remove(gauge);
        }
        gauges.clear();
    }

    private NameMeters meters(String name) {
        NameMeters meters = byName.get(name);
        return meters != null ? meters : byName.computeIfAbsent(name, this::register);
    }

    private NameMeters register(String name) {
        NameMeters meters = new NameMeters(registry, name);
        if (!stopped) {
            gauges.add(Gauge.builder(Instruments.HELD, this, recorder -> recorder.held(name))
                    .description("Locks this instance holds now")
                    .tag(Instruments.NAME, name).strongReference(true).register(registry));
            gauges.add(Gauge.builder(Instruments.WAITERS, this, recorder -> recorder.waiting(name))
                    .description("Threads of this instance waiting for a lock now")
                    .tag(Instruments.NAME, name).strongReference(true).register(registry));
        }
        return meters;
    }

    private double held(String name) {
        LockGauges current = state;
        return current == null || stopped ? 0 : count(current.heldByName(), name);
    }

    private double waiting(String name) {
        LockGauges current = state;
        return current == null || stopped ? 0 : count(current.waitingByName(), name);
    }

    private static int count(Map<String, Integer> counts, String name) {
        return counts.getOrDefault(name, 0);
    }

    /** The meters of one metric name. */
    private static final class NameMeters {
        final Timer acquired;
        final Timer notAcquired;
        final Timer unavailable;
        final Timer hold;
        final Counter renewed;
        final Counter renewalLost;
        final Counter renewalFailed;
        final Counter lost;

        NameMeters(MeterRegistry registry, String name) {
            acquired = acquireTimer(registry, name, Acquisition.ACQUIRED);
            notAcquired = acquireTimer(registry, name, Acquisition.NOT_ACQUIRED);
            unavailable = acquireTimer(registry, name, Acquisition.UNAVAILABLE);
            hold = Timer.builder(Instruments.HOLD_DURATION)
                    .description("How long locks were held, from the grant to the confirmed release")
                    .tag(Instruments.NAME, name).register(registry);
            renewed = renewals(registry, name, Renewal.RENEWED);
            renewalLost = renewals(registry, name, Renewal.LOST);
            renewalFailed = renewals(registry, name, Renewal.FAILED);
            lost = Counter.builder(Instruments.LOST)
                    .description("Leases found lost while held: mutual exclusion may have been broken")
                    .tag(Instruments.NAME, name).register(registry);
        }

        private static Timer acquireTimer(MeterRegistry registry, String name, Acquisition outcome) {
            return Timer.builder(Instruments.ACQUIRE_DURATION)
                    .description("How long lock acquisitions took, from the call to the grant or the failure")
                    .tag(Instruments.NAME, name).tag(Instruments.ACQUIRE_OUTCOME, Instruments.value(outcome))
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Instruments.ACQUIRE_MIN).maximumExpectedValue(Instruments.ACQUIRE_MAX)
                    .register(registry);
        }

        private static Counter renewals(MeterRegistry registry, String name, Renewal outcome) {
            return Counter.builder(Instruments.RENEWALS)
                    .description("Lease renewals (watchdog renewals and Lease.extend calls)")
                    .baseUnit("renewals").tag(Instruments.NAME, name)
                    .tag(Instruments.RENEWAL_OUTCOME, Instruments.value(outcome)).register(registry);
        }
    }
}
