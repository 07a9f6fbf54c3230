package io.github.distributedmutex.internal.metrics;

import io.github.distributedmutex.internal.config.ObservabilitySettings;
import io.github.distributedmutex.internal.config.OptionalApis;
import io.github.distributedmutex.internal.metrics.micrometer.MicrometerLockRecorder;
import io.github.distributedmutex.internal.metrics.otel.OpenTelemetryLockRecorder;
import io.github.distributedmutex.internal.redis.LockRecorder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses where the adapter's metrics go, once, when it is created: to every metrics library the
 * application has ({@code distributedmutex.metrics=auto}) or to the one configured, and to none when
 * it has none. A library's recorder class is only loaded after {@link OptionalApis} found its API,
 * and the recorders take and return only JDK and core types, so an application without Micrometer
 * or OpenTelemetry never loads a class that refers to them.
 *
 * <ul>
 *   <li><b>Micrometer</b> (micrometer-core present): the application's {@code MeterRegistry} bean
 *       when there is exactly one (Quarkus has one), else {@code Metrics.globalRegistry}.</li>
 *   <li><b>OpenTelemetry</b> (opentelemetry-api present): the application's {@code OpenTelemetry}
 *       bean when there is exactly one (MicroProfile Telemetry has one), else
 *       {@code GlobalOpenTelemetry} when the application (or its agent) has set it; else none, and
 *       the global instance is never set or frozen by the library.</li>
 * </ul>
 *
 * <p>Setting a library up can fail (an API version without a method the recorder uses, a bean whose
 * creation throws): then that library is left out with a WARN, and the adapter is created all the same.
 * A recorder that fails later (a registry that rejects the library's meters) is switched off with one
 * WARN by the {@link CompositeLockRecorder} that every recorder is wrapped in.
 */
public final class MetricsBackends {

    private static final Logger LOG = LoggerFactory.getLogger(MetricsBackends.class);

    private MetricsBackends() {
    }

    /**
     * @param metrics which libraries to report to
     * @param beans   the application's one bean of a type, empty when it has none or several
     *                (the CDI container's lookup)
     * @return where to report, null for nowhere
     */
    public static LockRecorder detect(ObservabilitySettings.Metrics metrics, Function<Class<?>, Optional<Object>> beans) {
        if (metrics == ObservabilitySettings.Metrics.NONE) {
            LOG.info("distributed-mutex records no metrics (distributedmutex.metrics=none)");
            return null;
        }
        List<LockRecorder> recorders = new ArrayList<>();
        if (metrics == ObservabilitySettings.Metrics.AUTO || metrics == ObservabilitySettings.Metrics.MICROMETER) {
            guarded("Micrometer", () -> micrometer(metrics, beans)).ifPresent(recorders::add);
        }
        if (metrics == ObservabilitySettings.Metrics.AUTO || metrics == ObservabilitySettings.Metrics.OPENTELEMETRY) {
            guarded("OpenTelemetry", () -> openTelemetry(metrics, beans)).ifPresent(recorders::add);
        }
        if (recorders.isEmpty()) {
            LOG.info("distributed-mutex records no metrics: neither Micrometer nor a set-up OpenTelemetry was found");
            return null;
        }
        // even one recorder: the composite logs its first failure once and switches it off
        return new CompositeLockRecorder(recorders);
    }

    /**
     * Sets one library's recorder up, or leaves that library out, logged at WARN, when it fails: with
     * an exception, or with a {@link LinkageError} when the application's version of the library's
     * API lacks something the recorder links to. Metrics are optional; they must never fail the
     * application's start.
     */
    static Optional<LockRecorder> guarded(String library, Supplier<Optional<LockRecorder>> setUp) {
        try {
            return setUp.get();
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("distributed-mutex records no metrics to {}: setting it up failed ({}); locking is not affected",
                    library, e.toString());
            LOG.debug("Setting up metrics to {} failed", library, e);
            return Optional.empty();
        }
    }

    private static Optional<LockRecorder> micrometer(ObservabilitySettings.Metrics metrics,
                                                     Function<Class<?>, Optional<Object>> beans) {
        Class<?> registryType = OptionalApis.load(OptionalApis.MICROMETER);
        if (registryType == null) {
            if (metrics == ObservabilitySettings.Metrics.MICROMETER) {
                LOG.warn("distributedmutex.metrics=micrometer, but micrometer-core is not on the application's"
                        + " classpath: no metrics are recorded");
            }
            return Optional.empty();
        }
        Optional<Object> bean = beans.apply(registryType);
        if (bean.isPresent()) {
            LOG.info("distributed-mutex records metrics to Micrometer (the application's MeterRegistry bean)");
            return Optional.of(MicrometerLockRecorder.create(bean.get()));
        }
        // recorded all the same: a registry may be added to the global one later
        LOG.info("distributed-mutex records metrics to Micrometer (Metrics.globalRegistry{})",
                MicrometerLockRecorder.globalHasRegistries() ? ""
                        : "; no registry has been added to it yet, so nothing is exported until one is");
        return Optional.of(MicrometerLockRecorder.global());
    }

    private static Optional<LockRecorder> openTelemetry(ObservabilitySettings.Metrics metrics,
                                                        Function<Class<?>, Optional<Object>> beans) {
        Class<?> openTelemetryType = OptionalApis.load(OptionalApis.OPENTELEMETRY);
        if (openTelemetryType == null) {
            if (metrics == ObservabilitySettings.Metrics.OPENTELEMETRY) {
                LOG.warn("distributedmutex.metrics=opentelemetry, but opentelemetry-api is not on the application's"
                        + " classpath: no metrics are recorded");
            }
            return Optional.empty();
        }
        Optional<Object> bean = beans.apply(openTelemetryType);
        String source = "the application's OpenTelemetry bean";
        Optional<Object> openTelemetry = bean;
        if (openTelemetry.isEmpty()) {
            source = "GlobalOpenTelemetry";
            openTelemetry = OpenTelemetryLockRecorder.globalInstanceIfSet();
        }
        if (openTelemetry.isEmpty()) {
            (metrics == ObservabilitySettings.Metrics.OPENTELEMETRY ? LOG.atWarn() : LOG.atInfo()).log(
                    "distributed-mutex records no metrics to OpenTelemetry: its API is present, but there is no"
                    + " OpenTelemetry bean and GlobalOpenTelemetry is not set");
            return Optional.empty();
        }
        if (OpenTelemetryLockRecorder.isNoop(openTelemetry.get())) {
            // nothing to record to: the no-op meters never change into real ones
            (metrics == ObservabilitySettings.Metrics.OPENTELEMETRY ? LOG.atWarn() : LOG.atInfo()).log(
                    "distributed-mutex records no metrics to OpenTelemetry: " + source + " is a no-op (no SDK;"
                    + " on MicroProfile Telemetry set otel.sdk.disabled=false and a metrics exporter)");
            return Optional.empty();
        }
        LOG.info("distributed-mutex records metrics to OpenTelemetry ({}; what leaves the application depends on"
                + " its exporters)", source);
        return Optional.of(OpenTelemetryLockRecorder.create(openTelemetry.get()));
    }
}
