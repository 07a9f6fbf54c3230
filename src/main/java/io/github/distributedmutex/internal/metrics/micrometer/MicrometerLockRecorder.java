package io.github.distributedmutex.internal.metrics.micrometer;

import io.github.distributedmutex.internal.metrics.Instruments;
import io.github.distributedmutex.internal.redis.LockGauges;
import io.github.distributedmutex.internal.redis.LockRecorder;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Records an adapter's metrics to a Micrometer {@link MeterRegistry} (see {@link Instruments}). The
 * meters of a metric name are kept per name, so a report is a map lookup and a record; the number of
 * names is bounded (see the core's {@code MetricNames}). The counters of a name are registered when the
 * name is first reported (so that an alert on their increase sees the first one); the timers, which
 * carry buckets, when their outcome is first reported, so that a name that was never contended has no
 * {@code not_acquired} histogram (and one whose releases all succeeded no {@code lost} or {@code failed} hold
 * histogram).
 *
 * <p>The durations are histograms with the same fixed bucket boundaries as the OpenTelemetry recorder's
 * ({@link Instruments#ACQUIRE_BUCKETS}, {@link Instruments#HOLD_BUCKETS}, as service-level objectives):
 * 15 and 12 buckets, where a percentile histogram would publish about 70 per timer. An application
 * {@code MeterFilter} can change that. Only the renewals counter has a base unit whose name its name
 * already ends with, so that Prometheus names are the instrument names plus {@code _seconds} (timers)
 * or {@code _total} (counters).
 *
 * <p>The held and waiters gauges of a (registry, name) are shared by every recorder on that registry,
 * several adapters in one application included (Micrometer keeps one gauge per name and tags): the gauge
 * sums what the live recorders' adapters hold or wait for, and is removed when the last of them stops.
 */
public final class MicrometerLockRecorder implements LockRecorder {

    /** The shared gauges, by registry; guards every {@link SharedGauge}'s recorders and each recorder's {@code stopped}. */
    private static final Map<MeterRegistry, Map<GaugeId, SharedGauge>> SHARED = new IdentityHashMap<>();

    private static final Duration[] ACQUIRE_BUCKETS = durations(Instruments.ACQUIRE_BUCKETS);
    private static final Duration[] HOLD_BUCKETS = durations(Instruments.HOLD_BUCKETS);

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, NameMeters> byName = new ConcurrentHashMap<>();
    /** The shared gauges this recorder counts in; guarded by {@link #SHARED}. */
    private final List<SharedGauge> joined = new ArrayList<>();
    private volatile LockGauges state;
    /** Guarded by {@link #SHARED} when set. */
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

    /** @return whether a registry has been added to {@link Metrics#globalRegistry}: without one it exports nothing */
    public static boolean globalHasRegistries() {
        return !Metrics.globalRegistry.getRegistries().isEmpty();
    }

    @Override
    public void start(LockGauges gauges) {
        this.state = gauges;
    }

    @Override
    public void acquisition(String name, Acquisition outcome, long nanos) {
        meters(name).acquire(outcome).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void released(String name, Release outcome, long heldNanos) {
        meters(name).hold(outcome).record(heldNanos, TimeUnit.NANOSECONDS);
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
        synchronized (SHARED) {
            stopped = true;
            for (SharedGauge gauge : joined) {
                gauge.leave(this);
            }
            joined.clear();
        }
    }

    private NameMeters meters(String name) {
        NameMeters meters = byName.get(name);
        return meters != null ? meters : byName.computeIfAbsent(name, this::register);
    }

    private NameMeters register(String name) {
        NameMeters meters = new NameMeters(name);
        join(new GaugeId(Instruments.HELD, name));
        join(new GaugeId(Instruments.WAITERS, name));
        return meters;
    }

    /** Counts this recorder's adapter in the registry's shared gauge {@code id}, registering it when it is the first. */
    private void join(GaugeId id) {
        synchronized (SHARED) {
            if (stopped) {
                return;
            }
            Map<GaugeId, SharedGauge> ofRegistry = SHARED.computeIfAbsent(registry, r -> new HashMap<>());
            SharedGauge gauge = ofRegistry.get(id);
            if (gauge == null) {
                gauge = new SharedGauge(registry, id); // may throw: then nothing is left behind
                ofRegistry.put(id, gauge);
            }
            gauge.recorders.add(this);
            joined.add(gauge);
        }
    }

    /** @return what this recorder's adapter holds or waits for now under one name */
    private int count(GaugeId id) {
        LockGauges current = state;
        if (current == null || stopped) {
            return 0;
        }
        Map<String, Integer> counts = id.instrument().equals(Instruments.HELD) ? current.heldByName()
                : current.waitingByName();
        return counts.getOrDefault(id.name(), 0);
    }

    private static Duration[] durations(List<Double> seconds) {
        return seconds.stream().map(s -> Duration.ofNanos(Math.round(s * TimeUnit.SECONDS.toNanos(1))))
                .toArray(Duration[]::new);
    }

    /** A gauge's name and its lock name: what identifies it in a registry. */
    private record GaugeId(String instrument, String name) {
    }

    /** One gauge in one registry: the sum over the live recorders that reported its lock name. */
    private static final class SharedGauge {
        private final MeterRegistry registry;
        private final GaugeId id;
        /** Read by the registry's collection while recorders join and leave. */
        final List<MicrometerLockRecorder> recorders = new CopyOnWriteArrayList<>();
        private final Gauge gauge;

        SharedGauge(MeterRegistry registry, GaugeId id) {
            this.registry = registry;
            this.id = id;
            gauge = Gauge.builder(id.instrument(), this, SharedGauge::sum)
                    .description(id.instrument().equals(Instruments.HELD) ? "Locks this instance holds now"
                            : "Acquisitions of this instance waiting for a lock now")
                    .tag(Instruments.NAME, id.name()).strongReference(true).register(registry);
        }

        private double sum() {
            int sum = 0;
            for (MicrometerLockRecorder recorder : recorders) {
                sum += recorder.count(id);
            }
            return sum;
        }

        /** Called with {@link #SHARED} held: the last recorder to leave removes the gauge. */
        void leave(MicrometerLockRecorder recorder) {
            recorders.remove(recorder);
            if (recorders.isEmpty()) {
                registry.remove(gauge);
                Map<GaugeId, SharedGauge> ofRegistry = SHARED.get(registry);
                if (ofRegistry != null) {
                    ofRegistry.remove(id);
                    if (ofRegistry.isEmpty()) {
                        SHARED.remove(registry);
                    }
                }
            }
        }
    }

    /** The meters of one metric name: the counters at once, each timer when first used. */
    private final class NameMeters {
        private final String name;
        private final AtomicReferenceArray<Timer> acquire = new AtomicReferenceArray<>(Acquisition.values().length);
        private final AtomicReferenceArray<Timer> hold = new AtomicReferenceArray<>(Release.values().length);
        final Counter renewed;
        final Counter renewalLost;
        final Counter renewalFailed;
        final Counter lost;

        NameMeters(String name) {
            this.name = name;
            renewed = renewals(Renewal.RENEWED);
            renewalLost = renewals(Renewal.LOST);
            renewalFailed = renewals(Renewal.FAILED);
            lost = Counter.builder(Instruments.LOST)
                    .description("Leases found lost while held: mutual exclusion may have been broken")
                    .tag(Instruments.NAME, name).register(registry);
        }

        /** Registering twice at once is harmless: the registry returns the meter it has for the id. */
        Timer acquire(Acquisition outcome) {
            Timer timer = acquire.get(outcome.ordinal());
            if (timer == null) {
                timer = Timer.builder(Instruments.ACQUIRE_DURATION)
                        .description("How long lock acquisitions took, from the call to the grant or the failure")
                        .tag(Instruments.NAME, name).tag(Instruments.ACQUIRE_OUTCOME, Instruments.value(outcome))
                        .serviceLevelObjectives(ACQUIRE_BUCKETS).register(registry);
                acquire.set(outcome.ordinal(), timer);
            }
            return timer;
        }

        Timer hold(Release outcome) {
            Timer timer = hold.get(outcome.ordinal());
            if (timer == null) {
                timer = Timer.builder(Instruments.HOLD_DURATION)
                        .description("How long locks were held, from the grant to the release, by how the release ended")
                        .tag(Instruments.NAME, name).tag(Instruments.RELEASE_OUTCOME, Instruments.value(outcome))
                        .serviceLevelObjectives(HOLD_BUCKETS).register(registry);
                hold.set(outcome.ordinal(), timer);
            }
            return timer;
        }

        private Counter renewals(Renewal outcome) {
            return Counter.builder(Instruments.RENEWALS)
                    .description("Lease renewals (watchdog renewals and Lease.extend calls)")
                    .baseUnit("renewals").tag(Instruments.NAME, name)
                    .tag(Instruments.RENEWAL_OUTCOME, Instruments.value(outcome)).register(registry);
        }
    }
}
