package io.github.distributedmutex.internal.cdi;

import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.spi.DefinitionException;
import jakarta.enterprise.inject.spi.Extension;
import jakarta.enterprise.inject.spi.ProcessManagedBean;

/**
 * Portable extension (CDI Full: Weld, OpenWebBeans, WildFly, Payara, Liberty) that validates
 * every {@code @Locked} method of every managed bean when the application deploys, through
 * {@link LockedMethodValidator}; each problem becomes a definition error that names the method.
 */
public class LockedPortableExtension implements Extension {

    <T> void validate(@Observes ProcessManagedBean<T> event) {
        Class<?> beanClass = event.getAnnotatedBeanClass().getJavaClass();
        if (!LockedMethodValidator.usesLocked(beanClass)) {
            return;
        }
        for (String problem : LockedMethodValidator.problems(beanClass)) {
            event.addDefinitionError(new DefinitionException(problem));
        }
    }
}
