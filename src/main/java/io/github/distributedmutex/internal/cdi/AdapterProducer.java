package io.github.distributedmutex.internal.cdi;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.LockEvent;
import io.github.distributedmutex.internal.config.ConfigLookup;
import io.github.distributedmutex.internal.config.ObservabilitySettings;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.config.SettingsReader;
import io.github.distributedmutex.internal.metrics.MetricsBackends;
import io.github.distributedmutex.internal.redis.LockRecorder;
import io.github.distributedmutex.internal.redis.LockReadiness;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedisConnection;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.enterprise.inject.spi.Bean;
import jakarta.enterprise.inject.spi.BeanManager;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Produces the application's {@code @ApplicationScoped} {@link Adapter}.
 *
 * <p>Uses the application's own {@link RedissonClient} bean when there is exactly one (and never
 * shuts it down); otherwise builds a private client from the configuration, which it shuts down
 * with the container and never publishes as a bean. The adapter is created when the application
 * starts, so a bad configuration value fails the startup, naming the key; the private client
 * connects lazily, so the startup does not need Redis to be up.
 *
 * <p>The adapter fires {@link LockEvent}s as asynchronous CDI events ({@link CdiLockEvents}), only
 * of the types that have {@code @ObservesAsync} observers, and none once the container shuts down.
 */
@ApplicationScoped
public class AdapterProducer {

    private static final Logger LOG = LoggerFactory.getLogger(AdapterProducer.class);
    private static final String DEFAULT_MANAGED_EXECUTOR = "java:comp/DefaultManagedExecutorService";

    private final Instance<RedissonClient> applicationClients;
    private final Event<LockEvent> lockEvents;
    private final BeanManager beanManager;
    private final Object guard = new Object();
    private RedisAdapter adapter;
    private Settings settings;
    private ObservabilitySettings observability;
    private CdiLockEvents listener;
    /** Set first thing at shutdown, read without the guard: a readiness check answers DOWN at once from then on. */
    private volatile boolean shutDown;
    /** Logs the readiness check's changes (UP, DOWN, another DOWN reason) with their details. */
    private final ReadinessTransitions readinessTransitions = new ReadinessTransitions();

    /** For the container's proxy only. */
    protected AdapterProducer() {
        this.applicationClients = null;
        this.lockEvents = null;
        this.beanManager = null;
    }

    /**
     * @param applicationClients the application's Redisson client beans, if any
     * @param lockEvents         where the adapter's lock events are fired
     * @param beanManager        the container, asked once which lock events have observers
     */
    @Inject
    public AdapterProducer(Instance<RedissonClient> applicationClients, Event<LockEvent> lockEvents,
                           BeanManager beanManager) {
        this.applicationClients = applicationClients;
        this.lockEvents = lockEvents;
        this.beanManager = beanManager;
    }

    /**
     * Creates the adapter at startup so configuration errors fail the deployment, and checks the
     * {@code @Locked} methods against the configuration (their other rules were checked at deployment).
     *
     * @param event     the application scope's start
     * @param extension the portable extension, which saw the {@code @Locked} beans of every archive
     *                  (unresolvable where only the build compatible one runs, as on Quarkus: then the
     *                  beans this container resolves are checked)
     */
    void onStartup(@Observes @Initialized(ApplicationScoped.class) Object event,
                   Instance<LockedPortableExtension> extension) {
        adapter();
        Set<Class<?>> lockedClasses = new HashSet<>();
        if (extension.isResolvable()) {
            lockedClasses.addAll(extension.get().lockedClasses());
        } else {
            for (Bean<?> bean : beanManager.getBeans(Object.class, Any.Literal.INSTANCE)) {
                if (LockedMethodValidator.usesLocked(bean.getBeanClass())) {
                    lockedClasses.add(bean.getBeanClass());
                }
            }
        }
        List<String> problems = new ArrayList<>();
        for (Class<?> beanClass : lockedClasses) {
            problems.addAll(LockedMethodValidator.problemsWithConfiguredLease(beanClass, settings.lease(),
                    settings.replicaAcks()));
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("distributed-mutex cannot start: " + String.join("; ", problems));
        }
    }

    /** @return the adapter, created on first call */
    @Produces
    @ApplicationScoped
    public Adapter adapter() {
        synchronized (guard) {
            if (adapter == null) {
                adapter = create();
            }
            return adapter;
        }
    }

