package io.github.distributedmutex.internal.health;

import io.github.distributedmutex.internal.cdi.AdapterProducer;
import io.github.distributedmutex.internal.config.CredentialMasking;
import io.github.distributedmutex.internal.redis.LockReadiness;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MicroProfile Health readiness check {@value #NAME}: UP while the library can lock (Redis
 * answers and its release notifications reach this instance), DOWN with a generic {@code reason} while
 * it cannot (never a host, a port or a credential: health endpoints are usually not authenticated; the
 * details are logged at WARN when the state changes); it waits at most
 * {@code distributedmutex.health.timeout} (default 2 s), and a check within that time of the last one
 * reuses its result, so that frequent checks do not each send a {@code PUBLISH} to Redis.
 * Never a liveness check: restarting the application does not bring Redis back.
 *
 * <p>Deliberately without a bean-defining annotation, so that no container discovers it by itself:
 * the library's extensions add it as a bean only when the MicroProfile Health API is present (the
 * portable extension in {@code BeforeBeanDiscovery}, the build compatible extension in
 * {@code @Discovery}), so an application without MP Health never loads this class.
 */
@Readiness
public class RedisReadinessCheck implements HealthCheck {

    /** The check's name in the health report. */
    public static final String NAME = "distributed-mutex";

    private static final Logger LOG = LoggerFactory.getLogger(RedisReadinessCheck.class);

    private final AdapterProducer producer;

    /** @param producer the library's adapter producer, which checks its adapter */
    @Inject
    public RedisReadinessCheck(AdapterProducer producer) {
        this.producer = producer;
    }

    @Override
    public HealthCheckResponse call() {
        LockReadiness readiness;
        try {
            readiness = producer.readiness();
        } catch (RuntimeException e) {
            // for example a configuration error: report it rather than fail the health endpoint, its details
            // (which may name Redis's address) only in the log
            LOG.warn("distributed-mutex readiness: DOWN: the check failed: {}",
                    CredentialMasking.maskUri(e.getClass().getSimpleName() + ": " + e.getMessage()));
            readiness = new LockReadiness(false, "the check failed (" + e.getClass().getSimpleName()
                    + "; see the log)");
        }
        return new HealthCheckResponse(NAME, readiness.up() ? HealthCheckResponse.Status.UP
                : HealthCheckResponse.Status.DOWN, Optional.of(Map.of(readiness.up() ? "checked" : "reason",
                readiness.reason())));
    }
}
