package io.github.distributedmutex.internal.cdi;

import io.github.distributedmutex.internal.config.OptionalApis;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.spi.BeforeBeanDiscovery;
import jakarta.enterprise.inject.spi.DefinitionException;
import jakarta.enterprise.inject.spi.Extension;
import jakarta.enterprise.inject.spi.ProcessManagedBean;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Portable extension (CDI Full: Weld, OpenWebBeans, WildFly, Payara, Liberty) that validates
 * every {@code @Locked} method of every managed bean when the application deploys, through
 * {@link LockedMethodValidator}; each problem becomes a definition error that names the method,
 * and each warning (a setup that deploys but defeats the lock) is logged at WARN. It also adds the
 * beans that need an optional API, when that API is present ({@link OptionalBeans}).
 */
public class LockedPortableExtension implements Extension {

    private static final Logger LOG = LoggerFactory.getLogger(LockedPortableExtension.class);

    private final Set<Class<?>> lockedClasses = ConcurrentHashMap.newKeySet();

    /**
     * Adds the library's beans whose optional API is present: the MicroProfile Health readiness
     * check when MP Health is there ({@link OptionalBeans}); without the API, they are never loaded.
     */
    void addOptionalBeans(@Observes BeforeBeanDiscovery event) {
        for (String name : OptionalBeans.present()) {
            Class<?> type = OptionalApis.load(name);
            if (type == null) {
                LOG.warn("distributed-mutex cannot load {}; it is left out", name);
                continue;
            }
            add(event, type);
        }
    }

    private static <T> void add(BeforeBeanDiscovery event, Class<T> type) {
        event.addAnnotatedType(type, LockedPortableExtension.class.getName() + "." + type.getSimpleName());
    }

    <T> void validate(@Observes ProcessManagedBean<T> event) {
        Class<?> beanClass = event.getAnnotatedBeanClass().getJavaClass();
        if (!LockedMethodValidator.usesLocked(beanClass)) {
            return;
        }
        lockedClasses.add(beanClass);
        for (String problem : LockedMethodValidator.problems(beanClass)) {
            event.addDefinitionError(new DefinitionException(problem));
        }
        LockedMethodValidator.warnings(beanClass).forEach(LOG::warn);
    }

    /**
     * @return the bean classes with {@code @Locked} methods this extension validated, in every archive of
     *         the application, for the checks that need the configuration at startup
     */
    public Set<Class<?>> lockedClasses() {
        return Set.copyOf(lockedClasses);
    }
}
