package io.github.distributedmutex.internal.cdi;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.ArrayList;
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
     * Advice for a {@code @Locked} timeout method whose setup defeats "once per cluster" in ways the
     * lock cannot fix: no minimum hold (a node firing later runs the tick again), a persistent {@code @Schedule} (a node that was down fires its missed ticks
     * when it starts again, after the others ran them and the lock is free), and a container-managed
     * transaction (it begins before any interceptor runs, so it commits after the lock is released).
     *
     * @param beanClass the bean class
     * @param method    a timeout method of it
     * @param locked    the compiled method
     * @return one message per problem, each naming the method; empty when none
     */
    static List<String> warnings(Class<?> beanClass, Method method, LockedMethod locked) {
        List<String> warnings = new ArrayList<>();
        String where = "@Locked on timeout method " + LockedMethodValidator.describe(method) + ": ";
        if (locked.options().holdAtLeast().isZero()) {
            warnings.add(where + "it has no holdAtLeast: a node whose timer fires a little later than another's finds"
                    + " the lock already released and runs the same tick again. Set holdAtLeast above the spread of"
                    + " the nodes' firings and below the period");
        }
        if (hasPersistentSchedule(method)) {
            warnings.add(where + "its @Schedule is persistent (the default): a node that was down fires the ticks it"
                    + " missed when it starts again, after the other nodes ran them and the lock was freed, so those"
                    + " ticks run twice. Use @Schedule(persistent = false): every node then has its own timer and the"
                    + " lock chooses one");
        }
        if (inContainerTransaction(beanClass, method)) {
            warnings.add(where + "it runs in a container-managed transaction, which begins before the interceptor"
                    + " takes the lock and commits after it is released, so another node may start before this"
                    + " node's changes are committed, and if the commit fails, the container's retry finds the lock"
                    + " still held (holdAtLeast) and the tick is lost. Mark it @TransactionAttribute(NOT_SUPPORTED)"
                    + " and do the transactional work in a @Transactional or REQUIRES_NEW method it calls");
        }
        return warnings;
    }

    private static boolean hasPersistentSchedule(Method method) {
        for (Annotation annotation : method.getDeclaredAnnotations()) {
            String name = annotation.annotationType().getName();
            if (name.equals("jakarta.ejb.Schedule") && Boolean.TRUE.equals(attribute(annotation, "persistent"))) {
                return true;
            }
            if (name.equals("jakarta.ejb.Schedules") && attribute(annotation, "value") instanceof Annotation[] all) {
                for (Annotation schedule : all) {
                    if (Boolean.TRUE.equals(attribute(schedule, "persistent"))) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static boolean inContainerTransaction(Class<?> beanClass, Method method) {
        Object management = attributeOf(beanClass.getAnnotations(), "jakarta.ejb.TransactionManagement");
        if (management != null && management.toString().equals("BEAN")) {
            return false;
        }
        Object attribute = attributeOf(method.getDeclaredAnnotations(), "jakarta.ejb.TransactionAttribute");
        if (attribute == null) {
            // a class-level attribute applies to the methods that class declares (EJB; it is not @Inherited)
            attribute = attributeOf(method.getDeclaringClass().getDeclaredAnnotations(), "jakarta.ejb.TransactionAttribute");
        }
        // absent: REQUIRED, the EJB default
        return attribute == null || !(attribute.toString().equals("NOT_SUPPORTED") || attribute.toString().equals("NEVER"));
    }

    /** @return the {@code value()} of the annotation named {@code annotationName} among {@code annotations}, or null */
    private static Object attributeOf(Annotation[] annotations, String annotationName) {
        for (Annotation annotation : annotations) {
            if (annotation.annotationType().getName().equals(annotationName)) {
                return attribute(annotation, "value");
            }
        }
        return null;
    }

    private static Object attribute(Annotation annotation, String name) {
        try {
            return annotation.annotationType().getMethod(name).invoke(annotation);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot read " + name + "() of " + annotation, e);
        }
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
