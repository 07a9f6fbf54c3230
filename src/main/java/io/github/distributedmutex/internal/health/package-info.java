/**
 * Internal: not an API; may change in any release.
 *
 * <p>The library's MicroProfile Health {@code @Readiness} check
 * ({@link io.github.distributedmutex.internal.health.RedisReadinessCheck}), the only code that refers
 * to MicroProfile Health (an optional dependency). Its class carries no bean-defining annotation:
 * the portable and build compatible extensions in {@code internal/cdi} add it as a bean only when
 * {@link io.github.distributedmutex.internal.config.OptionalApis} finds the MP Health API, so an
 * application without it never loads this package. The check itself is
 * {@link io.github.distributedmutex.internal.redis.RedisAdapter#readiness(java.time.Duration)}.
 */
package io.github.distributedmutex.internal.health;
