package io.github.distributedmutex.testing;

import io.github.distributedmutex.DistributedMutexCdi;
import io.github.distributedmutex.internal.key.LockKey;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.se.SeContainer;
import jakarta.enterprise.inject.se.SeContainerInitializer;
import jakarta.enterprise.inject.spi.Extension;
import java.lang.annotation.Annotation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.spi.ConfigProviderResolver;

/**
 * A CDI SE container running the library, started through the portable
 * {@link SeContainerInitializer} API only (no Weld- or OpenWebBeans-specific calls), so that the
 * same tests run on any CDI SE implementation found on the classpath: Weld by default, OpenWebBeans
 * with {@code mvn -Powb test}.
 *
 * <p>Contract:
 * <ul>
 *     <li>Discovery is disabled; the container holds exactly the given bean classes plus the
 *     library's beans ({@link DistributedMutexCdi#beanClasses()}) and, unless
 *     {@link Builder#withoutPortableExtension()} is used, an explicitly added
 *     {@link DistributedMutexCdi#portableExtension()} (with discovery disabled, Weld
 *     does not load extensions from {@code META-INF/services}, so without this the deployment
 *     would not be validated at all). OpenWebBeans loads the extension from {@code META-INF/services}
 *     even with discovery disabled and registers each extension class once, so there the explicit
 *     instance is a no-op and {@link Builder#withoutPortableExtension()} does not remove the
 *     validation (only the Weld-only {@code BuildCompatibleExtensionOnWeldTest} uses it).</li>
 *     <li>Each container gets a class loader of its own ({@link SeContainerInitializer#setClassLoader},
 *     a loader that delegates everything to the test class loader) and is closed with that loader
 *     as the thread context class loader: OpenWebBeans SE keeps one container per class loader, so
 *     without this two containers at once (two "application instances"), or a start after a failed
 *     start, would fail with "... is already registered".</li>
 *     <li>When the start fails, the errors the container logged through {@code java.util.logging}
 *     at {@code SEVERE} on the starting thread are added to the thrown exception as suppressed
 *     {@link ContainerReport}s: OpenWebBeans throws a {@code DefinitionException} that only says
 *     "look at the logs" and logs each definition error (naming the method) there.</li>
 *     <li>Configuration is given per container through system properties:
 *     {@code distributedmutex.redis.address} ({@link TestRedis#address()} unless overridden),
 *     {@code distributedmutex.key-prefix} (a fresh prefix unique to the container unless
 *     overridden) and whatever {@link Builder#property(String, String)} adds. Because SmallRye
 *     Config caches one {@code Config} per class loader, the cached config is released before the
 *     container starts (and again when it closes) so the new values are seen.</li>
 *     <li>{@link #close()} shuts the container down and removes the system properties it set
 *     (those still holding the value this container set; a property another open container set
 *     to a different value in the meantime is left alone). A failed start removes them too.</li>
 *     <li>The Redis key of lock key {@code K} is {@code <keyPrefix>{K}} ({@code '}'} in {@code K} encoded as
 *     {@link LockKey} says): see {@link #redisKey(String)}.</li>
 * </ul>
 *
 * <pre>{@code
 * try (CdiContainers cdi = CdiContainers.builder().beans(Jobs.class).start()) {
 *     cdi.select(Jobs.class).process(42);
 *     assertThat(cdi.redisKeyExists("job:42")).isFalse();
 * }
 * }</pre>
 */
public final class CdiContainers implements AutoCloseable {

    /** Configuration key of the Redis address. */
    public static final String ADDRESS = "distributedmutex.redis.address";
    /** Configuration key of the key prefix. */
    public static final String KEY_PREFIX = "distributedmutex.key-prefix";

    private final SeContainer container;
    private final ClassLoader loader;
    private final Map<String, String> properties;
    private final String keyPrefix;
    private final String redisAddress;

