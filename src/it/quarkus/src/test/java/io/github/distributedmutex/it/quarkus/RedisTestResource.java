package io.github.distributedmutex.it.quarkus;

import io.github.distributedmutex.testing.RedisServerProcess;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * The real Redis of the test, given to the application as {@code distributedmutex.redis.address}:
 * {@code REDIS_URL} when set; otherwise a {@code redis-server} process on a free loopback port, started
 * and stopped by the main project's test fixture {@link RedisServerProcess} (from its {@code tests} jar:
 * the one on {@code PATH}, else the Linux binary inside the {@code embedded-redis} jar).
 */
public class RedisTestResource implements QuarkusTestResourceLifecycleManager {

    private static volatile String address;

    private static volatile RedisServerProcess server;

    /** @return the Redis process this resource started, null when the application uses {@code REDIS_URL} */
    static RedisServerProcess server() {
        return server;
    }

    /** @return the address of the Redis the application was started with */
    static String address() {
        return address;
    }

    @Override
    public Map<String, String> start() {
        String url = System.getenv("REDIS_URL");
        if (url != null && !url.isBlank()) {
            address = url.trim();
        } else {
            server = RedisServerProcess.start();
            address = server.address();
        }
        System.out.println("[RedisTestResource] the application uses Redis at " + address
                + (server == null ? " (REDIS_URL)" : " (redis-server pid " + server.pid() + ")"));
        return Map.of("distributedmutex.redis.address", address);
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
