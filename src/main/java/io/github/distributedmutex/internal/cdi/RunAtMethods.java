package io.github.distributedmutex.internal.cdi;

import java.lang.annotation.Annotation;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * Recognises Jakarta Concurrency 3.1 scheduled asynchronous methods,
 * {@code @jakarta.enterprise.concurrent.Asynchronous(runAt = @Schedule(...))} on the method or, when the method
 * has no {@code @Asynchronous} of its own, on its class, by class name, so the library needs no Concurrency API
 * at compile or run time. Under Concurrency 3.0 (EE 10), whose {@code Asynchronous} has no {@code runAt}, no
 * method is one.
 *
 * <p>The container's asynchronous interceptor runs before {@code @Locked} (Payara: priority
 * {@code PLATFORM_BEFORE + 5}) and calls the rest of the chain at every scheduled time, so the lock is taken
 * per execution. It reads what an execution returns: {@code null} goes on with the schedule, anything else ends
 * it. A skipped execution must therefore return {@code null}, not a completed stage.
 */
final class RunAtMethods {

    private static final String ASYNCHRONOUS = "jakarta.enterprise.concurrent.Asynchronous";

    private RunAtMethods() {
    }

    /**
     * @param beanClass the bean class
     * @param method    a method of it
     * @return whether the container runs {@code method} on a {@code runAt} schedule
     */
    static boolean isRunAtMethod(Class<?> beanClass, Method method) {
        Annotation asynchronous = asynchronous(method.getAnnotations());
        if (asynchronous == null) {
            asynchronous = asynchronous(beanClass.getAnnotations());
        }
        return asynchronous != null && hasSchedules(asynchronous);
    }

    private static Annotation asynchronous(Annotation[] annotations) {
        for (Annotation annotation : annotations) {
            if (annotation.annotationType().getName().equals(ASYNCHRONOUS)) {
                return annotation;
            }
        }
        return null;
    }

    private static boolean hasSchedules(Annotation asynchronous) {
        Method runAt;
        try {
            runAt = asynchronous.annotationType().getMethod("runAt");
        } catch (NoSuchMethodException concurrency30) {
            return false;
        }
        try {
            return Array.getLength(runAt.invoke(asynchronous)) > 0;
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read runAt of " + asynchronous, e);
        }
    }
}
