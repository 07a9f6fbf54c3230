package io.github.distributedmutex.cdi;

import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.DistributedMutexCdi;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockInfo;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.Locked;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.se.SeContainer;
import jakarta.enterprise.inject.se.SeContainerInitializer;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An application without Micrometer, OpenTelemetry and MicroProfile Health, run by
 * {@code NoOptionalIntegrationsTest} in a JVM whose class path lacks those jars: it proves they are
 * missing, starts a CDI SE container with the library (argument {@code discovery}: bean discovery
 * on, the library found through its {@code beans.xml}, as on a server; {@code no-discovery}: the
 * beans and the portable extension added by hand), locks through {@code Adapter} and a
 * {@code @Locked} method, checks that no readiness bean exists, and prints
 * {@value #DONE} and the mode. Any failure ends the JVM with an exception and a non-zero status.
 */
public final class WithoutOptionalApis {

    /** The line printed when everything worked. */
    static final String DONE = "WITHOUT-OPTIONAL-APIS-DONE";

    private WithoutOptionalApis() {
    }

    /**
     * @param args {@code discovery} or {@code no-discovery}; with {@code -with-apis} appended (the
     *             test's control run, on the full class path), the APIs must be there and the
     *             readiness bean must exist
     */
    public static void main(String[] args) throws Exception {
        boolean withApis = args[0].endsWith("-with-apis");
        String discovery = args[0].replace("-with-apis", "");
        for (String api : List.of("io.micrometer.core.instrument.MeterRegistry", "io.opentelemetry.api.OpenTelemetry",
                "org.eclipse.microprofile.health.HealthCheck")) {
            if (present(api) != withApis) {
                throw new IllegalStateException(api + (withApis ? " is missing" : " is on the class path: the test"
                        + " proves nothing"));
            }
        }
        SeContainerInitializer initializer = SeContainerInitializer.newInstance().addBeanClasses(Jobs.class);
        if (discovery.equals("no-discovery")) {
            initializer.disableDiscovery().addBeanClasses(DistributedMutexCdi.beanClasses())
                    .addExtensions(DistributedMutexCdi.portableExtension());
        }
        try (SeContainer container = initializer.initialize()) {
            Adapter adapter = container.select(Adapter.class).get();
            await().atMost(Duration.ofSeconds(60)).ignoreException(LockUnavailableException.class)
                    .until(() -> adapter.inspect("warm-up").isEmpty());
            try (Lease lease = adapter.lock("job:1")) {
                Optional<Lease> other = CompletableFuture.supplyAsync(() -> adapter.tryLock("job:1", Duration.ZERO))
                        .get(30, TimeUnit.SECONDS);
                if (other.isPresent() || !lease.isHeld()) {
                    throw new IllegalStateException("the lock did not exclude: " + other);
                }
            }
            LockInfo inside = container.select(Jobs.class).get().process(7);
            if (!inside.key().equals("job:7")) {
                throw new IllegalStateException("@Locked did not hold job:7: " + inside);
            }
            boolean readinessBean = false;
            for (Bean<?> bean : container.getBeanManager().getBeans(Object.class, Any.Literal.INSTANCE)) {
                readinessBean |= bean.getBeanClass().getName().startsWith("io.github.distributedmutex.internal.health");
            }
            if (readinessBean != withApis) {
                throw new IllegalStateException(withApis ? "no readiness bean with MicroProfile Health"
                        : "a readiness bean exists without MicroProfile Health");
            }
        }
        System.out.println(DONE + " " + args[0]);
    }

    private static boolean present(String className) {
        try {
            Class.forName(className);
            return true;
        } catch (ClassNotFoundException absent) {
            return false;
        }
    }

    /** The application's bean. */
    @ApplicationScoped
    public static class Jobs {
        @Inject
        Adapter adapter;

        /** @return what Redis says about the lock while the method holds it */
        @Locked("job:{id}")
        public LockInfo process(long id) {
            return adapter.inspect("job:" + id).orElseThrow(() -> new IllegalStateException("not held inside"));
        }
    }
}
