package io.github.distributedmutex.internal.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.internal.metrics.otel.OpenTelemetryLockRecorder;
import io.github.distributedmutex.internal.redis.LockRecorder;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link LockMetricsContract} on OpenTelemetry, read back through the SDK's {@link InMemoryMetricReader}. */
class OpenTelemetryMetricsTest extends LockMetricsContract {

    private static final AttributeKey<String> NAME = AttributeKey.stringKey(Instruments.NAME);

    private final InMemoryMetricReader reader = InMemoryMetricReader.create();
    private final SdkMeterProvider meterProvider = SdkMeterProvider.builder().registerMetricReader(reader).build();

    @AfterEach
    void closeProvider() {
        meterProvider.close();
    }

    @Override
    LockRecorder newRecorder() {
        return OpenTelemetryLockRecorder.create(OpenTelemetrySdk.builder().setMeterProvider(meterProvider).build());
    }

    @Override
    long acquisitions(String name, String outcome) {
        return acquirePoint(name, outcome).map(HistogramPointData::getCount).orElse(0L);
    }

    @Override
    double acquireSeconds(String name, String outcome) {
        return acquirePoint(name, outcome).map(HistogramPointData::getSum).orElse(0.0);
    }

    private Optional<HistogramPointData> acquirePoint(String name, String outcome) {
        Attributes attributes = Attributes.of(NAME, name,
                AttributeKey.stringKey(Instruments.ACQUIRE_OUTCOME), outcome);
        return histogramPoints(Instruments.ACQUIRE_DURATION).filter(point -> point.getAttributes().equals(attributes))
                .findFirst();
    }

    @Override
    long holds(String name, String outcome) {
        Attributes attributes = Attributes.of(NAME, name, AttributeKey.stringKey(Instruments.RELEASE_OUTCOME), outcome);
        return histogramPoints(Instruments.HOLD_DURATION).filter(point -> point.getAttributes().equals(attributes))
                .mapToLong(HistogramPointData::getCount).sum();
    }

    @Override
    long held(String name) {
        return sum(Instruments.HELD, Attributes.of(NAME, name));
    }

    @Override
    long waiters(String name) {
        return sum(Instruments.WAITERS, Attributes.of(NAME, name));
    }

    @Override
    long renewals(String name, String outcome) {
        return sum(Instruments.RENEWALS, Attributes.of(NAME, name,
                AttributeKey.stringKey(Instruments.RENEWAL_OUTCOME), outcome));
    }

    @Override
    long lost(String name) {
        return sum(Instruments.LOST, Attributes.of(NAME, name));
    }

    @Override
    Set<String> acquireNames() {
        return histogramPoints(Instruments.ACQUIRE_DURATION).map(point -> point.getAttributes().get(NAME))
                .collect(Collectors.toSet());
    }

    @Override
    boolean gaugesRegistered() {
        return metric(Instruments.HELD).isPresent() || metric(Instruments.WAITERS).isPresent();
    }

    @Test
    void instrumentsFollowTheSemanticConventionStyle() {
        adapters.newInstance(newRecorder()).lock("scope:1").close();
        Collection<MetricData> metrics = reader.collectAllMetrics();
        assertThat(metrics).extracting(MetricData::getName).contains(Instruments.ACQUIRE_DURATION,
                Instruments.HOLD_DURATION, Instruments.HELD, Instruments.WAITERS);
        assertThat(metrics).allSatisfy(metric -> {
            assertThat(metric.getInstrumentationScopeInfo().getName()).isEqualTo(Instruments.SCOPE);
            if (metric.getName().endsWith(".duration")) {
                assertThat(metric.getUnit()).isEqualTo("s");
            }
        });
    }

    private Stream<HistogramPointData> histogramPoints(String instrument) {
        return metric(instrument).map(metric -> metric.getHistogramData().getPoints().stream()
                .map(HistogramPointData.class::cast)).orElseGet(Stream::empty);
    }

    private long sum(String instrument, Attributes attributes) {
        return metric(instrument).flatMap(metric -> metric.getLongSumData().getPoints().stream()
                .filter(point -> point.getAttributes().equals(attributes)).map(LongPointData::getValue).findFirst())
                .orElse(0L);
    }

    private Optional<MetricData> metric(String instrument) {
        List<MetricData> metrics = List.copyOf(reader.collectAllMetrics());
        return metrics.stream().filter(metric -> metric.getName().equals(instrument)).findFirst();
    }
}
