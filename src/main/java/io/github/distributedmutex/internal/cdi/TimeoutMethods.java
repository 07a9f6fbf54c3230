package io.github.distributedmutex.internal.cdi;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Recognises EJB timer callbacks and timer objects by class name, so the library needs no EJB API
 * at compile or run time: a timeout method is annotated {@code jakarta.ejb.Schedule},
 * {@code Schedules} or {@code Timeout}, or is {@code ejbTimeout(Timer)} of a
 * {@code jakarta.ejb.TimedObject}. The container calls such methods through
 * {@code @AroundTimeout}. (A timeout method named only in {@code ejb-jar.xml} is not recognised: it
 * is still locked when annotated {@code @Locked}, but a type-level {@code @Locked} then decides
 * by the business-method rule.)
 */
final class TimeoutMethods {

    private static final Set<String> TIMEOUT_ANNOTATIONS = Set.of("jakarta.ejb.Schedule", "jakarta.ejb.Schedules",
            "jakarta.ejb.Timeout");
    private static final Set<String> TIMER_TYPES = Set.of("jakarta.ejb.Timer", "jakarta.ejb.TimerHandle");

    private TimeoutMethods() {
    }

    /** @return whether the container calls {@code method} as an EJB timer callback */
    static boolean isTimeoutMethod(Method method) {
        for (Annotation annotation : method.getDeclaredAnnotations()) {
            if (TIMEOUT_ANNOTATIONS.contains(annotation.annotationType().getName())) {
                return true;
            }
        }
        return method.getName().equals("ejbTimeout") && method.getParameterCount() == 1
                && method.getParameterTypes()[0].getName().equals("jakarta.ejb.Timer")
                && implementsType(method.getDeclaringClass(), "jakarta.ejb.TimedObject");
    }

    /**
     * @param type a declared type
     * @return the EJB timer type it is or implements ({@code jakarta.ejb.Timer} or
     *         {@code jakarta.ejb.TimerHandle}), empty when it is neither
     */
    static Optional<String> timerType(Class<?> type) {
        for (String timerType : TIMER_TYPES) {
            if (implementsType(type, timerType)) {
                return Optional.of(timerType);
            }
        }
        return Optional.empty();
    }

    private static boolean implementsType(Class<?> type, String name) {
        Deque<Class<?>> toVisit = new ArrayDeque<>();
        Set<Class<?>> seen = new HashSet<>();
        toVisit.add(type);
        while (!toVisit.isEmpty()) {
            Class<?> c = toVisit.remove();
            if (!seen.add(c)) {
                continue;
            }
            if (c.getName().equals(name)) {
                return true;
            }
            if (c.getSuperclass() != null) {
                toVisit.add(c.getSuperclass());
            }
            toVisit.addAll(List.of(c.getInterfaces()));
        }
        return false;
    }
}
