package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.internal.config.Fairness;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.RedisCommands;
import java.util.concurrent.TimeUnit;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * The Redis every part of one benchmark run uses, and the one client configuration every
 * contender runs on.
 *
 * <p>The driver ({@link BenchmarkMain}) finds or starts the server; the JVMs it starts (JMH forks,
 * load workers, the memory probe) find its address through {@link #address()}: the system property
 * {@value #ADDRESS_PROPERTY}, else the environment variable {@value #ADDRESS_VARIABLE}, else
 * {@code REDIS_URL} (an address that may carry a password travels in the environment only).
 *
 * <p>{@link #newClient(String)} builds a Redisson client exactly as the library's
 * {@code RedissonClientFactory} builds its private one (single server, Redisson's defaults
 * otherwise). In each JVM, the library's adapter, raw {@code RLock} and the Go package's strategy
 * share that one client, so they differ only in how they lock.
 */
final class BenchmarkRedis {

    /** System property carrying the Redis address to forked JVMs (never used for an address with credentials). */
    static final String ADDRESS_PROPERTY = "benchmark.redis.address";
    /** Environment variable carrying the Redis address to worker JVMs. */
    static final String ADDRESS_VARIABLE = "BENCHMARK_REDIS_ADDRESS";
    /** System property carrying the key prefix of the run to forked JVMs. */
    static final String PREFIX_PROPERTY = "benchmark.key-prefix";

    private BenchmarkRedis() {
    }

    /** @return the Redis address of this run, as handed down by the driver */
    static String address() {
        String address = System.getProperty(ADDRESS_PROPERTY);
        if (address == null || address.isBlank()) {
            address = System.getenv(ADDRESS_VARIABLE);
        }
        if (address == null || address.isBlank()) {
            address = System.getenv("REDIS_URL");
        }
        if (address == null || address.isBlank()) {
            throw new IllegalStateException("No Redis address: run the benchmark through BenchmarkMain"
                    + " (mvn -Pbenchmark verify), which starts a Redis and hands its address down");
        }
        return address.trim();
    }

    /** @return the key prefix of this run, as handed down by the driver */
    static String keyPrefix() {
        return System.getProperty(PREFIX_PROPERTY, "bench:");
    }

    /**
     * @param address the Redis address
     * @return a client configured as the library configures its own: single server, defaults otherwise
     */
    static RedissonClient newClient(String address) {
        Config config = new Config();
        config.useSingleServer().setAddress(address);
        return Redisson.create(config);
    }

    /**
     * Shuts a client down without Netty's default quiet period of 2 s (nothing is in flight when the
     * benchmark closes a client; the quiet period only slows every short-lived JVM down).
     *
     * @param client the client
     */
    static void shutdown(RedissonClient client) {
        client.shutdown(0, 5, TimeUnit.SECONDS);
    }

    /**
     * @param client  the client the adapter shares with the other contenders (not owned by it)
     * @param address the address of that client (the adapter's settings name it; it makes no client of its own)
     * @param prefix  the key prefix
     * @return the library's adapter with its default wait (5 s) and lease (60 s), {@link Fairness#BARGING} (the
     *         {@link Contender#ADAPTER} of every earlier run)
     */
    static RedisAdapter newAdapter(RedissonClient client, String address, String prefix) {
        return newAdapter(client, address, prefix, Fairness.BARGING);
    }

    /**
     * @param client   the client the adapter shares with the other contenders (not owned by it)
     * @param address  the address of that client (the adapter's settings name it; it makes no client of its own)
     * @param prefix   the key prefix
     * @param fairness how the adapter passes a contended lock between processes
     * @return the library's adapter with its default wait (5 s) and lease (60 s), and that fairness
     */
    static RedisAdapter newAdapter(RedissonClient client, String address, String prefix, Fairness fairness) {
        Settings settings = Settings.defaults().withRedisAddress(address).withKeyPrefix(prefix).withFairness(fairness);
        return new RedisAdapter(client, settings, false);
    }

    /**
     * @param address the Redis address
     * @param field   a field of {@code INFO server}, for example {@code redis_version}
     * @return its value, or {@code "?"}
     */
    static String serverInfo(String address, String field) {
        for (String line : RedisCommands.call(address, "INFO", "server").split("\r?\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).trim();
            }
        }
        return "?";
    }
}
