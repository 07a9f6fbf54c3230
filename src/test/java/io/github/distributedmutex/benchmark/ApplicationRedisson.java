package io.github.distributedmutex.benchmark;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import java.util.Objects;
import org.redisson.api.RedissonClient;

/**
 * Publishes the benchmark's Redisson client as the application's {@code RedissonClient} bean, so
 * that the library in the Weld container uses the very client the raw {@code RLock} and the other
 * contenders use (the library takes an application's client when there is one, and never shuts it
 * down). {@code @Dependent}: the adapter gets the client itself, not a proxy.
 */
@ApplicationScoped
public class ApplicationRedisson {

    private static volatile RedissonClient shared;

    /** @param client the client to publish in containers started from now on */
    static void share(RedissonClient client) {
        shared = Objects.requireNonNull(client, "client");
    }

    /** @return the shared client */
    @Produces
    @Dependent
    public RedissonClient client() {
        return Objects.requireNonNull(shared, "ApplicationRedisson.share(client) was not called");
    }
}
