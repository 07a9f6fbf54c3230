package io.github.distributedmutex.it.wfp;

import io.github.distributedmutex.internal.key.LockKey;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.Config;

/**
 * The application's view of the configuration, read through the server's MicroProfile Config: the
 * same {@code distributedmutex.*} values the library reads (the Redis address comes from the server's
 * environment or system properties, the key prefix and the wait from this WAR's
 * {@code META-INF/microprofile-config.properties}), plus the instance name given at server start.
 */
@ApplicationScoped
public class AppConfig {

    @Inject
    Config config;

    /** @return the Redis the library was pointed at */
    public String redisAddress() {
        return config.getOptionalValue("distributedmutex.redis.address", String.class).orElse("redis://127.0.0.1:6379");
    }

    /** @return the library's key prefix */
    public String keyPrefix() {
        return config.getOptionalValue("distributedmutex.key-prefix", String.class).orElse("distributedmutex:");
    }

    /** @return the name the test gave this server instance */
    public String serverName() {
        return config.getOptionalValue("it.server.name", String.class).orElse("unnamed");
    }

    /**
     * @return the seconds field of the offset timers' schedule on this server ({@code it.tick.second}):
     *         {@code *}{@code /4} (seconds 0, 4, 8…) by default, {@code 1/4} (one second later) on an offset server
     */
    public String tickSecond() {
        return config.getOptionalValue("it.tick.second", String.class).orElse("*/4");
    }

    /**
     * @param name a lock key as the application gives it
     * @return the Redis key the library uses for it ({@link LockKey} owns the layout)
     */
    public String lockKey(String name) {
        return LockKey.of(name, keyPrefix()).redisKey();
    }

    /** @return a new connection to the same Redis, independent of the library */
    public Resp redis() {
        return Resp.connect(redisAddress());
    }
}
