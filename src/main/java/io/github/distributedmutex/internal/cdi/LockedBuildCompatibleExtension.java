package io.github.distributedmutex.internal.cdi;

import io.github.distributedmutex.Locked;
import jakarta.enterprise.inject.build.compatible.spi.BeanInfo;
import jakarta.enterprise.inject.build.compatible.spi.BuildCompatibleExtension;
import jakarta.enterprise.inject.build.compatible.spi.Discovery;
import jakarta.enterprise.inject.build.compatible.spi.Messages;
import jakarta.enterprise.inject.build.compatible.spi.Registration;
import jakarta.enterprise.inject.build.compatible.spi.ScannedClasses;
import jakarta.enterprise.inject.build.compatible.spi.SkipIfPortableExtensionPresent;
import jakarta.enterprise.lang.model.declarations.ClassInfo;

/**
 * Build compatible extension (CDI Lite: Quarkus, and Weld when the portable extension is absent)
 * that validates every {@code @Locked} method of every class bean at build time through
 * {@link LockedMethodValidator}; each problem is reported as an error naming the method, which
 * fails the build, and each warning as a warning. It also adds the beans that need an optional
 * API, when that API is present ({@link OptionalBeans}; Quarkus: at build time). Skipped where {@link LockedPortableExtension} runs.
 */
@SkipIfPortableExtensionPresent(LockedPortableExtension.class)
public class LockedBuildCompatibleExtension implements BuildCompatibleExtension {

    /**
     * Adds the library's beans whose optional API is present (the MicroProfile Health readiness
     * check), by name, so that they are never loaded without it ({@link OptionalBeans}).
     *
     * @param classes the classes to scan besides the application's
     */
    @Discovery
    public void addOptionalBeans(ScannedClasses classes) {
        OptionalBeans.present().forEach(classes::add);
    }

    /**
     * @param bean     a bean of the application
     * @param messages where problems are reported
     */
    @Registration(types = Object.class)
    public void validate(BeanInfo bean, Messages messages) {
        if (!bean.isClassBean() || !mentionsLocked(bean.declaringClass())) {
            return;
        }
        Class<?> beanClass;
        try {
            beanClass = Class.forName(bean.declaringClass().name(), false, classLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            messages.error("@Locked: cannot load bean class " + bean.declaringClass().name() + " to validate it: " + e,
                    bean);
            return;
        }
        for (String problem : LockedMethodValidator.problems(beanClass)) {
            messages.error(problem, bean);
        }
        for (String warning : LockedMethodValidator.warnings(beanClass)) {
            messages.warn(warning, bean);
        }
    }

    private static boolean mentionsLocked(ClassInfo type) {
        for (ClassInfo c = type; c != null; c = c.superClassDeclaration()) {
            if (c.hasAnnotation(Locked.class) || c.methods().stream().anyMatch(m -> m.hasAnnotation(Locked.class))) {
                return true;
            }
        }
        return false;
    }

    private static ClassLoader classLoader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : LockedBuildCompatibleExtension.class.getClassLoader();
    }
}
