package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.Locked;
import io.github.distributedmutex.internal.metrics.Instruments;
import io.github.distributedmutex.testing.CdiContainers;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CDI-produced adapter records its metrics to the application's {@code MeterRegistry} and
 * {@code OpenTelemetry} beans ({@code distributedmutex.metrics=auto}: both), or to the one
 * configured, or to none; a {@code @Locked} method's series is named by its key template, one
 * series for every id, and {@code acquiref} by its format string.
 */
class LockMetricsCdiTest {

    private static final AttributeKey<String> NAME = AttributeKey.stringKey(Instruments.NAME);

    private static SimpleMeterRegistry registry;
    private static InMemoryMetricReader reader;
    private static SdkMeterProvider meterProvider;

    @BeforeEach
    void freshBackends() {
        registry = new SimpleMeterRegistry();
        reader = InMemoryMetricReader.create();
        meterProvider = SdkMeterProvider.builder().registerMetricReader(reader).build();
    }

    @AfterEach
    void closeBackends() {
        meterProvider.close();
    }

    @Test
    void bothBeansGetTheTemplateNotTheKeys() {
        try (CdiContainers cdi = start("auto")) {
            Jobs jobs = cdi.select(Jobs.class);
            for (long id = 1; id <= 50; id++) {
                jobs.process(id);
            }
            Adapter adapter = cdi.select(Adapter.class);
            adapter.acquiref("tenant:%d:settings", 7);
            adapter.releasef("tenant:%d:settings", 7);

            assertThat(micrometerAcquiredByName()).containsOnly(Map.entry("metrics-job:{id}", 50L),
                    Map.entry("tenant:%d:settings", 1L));
            assertThat(openTelemetryAcquiredByName()).containsOnly(Map.entry("metrics-job:{id}", 50L),
                    Map.entry("tenant:%d:settings", 1L));
            // other tests' containers, without a MeterRegistry bean, record to the global registry of this JVM
            assertThat(Metrics.globalRegistry.find(Instruments.ACQUIRE_DURATION).tag(Instruments.NAME, "metrics-job:{id}")
                    .meters()).as("the application's MeterRegistry bean wins over the global registry").isEmpty();
        }
    }

    @Test
    void oneLibraryWhenConfigured() {
        try (CdiContainers cdi = start("micrometer")) {
            cdi.select(Jobs.class).process(1);
            assertThat(micrometerAcquiredByName()).containsOnly(Map.entry("metrics-job:{id}", 1L));
            assertThat(openTelemetryAcquiredByName()).isEmpty();
        }
    }

    @Test
    void noneRecordsNothing() {
        try (CdiContainers cdi = start("none")) {
            cdi.select(Jobs.class).process(1);
            assertThat(micrometerAcquiredByName()).isEmpty();
            assertThat(openTelemetryAcquiredByName()).isEmpty();
        }
    }

    private static CdiContainers start(String metrics) {
        CdiContainers cdi = CdiContainers.builder().beans(Jobs.class, Backends.class)
                .property("distributedmutex.metrics", metrics).start();
        Adapter adapter = cdi.select(Adapter.class);
        // the library's client connects in the background: on a busy machine the first call may find it not ready yet
        await().atMost(Duration.ofSeconds(60)).ignoreException(LockUnavailableException.class)
                .until(() -> adapter.inspect("warm-up").isEmpty());
        return cdi;
    }

    private static Map<String, Long> micrometerAcquiredByName() {
        return registry.find(Instruments.ACQUIRE_DURATION).tag(Instruments.ACQUIRE_OUTCOME, "acquired").timers()
                .stream().filter(timer -> timer.count() > 0)
                .collect(Collectors.toMap(timer -> timer.getId().getTag(Instruments.NAME), Timer::count));
    }

    private static Map<String, Long> openTelemetryAcquiredByName() {
        return reader.collectAllMetrics().stream().filter(metric -> metric.getName().equals(Instruments.ACQUIRE_DURATION))
                .map(MetricData::getHistogramData).flatMap(data -> data.getPoints().stream())
                .map(HistogramPointData.class::cast)
                .filter(point -> "acquired".equals(point.getAttributes().get(AttributeKey.stringKey(
                        Instruments.ACQUIRE_OUTCOME))))
                .collect(Collectors.toMap(point -> point.getAttributes().get(NAME), HistogramPointData::getCount));
    }

    /** The application's metrics beans, as Quarkus (Micrometer) and MicroProfile Telemetry provide them. */
    @ApplicationScoped
    public static class Backends {
        @Produces
        @Singleton
        MeterRegistry registry() {
            return registry;
        }

        @Produces
        @Singleton
        OpenTelemetry openTelemetry() {
            return OpenTelemetrySdk.builder().setMeterProvider(meterProvider).build();
        }
    }

    @ApplicationScoped
    public static class Jobs {
        @Locked("metrics-job:{id}")
        public void process(long id) {
        }
    }
}
