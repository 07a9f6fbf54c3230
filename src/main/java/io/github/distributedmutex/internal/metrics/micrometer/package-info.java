/**
 * Internal: not an API; may change in any release.
 *
 * <p>The library's metrics on Micrometer ({@code micrometer-core}, an optional dependency): the
 * only package that refers to Micrometer. Loaded only after
 * {@link io.github.distributedmutex.internal.config.OptionalApis} found Micrometer
 * ({@link io.github.distributedmutex.internal.metrics.MetricsBackends}); the instruments are
 * {@link io.github.distributedmutex.internal.metrics.Instruments}'.
 */
package io.github.distributedmutex.internal.metrics.micrometer;
