package io.github.distributedmutex.internal.metrics.otel;

import io.github.distributedmutex.internal.metrics.Instruments;
import io.github.distributedmutex.internal.redis.LockGauges;
import io.github.distributedmutex.internal.redis.LockRecorder;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.DoubleHistogramBuilder;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterBuilder;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import io.opentelemetry.api.metrics.ObservableLongUpDownCounter;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Records an adapter's metrics to an OpenTelemetry {@link Meter} of the scope
 * {@value Instruments#SCOPE} (see {@link Instruments}): histograms in seconds, counters, and the held
 * locks and waiters as asynchronous up-down counters whose callback reads the adapter's state when
 * the SDK collects. The attributes of a metric name are built when the name is first reported and
 * kept per name, so a report is a map lookup and a record; the number of names is bounded (see the
 * core's {@code MetricNames}). The callbacks are closed when the adapter closes.
 *
 * <p>Works with the OpenTelemetry API from 1.29 on (what MicroProfile Telemetry 2.0 requires, and what
 * Payara Micro 7.2025.1 ships), though the library is compiled against a newer one: it calls nothing
 * newer than 1.29 unconditionally ({@code OpenTelemetryOldestApiTest} runs it on 1.29).
 */
public final class OpenTelemetryLockRecorder implements LockRecorder {

    private static final AttributeKey<String> NAME = AttributeKey.stringKey(Instruments.NAME);
    private static final AttributeKey<String> ACQUIRE_OUTCOME = AttributeKey.stringKey(Instruments.ACQUIRE_OUTCOME);
    private static final AttributeKey<String> RELEASE_OUTCOME = AttributeKey.stringKey(Instruments.RELEASE_OUTCOME);
    private static final AttributeKey<String> RENEWAL_OUTCOME = AttributeKey.stringKey(Instruments.RENEWAL_OUTCOME);
    private static final double NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);
    /** Whether {@code DoubleHistogramBuilder.setExplicitBucketBoundariesAdvice} exists (OpenTelemetry API 1.32+). */
    private static final boolean BUCKET_ADVICE = hasBucketAdvice();

    private final Meter meter;
    private final DoubleHistogram acquireDuration;
    private final DoubleHistogram holdDuration;
    private final LongCounter renewals;
    private final LongCounter lost;
    private final ConcurrentHashMap<String, NameAttributes> byName = new ConcurrentHashMap<>();
    private volatile ObservableLongUpDownCounter held;
    private volatile ObservableLongUpDownCounter waiters;

    private OpenTelemetryLockRecorder(Meter meter) {
        this.meter = meter;
        acquireDuration = withBuckets(meter.histogramBuilder(Instruments.ACQUIRE_DURATION).setUnit("s")
                .setDescription("How long lock acquisitions took, from the call to the grant or the failure"),
                Instruments.ACQUIRE_BUCKETS).build();
        holdDuration = withBuckets(meter.histogramBuilder(Instruments.HOLD_DURATION).setUnit("s")
                .setDescription("How long locks were held, from the grant to the release, by how the release ended"),
                Instruments.HOLD_BUCKETS).build();
        renewals = meter.counterBuilder(Instruments.RENEWALS).setUnit("{renewal}")
                .setDescription("Lease renewals (watchdog renewals and Lease.extend calls)").build();
        lost = meter.counterBuilder(Instruments.LOST).setUnit("{lease}")
                .setDescription("Leases found lost while held: mutual exclusion may have been broken").build();
    }

    /**
     * The histogram's bucket boundaries as advice, where the application's OpenTelemetry API has the
     * method (1.32 and later); older ones keep the SDK's default buckets. MicroProfile Telemetry 2.0
     * asks only for API 1.29, and Payara Micro 7.2025.1 ships exactly that: calling the method there
     * threw {@code NoSuchMethodError} and failed the deployment. The call site is only reached (and
     * so only linked) where the method exists.
     */
    private static DoubleHistogramBuilder withBuckets(DoubleHistogramBuilder builder, List<Double> buckets) {
        return BUCKET_ADVICE ? builder.setExplicitBucketBoundariesAdvice(buckets) : builder;
    }

    private static boolean hasBucketAdvice() {
        try {
            DoubleHistogramBuilder.class.getMethod("setExplicitBucketBoundariesAdvice", List.class);
            return true;
        } catch (NoSuchMethodException | SecurityException absent) {
            return false;
        }
    }

    /** @return whether this OpenTelemetry API takes bucket boundaries as advice (API 1.32 and later) */
    public static boolean bucketAdvice() {
        return BUCKET_ADVICE;
    }

    /**
     * @param openTelemetry an {@link OpenTelemetry} (typed {@code Object} so that callers need no OpenTelemetry type)
     * @return a recorder to its meter provider
     */
    public static LockRecorder create(Object openTelemetry) {
        MeterBuilder builder = ((OpenTelemetry) openTelemetry).meterBuilder(Instruments.SCOPE);
        String version = OpenTelemetryLockRecorder.class.getPackage().getImplementationVersion();
        if (version != null) {
            builder.setInstrumentationVersion(version);
        }
        return new OpenTelemetryLockRecorder(builder.build());
    }

    /**
     * @param openTelemetry an {@link OpenTelemetry} (typed {@code Object} so that callers need no OpenTelemetry type)
     * @return whether its meters are the API's no-op ones, which record and export nothing: for example
     *         MicroProfile Telemetry's bean while {@code otel.sdk.disabled} is true (its default)
     */
    public static boolean isNoop(Object openTelemetry) {
        Meter meter = ((OpenTelemetry) openTelemetry).getMeterProvider().get(Instruments.SCOPE);
        return meter.getClass() == MeterProvider.noop().get(Instruments.SCOPE).getClass();
    }

    /**
     * @return the {@link GlobalOpenTelemetry} when the application has set it, else empty; never sets
     *         (and so never freezes) the global instance; with API 1.29, which lacks
     *         {@code GlobalOpenTelemetry.isSet()}, always empty
     */
    public static Optional<Object> globalInstanceIfSet() {
        boolean set;
        try {
            set = GlobalOpenTelemetry.isSet();
        } catch (NoSuchMethodError olderApi) {
            set = false;
        }
        return set ? Optional.of(GlobalOpenTelemetry.get()) : Optional.empty();
    }

    /**
     * @return a recorder to {@link GlobalOpenTelemetry} when the application has set it, else empty;
     *         never sets (and so never freezes) the global instance. {@code GlobalOpenTelemetry.isSet()}
     *         is newer than API 1.29 (Payara Micro 7.2025.1): there the global instance counts as not set,
     *         since asking for it with {@code get()} would set and freeze it
     */
    public static Optional<LockRecorder> globalIfSet() {
        return globalInstanceIfSet().map(OpenTelemetryLockRecorder::create);
    }

    @Override
    public void start(LockGauges gauges) {
        held = meter.upDownCounterBuilder(Instruments.HELD).setUnit("{lock}")
                .setDescription("Locks this instance holds now")
                .buildWithCallback(measurement -> observe(measurement, gauges.heldByName()));
        waiters = meter.upDownCounterBuilder(Instruments.WAITERS).setUnit("{acquisition}")
                .setDescription("Acquisitions of this instance waiting for a lock now")
                .buildWithCallback(measurement -> observe(measurement, gauges.waitingByName()));
    }

    /** Every name reported so far, 0 where nothing is held or waited for now (so its series does not vanish). */
    private void observe(ObservableLongMeasurement measurement, Map<String, Integer> counts) {
        byName.forEach((name, attributes) -> measurement.record(counts.getOrDefault(name, 0), attributes.name));
    }

    @Override
    public void acquisition(String name, Acquisition outcome, long nanos) {
        NameAttributes attributes = attributes(name);
        acquireDuration.record(nanos / NANOS_PER_SECOND, switch (outcome) {
            case ACQUIRED -> attributes.acquired;
            case NOT_ACQUIRED -> attributes.notAcquired;
            case UNAVAILABLE -> attributes.unavailable;
        });
    }

    @Override
    public void released(String name, Release outcome, long heldNanos) {
        NameAttributes attributes = attributes(name);
        holdDuration.record(heldNanos / NANOS_PER_SECOND, switch (outcome) {
            case RELEASED -> attributes.released;
            case LOST -> attributes.releaseLost;
            case FAILED -> attributes.releaseFailed;
        });
    }

    @Override
    public void renewal(String name, Renewal outcome) {
        NameAttributes attributes = attributes(name);
        renewals.add(1, switch (outcome) {
            case RENEWED -> attributes.renewed;
            case LOST -> attributes.renewalLost;
            case FAILED -> attributes.renewalFailed;
        });
    }

    @Override
    public void lost(String name) {
        lost.add(1, attributes(name).name);
    }

    @Override
    public void stop() {
        ObservableLongUpDownCounter heldCallback = held;
        ObservableLongUpDownCounter waitersCallback = waiters;
        if (heldCallback != null) {
            heldCallback.close();
        }
        if (waitersCallback != null) {
            waitersCallback.close();
        }
    }

    private NameAttributes attributes(String name) {
        NameAttributes attributes = byName.get(name);
        return attributes != null ? attributes : byName.computeIfAbsent(name, this::firstSeen);
    }

    /**
     * A name seen for the first time: its lost-lease and failing-renewal series start at 0, as Micrometer's do, so
     * that an alert on their increase fires on the very first loss (a series that appears with 1 has no increase).
     */
    private NameAttributes firstSeen(String name) {
        NameAttributes attributes = new NameAttributes(name);
        lost.add(0, attributes.name);
        renewals.add(0, attributes.renewalLost);
        renewals.add(0, attributes.renewalFailed);
        return attributes;
    }

    /** The attribute sets of one metric name, built once. */
    private static final class NameAttributes {
        final Attributes name;
        final Attributes acquired;
        final Attributes notAcquired;
        final Attributes unavailable;
        final Attributes released;
        final Attributes releaseLost;
        final Attributes releaseFailed;
        final Attributes renewed;
        final Attributes renewalLost;
        final Attributes renewalFailed;

        NameAttributes(String lockName) {
            name = Attributes.of(NAME, lockName);
            acquired = Attributes.of(NAME, lockName, ACQUIRE_OUTCOME, Instruments.value(Acquisition.ACQUIRED));
            notAcquired = Attributes.of(NAME, lockName, ACQUIRE_OUTCOME, Instruments.value(Acquisition.NOT_ACQUIRED));
            unavailable = Attributes.of(NAME, lockName, ACQUIRE_OUTCOME, Instruments.value(Acquisition.UNAVAILABLE));
            released = Attributes.of(NAME, lockName, RELEASE_OUTCOME, Instruments.value(Release.RELEASED));
            releaseLost = Attributes.of(NAME, lockName, RELEASE_OUTCOME, Instruments.value(Release.LOST));
            releaseFailed = Attributes.of(NAME, lockName, RELEASE_OUTCOME, Instruments.value(Release.FAILED));
            renewed = Attributes.of(NAME, lockName, RENEWAL_OUTCOME, Instruments.value(Renewal.RENEWED));
            renewalLost = Attributes.of(NAME, lockName, RENEWAL_OUTCOME, Instruments.value(Renewal.LOST));
            renewalFailed = Attributes.of(NAME, lockName, RENEWAL_OUTCOME, Instruments.value(Renewal.FAILED));
        }
    }
}
