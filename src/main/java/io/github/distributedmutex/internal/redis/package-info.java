/**
 * Internal: not an API; may change in any release.
 *
 * <p>The Redis implementation of {@link io.github.distributedmutex.Adapter}, on Redisson.
 *
 * <ul>
 *   <li>{@link io.github.distributedmutex.internal.redis.RedisAdapter}: the public contract and
 *       the lifecycle (startup without Redis, shutdown); it wires the classes below.</li>
 *   <li>{@link io.github.distributedmutex.internal.redis.AcquisitionLoop}: one acquisition, from
 *       the first attempt to a grant or the deadline (attempt, wait, wake, give back).</li>
 *   <li>{@link io.github.distributedmutex.internal.redis.ThreadHolds}: thread ownership and
 *       re-entrancy of {@code acquire}/{@code release}.</li>
 *   <li>{@link io.github.distributedmutex.internal.redis.RedisLease} and
 *       {@link io.github.distributedmutex.internal.redis.HeldLeases}: a held lock, and the leases
 *       an adapter holds (completion threads, shutdown);
 *       {@link io.github.distributedmutex.internal.redis.RedisLeaseSet}: the one lease of several keys
 *       locked together ({@code lockAll}), made of ordinary leases.</li>
 *   <li>{@link io.github.distributedmutex.internal.redis.Timers}: the adapter's clock (watchdog renewals, waits' timeouts).</li>
 *   <li>{@link io.github.distributedmutex.internal.redis.AbandonedAttempts}: give-back of
 *       attempts whose answer never came.</li>
 *   <li>{@link io.github.distributedmutex.internal.redis.ReplicaAcknowledgements}: whether enough
 *       replicas acknowledged a grant ({@code distributedmutex.replica-acks}, Redis {@code WAIT}).</li>
 *   <li>{@link io.github.distributedmutex.internal.redis.RedisLockStore}: the Lua scripts (acquire
 *       with fencing token, of one key or all keys of one node at once, the barrier after a grant that
 *       replicas must acknowledge, extend, owner-checked release, abandon, ownership check, inspect), on the
 *       Redis names of {@link io.github.distributedmutex.internal.key.LockKey}.</li>
 *   <li>{@link io.github.distributedmutex.internal.redis.ReleaseNotifications} and
 *       {@link io.github.distributedmutex.internal.redis.LockBackend}: one pub/sub subscription
 *       per adapter that wakes local waiters when a contended lock is released, and the Redis side
 *       built once the client exists.</li>
 *   <li>{@link io.github.distributedmutex.internal.redis.OwnerId}: owner ids
 *       ({@code <instance name>#<adapter>:<sequence>}) and reading the instance name back.</li>
 *   <li>{@link io.github.distributedmutex.internal.redis.LockListener} and
 *       {@link io.github.distributedmutex.internal.redis.LockEvents}: where the adapter reports its
 *       {@link io.github.distributedmutex.LockEvent}s (the CDI producer plugs in a listener; none
 *       costs nothing), and {@link io.github.distributedmutex.internal.redis.LockRecorder} with
 *       {@link io.github.distributedmutex.internal.redis.LockGauges}: where it reports measurements
 *       for metrics, under a bounded name ({@link io.github.distributedmutex.internal.redis.MetricNames}).
 *       Nothing here depends on CDI or a metrics library.</li>
 *   <li>{@link io.github.distributedmutex.internal.redis.LockReadiness}: whether the adapter can lock
 *       now ({@code RedisAdapter.readiness}), for the readiness check.</li>
 *   <li>{@link io.github.distributedmutex.internal.redis.RedisConnection},
 *       {@link io.github.distributedmutex.internal.redis.RedissonClientFactory},
 *       {@link io.github.distributedmutex.internal.redis.RedisCalls} and
 *       {@link io.github.distributedmutex.internal.redis.InFlight}: the client, bounded calls and
 *       their failures, and operations under way.</li>
 * </ul>
 *
 * <p>No state is kept per key once a lock is released: waiter queues, thread holds and watchdog
 * tasks exist only while a lock is wanted or held.
 */
package io.github.distributedmutex.internal.redis;
