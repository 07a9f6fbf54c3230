/**
 * Internal: not an API; may change in any release.
 *
 * <p>The library's metrics on OpenTelemetry ({@code opentelemetry-api}, an optional dependency;
 * MicroProfile Telemetry 2.x on Open Liberty, Payara 7 and WildFly provides it): the only package
 * that refers to OpenTelemetry. Loaded only after
 * {@link io.github.distributedmutex.internal.config.OptionalApis} found the API
 * ({@link io.github.distributedmutex.internal.metrics.MetricsBackends}); the instruments are
 * {@link io.github.distributedmutex.internal.metrics.Instruments}'.
 */
package io.github.distributedmutex.internal.metrics.otel;
