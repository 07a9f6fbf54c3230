package io.github.distributedmutex.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.internal.config.ObservabilitySettings;
import io.github.distributedmutex.internal.metrics.micrometer.MicrometerLockRecorder;
import io.github.distributedmutex.internal.redis.LockGauges;
import io.github.distributedmutex.internal.redis.LockRecorder;
import io.github.distributedmutex.testing.LogCapture;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Setting a metrics library up can never fail the application's start: a library whose set-up throws,
 * or fails to link (an API version without a method the recorder uses, as OpenTelemetry 1.29 on Payara
 * Micro lacked the bucket advice), is left out, and the others still record; a recorder that fails
 * later is logged once and left alone, and costs the others nothing.
 */
class MetricsBackendsTest {

    @Test
    void aLinkageErrorLeavesThatLibraryOutAndTheOtherRecords() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LockRecorder recorder = MetricsBackends.detect(ObservabilitySettings.Metrics.AUTO, type -> {
            if (type == OpenTelemetry.class) {
                throw new NoSuchMethodError("simulated: an OpenTelemetry API without a method the recorder uses");
            }
            return type == MeterRegistry.class ? Optional.of(registry) : Optional.empty();
        });
        assertThat(recorder).as("the Micrometer recorder alone").isNotNull();
        recorder.acquisition("job:{id}", LockRecorder.Acquisition.ACQUIRED, TimeUnit.MILLISECONDS.toNanos(2));
        assertThat(registry.get(Instruments.ACQUIRE_DURATION).tag(Instruments.ACQUIRE_OUTCOME, "acquired").timer().count()).isEqualTo(1);
    }

    @Test
    void anExceptionLeavesThatLibraryOutAndNoLibraryMeansNoRecorder() {
        assertThat(MetricsBackends.detect(ObservabilitySettings.Metrics.OPENTELEMETRY, type -> {
            throw new IllegalStateException("simulated: the OpenTelemetry bean cannot be created");
        })).isNull();
        // an object that is no OpenTelemetry: the recorder's set-up fails with a ClassCastException
        assertThat(MetricsBackends.detect(ObservabilitySettings.Metrics.OPENTELEMETRY,
                type -> Optional.of("not an OpenTelemetry"))).isNull();
    }

    @Test
    void aNoOpOpenTelemetryIsNamedAsSuchNotClaimedToRecord() {
        try (LogCapture logs = LogCapture.start()) {
            // MicroProfile Telemetry's bean while otel.sdk.disabled=true (its default): the API's no-op
            LockRecorder recorder = MetricsBackends.detect(ObservabilitySettings.Metrics.OPENTELEMETRY,
                    type -> type == OpenTelemetry.class ? Optional.of(OpenTelemetry.noop()) : Optional.empty());
            assertThat(recorder).as("nothing to record to").isNull();
            assertThat(logs.lines()).noneMatch(line -> line.contains("records metrics to OpenTelemetry"));
            assertThat(logs.lines()).anyMatch(line -> line.contains("records no metrics to OpenTelemetry")
                    && line.contains("no-op") && line.contains("otel.sdk.disabled=false"));
        }
    }

    @Test
    void anOpenTelemetryWithAnSdkIsNamed() {
        try (LogCapture logs = LogCapture.start();
             SdkMeterProvider meterProvider = SdkMeterProvider.builder()
                     .registerMetricReader(InMemoryMetricReader.create()).build()) {
            OpenTelemetry sdk = OpenTelemetrySdk.builder().setMeterProvider(meterProvider).build();
            assertThat(MetricsBackends.detect(ObservabilitySettings.Metrics.OPENTELEMETRY,
                    type -> type == OpenTelemetry.class ? Optional.of(sdk) : Optional.empty())).isNotNull();
            assertThat(logs.lines("INFO")).anyMatch(line -> line.contains("records metrics to OpenTelemetry"));
        }
    }

    @Test
    void micrometersGlobalRegistryWithoutRegistriesIsNamedAsExportingNothingYet() {
        try (LogCapture logs = LogCapture.start()) {
            assertThat(Metrics.globalRegistry.getRegistries()).as("no test adds one").isEmpty();
            LockRecorder recorder = MetricsBackends.detect(ObservabilitySettings.Metrics.MICROMETER,
                    type -> Optional.empty());
            assertThat(recorder).as("a registry may be added to the global one later").isNotNull();
            recorder.stop();
            assertThat(logs.lines("INFO")).anyMatch(line -> line.contains("Metrics.globalRegistry")
                    && line.contains("no registry has been added to it yet"));
        }
    }

    @Test
    void aThrowingRecorderCostsTheOthersNothing() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicInteger calls = new AtomicInteger();
        LockRecorder throwing = (LockRecorder) Proxy.newProxyInstance(LockRecorder.class.getClassLoader(),
                new Class<?>[] {LockRecorder.class}, (proxy, method, args) -> {
                    calls.incrementAndGet();
                    throw new NoSuchMethodError("simulated: a metrics API without a method the recorder calls");
                });
        LockRecorder composite = new CompositeLockRecorder(List.of(throwing,
                MicrometerLockRecorder.create(registry)));
        try (LogCapture logs = LogCapture.start()) {
            composite.start(new LockGauges() {
                @Override
                public Map<String, Integer> heldByName() {
                    return Map.of("job:{id}", 1);
                }

                @Override
                public Map<String, Integer> waitingByName() {
                    return Map.of();
                }
            });
            for (int i = 0; i < 5; i++) {
                composite.acquisition("job:{id}", LockRecorder.Acquisition.ACQUIRED, TimeUnit.MILLISECONDS.toNanos(2));
            }
            assertThat(registry.get(Instruments.ACQUIRE_DURATION).timer().count()).isEqualTo(5);
            assertThat(registry.get(Instruments.HELD).gauge().value()).isEqualTo(1.0);
            composite.stop();
            assertThat(registry.find(Instruments.HELD).gauges()).as("the other recorder stopped too").isEmpty();
            assertThat(logs.lines("WARN")).filteredOn(line -> line.contains("simulated")).hasSize(1);
        }
        assertThat(calls.get()).as("the failing recorder is left alone after its first failure").isLessThanOrEqualTo(2);
    }
}
