package io.github.distributedmutex.internal.metrics;

import io.github.distributedmutex.internal.config.ObservabilitySettings;
import io.github.distributedmutex.internal.metrics.otel.OpenTelemetryLockRecorder;
import io.github.distributedmutex.internal.redis.LockGauges;
import io.github.distributedmutex.internal.redis.LockRecorder;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * Run by {@code OpenTelemetryOldestApiTest} in a JVM whose OpenTelemetry jars are the oldest the
 * library supports (1.29): sets the OpenTelemetry recorder up the way the CDI producer does
 * ({@link MetricsBackends#detect}), reports every kind of measurement, collects them through the SDK
 * and prints the OpenTelemetry version, whether it takes bucket advice, whether {@code GlobalOpenTelemetry}
 * counts as set (API 1.29 lacks {@code isSet()}), the collected instrument names
 * and {@value #DONE}. Any failure (a {@code NoSuchMethodError} included) ends the JVM with a non-zero
 * status.
 */
public final class OpenTelemetryOnOldestApi {

    /** The line printed when everything worked. */
    static final String DONE = "OPENTELEMETRY-OLDEST-API-DONE";

    private OpenTelemetryOnOldestApi() {
    }

    /** @param args none */
    public static void main(String[] args) {
        System.out.println("opentelemetry-api at "
                + OpenTelemetry.class.getProtectionDomain().getCodeSource().getLocation());
        System.out.println("bucket advice: " + OpenTelemetryLockRecorder.bucketAdvice());
        // API 1.29 has no GlobalOpenTelemetry.isSet(): the global instance counts as not set
        System.out.println("global set: " + OpenTelemetryLockRecorder.globalIfSet().isPresent());
        InMemoryMetricReader reader = InMemoryMetricReader.create();
        SdkMeterProvider meterProvider = SdkMeterProvider.builder().registerMetricReader(reader).build();
        OpenTelemetry openTelemetry = new OpenTelemetry() {
            @Override
            public TracerProvider getTracerProvider() {
                return TracerProvider.noop();
            }

            @Override
            public MeterProvider getMeterProvider() {
                return meterProvider;
            }

            @Override
            public ContextPropagators getPropagators() {
                return ContextPropagators.noop();
            }
        };
        LockRecorder recorder = MetricsBackends.detect(ObservabilitySettings.Metrics.OPENTELEMETRY,
                type -> type == OpenTelemetry.class ? Optional.of(openTelemetry) : Optional.empty());
        if (recorder == null) {
            throw new IllegalStateException("no OpenTelemetry recorder was set up (see the WARN above)");
        }
        String name = "job:{id}";
        recorder.start(new LockGauges() {
            @Override
            public Map<String, Integer> heldByName() {
                return Map.of(name, 1);
            }

            @Override
            public Map<String, Integer> waitingByName() {
                return Map.of(name, 2);
            }
        });
        for (LockRecorder.Acquisition outcome : LockRecorder.Acquisition.values()) {
            recorder.acquisition(name, outcome, TimeUnit.MILLISECONDS.toNanos(3));
        }
        for (LockRecorder.Release outcome : LockRecorder.Release.values()) {
            recorder.released(name, outcome, TimeUnit.MILLISECONDS.toNanos(40));
        }
        for (LockRecorder.Renewal outcome : LockRecorder.Renewal.values()) {
            recorder.renewal(name, outcome);
        }
        recorder.lost(name);
        Set<String> collected = new TreeSet<>();
        for (MetricData metric : reader.collectAllMetrics()) {
            if (!metric.getData().getPoints().isEmpty()) {
                collected.add(metric.getName());
            }
        }
        System.out.println("collected: " + String.join(" ", collected));
        recorder.stop();
        meterProvider.close();
        System.out.println(DONE);
    }
}
