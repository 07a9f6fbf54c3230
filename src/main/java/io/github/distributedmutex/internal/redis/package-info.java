/**
 * The Redis implementation of {@link io.github.distributedmutex.Adapter}, on Redisson.
 *
 * <ul>
 *   <li>{@link io.github.distributedmutex.internal.redis.RedisLockStore}: the Lua scripts (acquire
 *       with fencing token, extend, owner-checked release, ownership check); the only class that
 *       knows the Redis data layout.</li>
 *   <li>{@link io.github.distributedmutex.internal.redis.ReleaseNotifications}: one pub/sub
 *       subscription per adapter that wakes local waiters when a contended lock is released.</li>
 *   <li>{@link io.github.distributedmutex.internal.redis.LeaseRenewals}: the watchdog.</li>
 *   <li>{@link io.github.distributedmutex.internal.redis.RedisLease} and
 *       {@link io.github.distributedmutex.internal.redis.RedisAdapter}: the public contract.</li>
 * </ul>
 *
 * <p>No state is kept per key once a lock is released: waiter queues, thread holds and watchdog
 * tasks exist only while a lock is wanted or held.
 */
package io.github.distributedmutex.internal.redis;
