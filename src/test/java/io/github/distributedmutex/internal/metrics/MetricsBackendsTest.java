package io.github.distributedmutex.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.internal.config.ObservabilitySettings;
import io.github.distributedmutex.internal.redis.LockRecorder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Setting a metrics library up can never fail the application's start: a library whose set-up throws,
 * or fails to link (an API version without a method the recorder uses, as OpenTelemetry 1.29 on Payara
 * Micro lacked the bucket advice), is left out, and the others still record.
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
}
