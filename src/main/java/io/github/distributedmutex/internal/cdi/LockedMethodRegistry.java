package io.github.distributedmutex.internal.cdi;

import jakarta.enterprise.context.ApplicationScoped;
import java.lang.reflect.Method;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The compiled {@code @Locked} methods of the running application, compiled on first use of each
 * (bean class, method). The extensions already validated them at deployment, so compiling here
 * cannot fail for a deployed application; the cache is bounded by the application's code.
 */
@ApplicationScoped
public class LockedMethodRegistry {

    private final ConcurrentHashMap<MethodKey, LockedMethod> methods = new ConcurrentHashMap<>();

    LockedMethod get(Class<?> beanClass, Method method) {
        return methods.computeIfAbsent(new MethodKey(beanClass, method),
                key -> LockedMethodValidator.compile(key.beanClass(), key.method()));
    }

    private record MethodKey(Class<?> beanClass, Method method) {
    }
}
