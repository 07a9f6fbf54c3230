package io.github.distributedmutex.internal.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The validated configuration of the library's metrics and readiness check.
 *
 * @param metrics          which metrics library the library reports to ({@code distributedmutex.metrics})
 * @param readiness        whether the readiness check checks Redis ({@code distributedmutex.health.readiness});
 *                         when false it reports UP without checking
 * @param readinessTimeout the longest the readiness check waits for Redis
 *                         ({@code distributedmutex.health.timeout}), positive
 */
public record ObservabilitySettings(Metrics metrics, boolean readiness, Duration readinessTimeout) {

    /** Default of {@code distributedmutex.health.timeout}. */
    public static final Duration DEFAULT_READINESS_TIMEOUT = Duration.ofSeconds(2);

    /** Which metrics library the library reports to. */
    public enum Metrics {
        /** Every one the application has: Micrometer when present, OpenTelemetry when present and set up. */
        AUTO,
        /** Micrometer only. */
        MICROMETER,
        /** OpenTelemetry only. */
        OPENTELEMETRY,
        /** None. */
        NONE
    }

    /** Checks the invariants. */
    public ObservabilitySettings {
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(readinessTimeout, "readinessTimeout");
        if (readinessTimeout.isNegative() || readinessTimeout.isZero()) {
            throw new IllegalArgumentException("readinessTimeout must be positive: " + readinessTimeout);
        }
    }

    /** @return the settings used when nothing is configured */
    public static ObservabilitySettings defaults() {
        return new ObservabilitySettings(Metrics.AUTO, true, DEFAULT_READINESS_TIMEOUT);
    }
}
