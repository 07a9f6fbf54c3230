/**
 * Test fixtures that provide a <em>real</em> Redis server to the tests of this project.
 *
 * <p>Nothing in this package mocks, fakes or simulates Redis: every fixture talks to a genuine
 * Redis server over TCP.
 * <ul>
 *     <li>{@link io.github.distributedmutex.testing.TestRedis} hands out the one Redis server shared by the
 *     whole test JVM. It is chosen once, lazily, in this order: the {@code REDIS_URL} environment variable,
 *     a Testcontainers {@code redis:7} container when a Docker engine is reachable, otherwise a
 *     {@code redis-server} process started by the tests.</li>
 *     <li>{@link io.github.distributedmutex.testing.RedisServerProcess} starts and controls a dedicated
 *     {@code redis-server} process (kill, graceful stop, restart on the same port, pause and resume with
 *     {@code SIGSTOP}/{@code SIGCONT}) for tests that need to break or stall Redis on purpose.</li>
 *     <li>{@link io.github.distributedmutex.testing.RedisCommands} is a minimal raw-socket RESP client used to
 *     probe and inspect a server without Redisson (for example {@code PING}, {@code KEYS *}, {@code PTTL},
 *     {@code DEBUG SLEEP}, {@code FLUSHALL}).</li>
 * </ul>
 */
package io.github.distributedmutex.testing;