    private CdiContainers(SeContainer container, ClassLoader loader, Map<String, String> properties) {
        this.container = container;
        this.loader = loader;
        this.properties = properties;
        this.keyPrefix = properties.get(KEY_PREFIX);
        this.redisAddress = properties.get(ADDRESS);
    }

    /** @return a builder for a container against the shared test Redis with a unique key prefix */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @param beanClasses the application's bean classes
     * @return a started container with the default configuration
     */
    public static CdiContainers start(Class<?>... beanClasses) {
        return builder().beans(beanClasses).start();
    }

    /** @return a fresh key prefix, unique to the caller */
    public static String uniquePrefix() {
        return "cdi-" + UUID.randomUUID().toString().substring(0, 8) + ":";
    }

    /** @return the running container */
    public SeContainer container() {
        return container;
    }

    /**
     * @param type       a bean type
     * @param qualifiers its qualifiers
     * @return the one bean of that type (a client proxy for normal-scoped beans)
     */
    public <T> T select(Class<T> type, Annotation... qualifiers) {
        return container.select(type, qualifiers).get();
    }

    /**
     * @param type       a bean type
     * @param qualifiers its qualifiers
     * @return the {@link Instance} for that type, for checks such as {@code isUnsatisfied()}
     */
    public <T> Instance<T> instance(Class<T> type, Annotation... qualifiers) {
        return container.select(type, qualifiers);
    }

    /** @return the value of {@code distributedmutex.key-prefix} this container runs with */
    public String keyPrefix() {
        return keyPrefix;
    }

    /** @return the value of {@code distributedmutex.redis.address} this container runs with */
    public String redisAddress() {
        return redisAddress;
    }

    /**
     * @param key a lock key as the application gives it
     * @return its Redis key, {@code <prefix>{key}} (see {@link LockKey} for keys containing {@code '}'})
     */
    public String redisKey(String key) {
        return LockKey.of(key, keyPrefix).redisKey();
    }

    /**
     * Asks the Redis at {@link #redisAddress()} over a raw socket (not through the library).
     *
     * @param key a lock key as the application gives it
     * @return whether its Redis key exists now
     */
    public boolean redisKeyExists(String key) {
        return RedisCommands.callForLong(redisAddress, "EXISTS", redisKey(key)) == 1;
    }

    /** @return every Redis key under this container's prefix, at the container's Redis address */
    public List<String> redisKeys() {
        return RedisCommands.callForList(redisAddress, "KEYS", keyPrefix + "*");
    }

    @Override
    public void close() {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        try {
            if (container.isRunning()) {
                container.close();
            }
        } finally {
            thread.setContextClassLoader(previous);
            clear(properties);
        }
    }

    private static void clear(Map<String, String> properties) {
        properties.forEach((key, value) -> {
            if (value.equals(System.getProperty(key))) {
                System.clearProperty(key);
            }
        });
        releaseConfig();
    }

    private static void releaseConfig() {
        ConfigProviderResolver resolver = ConfigProviderResolver.instance();
        resolver.releaseConfig(ConfigProvider.getConfig());
    }

    /** Describes one container; {@link #start()} starts it. */
    public static final class Builder {

        private final List<Class<?>> beans = new ArrayList<>();
        private final List<Extension> extensions = new ArrayList<>();
        private final Map<String, String> properties = new LinkedHashMap<>();
        private boolean portableExtension = true;

        private Builder() {
        }

        /** @return this builder, with these bean classes (interceptors and producers included) */
        public Builder beans(Class<?>... beanClasses) {
            beans.addAll(Arrays.asList(beanClasses));
            return this;
        }

        /** @return this builder, with these extensions added besides the library's */
        public Builder extensions(Extension... added) {
            extensions.addAll(Arrays.asList(added));
            return this;
        }

        /** @return this builder, without the library's portable extension (so without its validation) */
        public Builder withoutPortableExtension() {
            portableExtension = false;
            return this;
        }

        /** @return this builder, with a configuration value given as a system property */
        public Builder property(String key, String value) {
            properties.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
            return this;
        }

