/**
 * Internal: not an API; may change in any release.
 *
 * <p>The library's metrics, through whichever of Micrometer and OpenTelemetry the application has
 * (both optional dependencies, never bundled). The core ({@code internal/redis}) reports to a
 * {@link io.github.distributedmutex.internal.redis.LockRecorder} and knows neither library;
 * {@link io.github.distributedmutex.internal.metrics.MetricsBackends} chooses the recorders when the
 * CDI producer creates the adapter ({@code distributedmutex.metrics}), and
 * {@link io.github.distributedmutex.internal.metrics.Instruments} names what they record. Each
 * library's recorder lives in its own subpackage ({@code micrometer}, {@code otel}), the only code
 * that refers to that library, and is loaded only when the library is present. Nothing here refers
 * to CDI or Redis.
 */
package io.github.distributedmutex.internal.metrics;
