package io.github.distributedmutex.internal.cdi;

import java.lang.annotation.Annotation;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/**
 * Recognises Jakarta Concurrency {@code @jakarta.enterprise.concurrent.Asynchronous} methods (on the method or,
 * when the method has no {@code @Asynchronous} of its own, on its class) by class name, so the library needs no
 * Concurrency API at compile or run time, and tells one-off ones from 3.1's scheduled ones
 * ({@code runAt = @Schedule(...)}; under Concurrency 3.0, whose {@code Asynchronous} has no {@code runAt}, none is).
 *
 * <p>The container's asynchronous interceptor runs before {@code @Locked} (Payara: priority
 * {@code PLATFORM_BEFORE + 5}) and calls the rest of the chain on its executor, once or at every scheduled time,
 * so the lock is taken per execution. For a scheduled method it reads what an execution returns: {@code null}
 * goes on with the schedule, anything else, or an exception, ends it.
 */
final class AsynchronousMethods {

    private static final String ASYNCHRONOUS = "jakarta.enterprise.concurrent.Asynchronous";

    private AsynchronousMethods() {
    }

    /**
     * @param beanClass the bean class
     * @param method    a method of it
     * @return how a Jakarta Concurrency container runs {@code method}, if it does
     */
    static LockedMethod.Asynchronous of(Class<?> beanClass, Method method) {
        Annotation asynchronous = asynchronous(method.getAnnotations());
        if (asynchronous == null) {
            asynchronous = asynchronous(beanClass.getAnnotations());
        }
        if (asynchronous == null) {
            return LockedMethod.Asynchronous.NONE;
        }
        return hasSchedules(asynchronous) ? LockedMethod.Asynchronous.RUN_AT : LockedMethod.Asynchronous.ONCE;
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