        /** @return this builder, with {@code distributedmutex.redis.address} set to {@code address} */
        public Builder redisAddress(String address) {
            return property(ADDRESS, address);
        }

        /** @return this builder, with {@code distributedmutex.key-prefix} set to {@code prefix} */
        public Builder keyPrefix(String prefix) {
            return property(KEY_PREFIX, prefix);
        }

        /**
         * @return the started container
         * @throws RuntimeException whatever the container start threw (the properties are cleared)
         */
        public CdiContainers start() {
            Map<String, String> effective = new LinkedHashMap<>();
            effective.put(ADDRESS, properties.containsKey(ADDRESS) ? properties.get(ADDRESS) : TestRedis.address());
            effective.put(KEY_PREFIX, uniquePrefix());
            effective.putAll(properties);
            effective.forEach(System::setProperty);
            ClassLoader context = Thread.currentThread().getContextClassLoader();
            ClassLoader loader = new ContainerClassLoader(
                    context != null ? context : CdiContainers.class.getClassLoader());
            try (ContainerReports reports = ContainerReports.capture()) {
                releaseConfig();
                SeContainerInitializer initializer = SeContainerInitializer.newInstance()
                        .setClassLoader(loader)
                        .disableDiscovery()
                        .addBeanClasses(DistributedMutexCdi.beanClasses())
                        .addBeanClasses(beans.toArray(Class<?>[]::new));
                if (portableExtension) {
                    initializer.addExtensions(DistributedMutexCdi.portableExtension());
                }
                if (!extensions.isEmpty()) {
                    initializer.addExtensions(extensions.toArray(Extension[]::new));
                }
                try {
                    return new CdiContainers(initializer.initialize(), loader, Map.copyOf(effective));
                } catch (RuntimeException | Error e) {
                    reports.attachTo(e);
                    throw e;
                }
            } catch (RuntimeException | Error e) {
                clear(effective);
                throw e;
            }
        }
    }

    /**
     * The class loader of one container: it defines nothing and delegates everything to the test
     * class loader. It exists so that each container is its own application to implementations that
     * keep their state per class loader (OpenWebBeans SE registers its container under the class
     * loader given to {@link SeContainerInitializer#setClassLoader(ClassLoader)} and refuses a
     * second one under the same loader, even after a failed start).
     */
    private static final class ContainerClassLoader extends ClassLoader {

        static {
            registerAsParallelCapable();
        }

        ContainerClassLoader(ClassLoader parent) {
            super("cdi-container-" + UUID.randomUUID().toString().substring(0, 8), parent);
        }
    }

    /**
     * What the container reported through {@code java.util.logging} at {@code SEVERE} on the
     * starting thread while it started. Some implementations (OpenWebBeans) log each definition
     * and deployment error and then throw an exception that only says "look at the logs"; a failed
     * start gets those reports as suppressed exceptions, so a test sees what the user would see.
     */
    private static final class ContainerReports extends Handler implements AutoCloseable {

        private final Logger root = Logger.getLogger("");
        private final long threadId = Thread.currentThread().getId();
        private final List<LogRecord> records = new ArrayList<>();

        static ContainerReports capture() {
            ContainerReports reports = new ContainerReports();
            reports.setLevel(Level.SEVERE);
            reports.root.addHandler(reports);
            return reports;
        }

        @Override
        public void publish(LogRecord record) {
            if (record.getLongThreadID() == threadId && isLoggable(record)) {
                synchronized (records) {
                    records.add(record);
                }
            }
        }

        void attachTo(Throwable failure) {
            synchronized (records) {
                for (LogRecord record : records) {
                    failure.addSuppressed(new ContainerReport(record));
                }
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            root.removeHandler(this);
        }
    }

    /** One error the container logged while it failed to start. */
    public static final class ContainerReport extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ContainerReport(LogRecord record) {
            super("logged by " + record.getLoggerName() + ": " + new SimpleFormatter()
                    .formatMessage(record), record.getThrown(), false, false);
        }
    }
}
