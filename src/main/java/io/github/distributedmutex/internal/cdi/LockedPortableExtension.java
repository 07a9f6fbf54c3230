package io.github.distributedmutex.internal.cdi;

import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.spi.DefinitionException;
import jakarta.enterprise.inject.spi.Extension;
import jakarta.enterprise.inject.spi.ProcessManagedBean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Portable extension (CDI Full: Weld, OpenWebBeans, WildFly, Payara, Liberty) that validates
 * every {@code @Locked} method of every managed bean when the application deploys, through
 * {@link LockedMethodValidator}; each problem becomes a definition error that names the method,
 * and each warning (a setup that deploys but defeats the lock) is logged at WARN.
 */
public class LockedPortableExtension implements Extension {

    private static final Logger LOG = LoggerFactory.getLogger(LockedPortableExtension.class);

    <T> void validate(@Observes ProcessManagedBean<T> event) {
        Class<?> beanClass = event.getAnnotatedBeanClass().getJavaClass();
        if (!LockedMethodValidator.usesLocked(beanClass)) {
            return;
        }
        for (String problem : LockedMethodValidator.problems(beanClass)) {
            event.addDefinitionError(new DefinitionException(problem));
        }
        LockedMethodValidator.warnings(beanClass).forEach(LOG::warn);
    }
}
