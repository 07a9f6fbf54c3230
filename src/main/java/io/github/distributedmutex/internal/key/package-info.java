/**
 * Internal: not an API; may change in any release.
 *
 * <p>Lock keys: validation of the keys applications pass in
 * ({@link io.github.distributedmutex.internal.key.LockKey}), their mapping to Redis key names,
 * and formatting for {@code acquiref}/{@code releasef}
 * ({@link io.github.distributedmutex.internal.key.KeyFormat}). Pure functions; no Redis access.
 */
package io.github.distributedmutex.internal.key;