    private RedisAdapter create() {
        ConfigLookup config = ConfigLookup.detect();
        settings = SettingsReader.read(config);
        observability = SettingsReader.readObservability(config);
        RedisConnection connection;
        if (applicationClients.isResolvable()) {
            LOG.info("distributed-mutex uses the application's RedissonClient bean; {}", settings);
            connection = RedisConnection.of(RedissonClientFactory.requireNoNameMapper(applicationClients.get()), false);
        } else if (applicationClients.isAmbiguous()) {
            throw new IllegalStateException("distributed-mutex found several RedissonClient beans and cannot choose;"
                    + " keep one @Default RedissonClient bean, or none to let the library build its own");
        } else {
            LOG.info("distributed-mutex builds its own Redisson client; {}", settings);
            connection = RedissonClientFactory.connect(settings);
        }
        listener = CdiLockEvents.create(lockEvents, beanManager);
        LockRecorder recorder = MetricsBackends.detect(observability.metrics(), this::applicationBean);
        return new RedisAdapter(connection, settings, managedExecutor(), listener, recorder);
    }

    /**
     * The application's one bean of a type the library knows only by name (a {@code MeterRegistry},
     * an {@code OpenTelemetry}), looked up programmatically: an injection point of that type would
     * need the class to exist, and an {@code Instance<Object>} injection point would keep every bean
     * of a Quarkus application from being removed as unused.
     */
    private Optional<Object> applicationBean(Class<?> type) {
        try {
            Instance<?> beans = beanManager.createInstance().select(type);
            if (beans.isResolvable()) {
                return Optional.of(beans.get());
            }
            if (beans.isAmbiguous()) {
                LOG.info("distributed-mutex found several {} beans and uses none of them", type.getName());
            }
        } catch (RuntimeException e) {
            LOG.info("distributed-mutex could not look up a {} bean: {}", type.getName(), e.toString());
        }
        return Optional.empty();
    }

    /**
     * Whether the adapter can lock now, for the readiness check (see {@link RedisAdapter#readiness}),
     * waiting at most {@code distributedmutex.health.timeout}; with
     * {@code distributedmutex.health.readiness=false}, up without checking.
     *
     * @return up, or down with a generic reason (no host, port or credential); the details are logged
     */
    public LockReadiness readiness() {
        RedisAdapter current;
        ObservabilitySettings checks;
        if (shutDown) {
            // not behind the guard: shutdown holds it while the adapter closes (the grace, Redis calls)
            return new LockReadiness(false, "the application is shutting down");
        }
        synchronized (guard) {
            if (shutDown) {
                return new LockReadiness(false, "the application is shutting down");
            }
            current = (RedisAdapter) adapter();
            checks = observability;
        }
        if (!checks.readiness()) {
            return new LockReadiness(true, "not checked: distributedmutex.health.readiness=false");
        }
        long started = System.nanoTime();
        LockReadiness readiness = current.readiness(checks.readinessTimeout());
        readinessTransitions.seen(readiness, started);
        return readiness;
    }

    /**
     * The application server's default {@code ManagedExecutorService} (Jakarta Concurrency), on which
     * stages handed to the application complete so that its contexts propagate; null where there is
     * none (Weld SE, Quarkus), and the library then uses its own threads. Looked up by its standard
     * JNDI name, so the library needs no compile-time dependency on Jakarta Concurrency.
     */
    private static Executor managedExecutor() {
        try {
            Object found = new InitialContext().lookup(DEFAULT_MANAGED_EXECUTOR);
            if (found instanceof Executor executor) {
                LOG.info("distributed-mutex completes asynchronous stages on {}", DEFAULT_MANAGED_EXECUTOR);
                return executor;
            }
        } catch (NamingException | RuntimeException | LinkageError none) {
            LOG.debug("No {} ({}): distributed-mutex completes asynchronous stages on its own threads",
                    DEFAULT_MANAGED_EXECUTOR, none.toString());
        }
        return null;
    }

    /** Stops firing lock events, releases held locks and shuts the private client down. */
    @PreDestroy
    void shutdown() {
        shutDown = true;
        synchronized (guard) {
            if (listener != null) {
                listener.stop();
            }
            if (adapter != null) {
                adapter.close();
                adapter = null;
            }
        }
    }
}
