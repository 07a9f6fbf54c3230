/**
 * Internal: not an API; may change in any release.
 *
 * <p>Reading and validating the library's configuration ({@code distributedmutex.*}).
 *
 * <p>{@link io.github.distributedmutex.internal.config.SettingsReader} turns raw values into
 * checked {@link io.github.distributedmutex.internal.config.Settings}; values come from
 * MicroProfile Config when it is on the classpath, otherwise from system properties and then
 * environment variables ({@link io.github.distributedmutex.internal.config.ConfigLookup}).
 * Durations are parsed by {@link io.github.distributedmutex.internal.config.DurationParser},
 * which {@code @Locked} attributes use too; the instance name of owner ids by
 * {@link io.github.distributedmutex.internal.config.InstanceName}. The metrics and readiness settings
 * are {@link io.github.distributedmutex.internal.config.ObservabilitySettings};
 * {@link io.github.distributedmutex.internal.config.OptionalApis} says which optional APIs
 * (Micrometer, OpenTelemetry, MicroProfile Health) the application has. Nothing here talks to Redis.
 */
package io.github.distributedmutex.internal.config;
