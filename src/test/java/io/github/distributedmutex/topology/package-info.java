/**
 * Tests of the library against Redis topologies and security setups: TLS, ACL, Sentinel, Cluster.
 *
 * <p>Each test starts the Redis processes it needs itself (through
 * {@link io.github.distributedmutex.testing.RedisServerProcess}) and builds its adapters exactly as
 * production does, through {@link io.github.distributedmutex.internal.redis.RedissonClientFactory},
 * so what is proven here is what an application configured the same way gets.
 */
package io.github.distributedmutex.topology;
