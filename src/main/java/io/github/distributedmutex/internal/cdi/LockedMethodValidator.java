package io.github.distributedmutex.internal.cdi;

import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.Locked;
import io.github.distributedmutex.internal.config.DurationParser;
import io.github.distributedmutex.internal.config.LeaseDuration;
import io.github.distributedmutex.internal.config.ReplicaAcks;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Inject;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * The one validator of {@code @Locked} methods, shared by the portable extension, the build
 * compatible extension and the interceptor: it compiles a method's annotation into a
 * {@link LockedMethod} or explains, naming the method, why it cannot.
 */
public final class LockedMethodValidator {

    /** Mutiny's {@code Uni}, recognised by name. */
    private static final String UNI = "io.smallrye.mutiny.Uni";

    private LockedMethodValidator() {
    }

    /**
     * @param beanClass a bean class
     * @return whether the class or any method it has is annotated {@code @Locked}
     */
    public static boolean usesLocked(Class<?> beanClass) {
        return beanClass.isAnnotationPresent(Locked.class) || !lockedMethods(beanClass).isEmpty();
    }

    /**
     * Validates every {@code @Locked} method of a bean class.
     *
     * @param beanClass the bean class
     * @return one message per problem, each naming the method; empty when all is well
     */
    public static List<String> problems(Class<?> beanClass) {
        List<String> problems = new ArrayList<>();
        for (Method method : lockedMethods(beanClass)) {
            try {
                compile(beanClass, method);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        return problems;
    }

    /**
     * Setups that deploy but defeat the lock in ways it cannot fix (see
     * {@link TimeoutMethods#warnings(Class, Method)}); the extensions log them at deployment.
     *
     * @param beanClass the bean class
     * @return one message per problem, each naming the method; empty when none
     */
    public static List<String> warnings(Class<?> beanClass) {
        List<String> warnings = new ArrayList<>();
        for (Method method : lockedMethods(beanClass)) {
            if (TimeoutMethods.isTimeoutMethod(method)) {
                LockedMethod compiled;
                try {
                    compiled = compile(beanClass, method);
                } catch (IllegalArgumentException reportedByProblems) {
                    continue;
                }
                warnings.addAll(TimeoutMethods.warnings(beanClass, method, compiled));
            }
        }
        return warnings;
    }

    /**
     * The checks that need the configuration, made at startup: a {@code holdAtLeast} on a method
     * whose annotation sets no {@code lease} must not exceed the configured lease, and a {@code lease} on
     * the annotation must fit the replica acknowledgement timeout when that policy is on (at least three times
     * the timeout, {@link ReplicaAcks#checkFits}; the configured lease was checked when the settings were read).
     *
     * @param beanClass       a bean class
     * @param configuredLease {@code distributedmutex.lease}
     * @param replicaAcks     {@code distributedmutex.replica-acks} and its timeout
     * @return one message per method the configuration cannot serve
     */
    public static List<String> problemsWithConfiguredLease(Class<?> beanClass, Duration configuredLease,
                                                           ReplicaAcks replicaAcks) {
        List<String> problems = new ArrayList<>();
        for (Method method : lockedMethods(beanClass)) {
            LockOptions options;
            try {
                options = compile(beanClass, method).options();
            } catch (IllegalArgumentException reportedAtDeployment) {
                continue; // problems() owns that rule; where no extension ran, the call reports it
            }
            if (options.lease().isEmpty()) {
                try {
                    LeaseDuration.checkHoldAtLeast(options.holdAtLeast(), configuredLease, "distributedmutex.lease");
                } catch (IllegalArgumentException e) {
                    problems.add("@Locked on " + describe(method) + ": " + e.getMessage()
                            + "; set a lease on the annotation or raise distributedmutex.lease");
                }
            } else {
                try {
                    replicaAcks.checkFits(options.lease().get(), "lease");
                } catch (IllegalArgumentException e) {
                    problems.add("@Locked on " + describe(method) + ": " + e.getMessage());
                }
            }
        }
        return problems;
    }

    /**
     * @param beanClass the bean class (the default key is derived from it)
     * @param method    an intercepted method
     * @return the compiled method
     * @throws IllegalArgumentException when the annotation cannot be honoured; the message names the method
     */
    static LockedMethod compile(Class<?> beanClass, Method method) {
        Locked locked = effectiveAnnotation(beanClass, method)
                .orElseThrow(() -> new IllegalArgumentException(describe(method) + " is not @Locked"));
        String where = "@Locked on " + describe(method) + ": ";
        boolean timeout = TimeoutMethods.isTimeoutMethod(method);
        if (timeout && (Modifier.isStatic(method.getModifiers()) || Modifier.isPrivate(method.getModifiers()))) {
            throw new IllegalArgumentException(where + "it is a private or static EJB timeout method; the container"
                    + " does not reliably apply CDI interceptors to private methods, so the timer could fire without the"
                    + " lock on some servers; make the timeout method a non-private instance method");
        }
        if (Modifier.isStatic(method.getModifiers()) || Modifier.isPrivate(method.getModifiers())) {
            throw new IllegalArgumentException(where + "CDI does not intercept static or private methods, so the lock"
                    + " would never be taken; make the method a non-private instance method");
        }
        try {
            List<KeyTemplate> keys = keyTemplates(beanClass, method, locked);
            // the templates name the lock in metrics: one series per template, never one per rendered key
            LockOptions options = LockOptions.defaults().withWatchdog(locked.watchdog())
                    .withMetricName(metricName(keys.stream().map(KeyTemplate::source).collect(Collectors.joining(", "))));
            if (!locked.maxWait().isBlank()) {
                options = options.withMaxWait(DurationParser.parse(locked.maxWait()));
            }
            if (!locked.lease().isBlank()) {
                try {
                    options = options.withLease(DurationParser.parse(locked.lease()));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("lease '" + locked.lease() + "': " + e.getMessage(), e);
                }
            }
            options = withHoldAtLeast(options, locked);
            if (locked.maxWait().isBlank() && !options.holdAtLeast().isZero()) {
                // waiting out another node's minimum hold would run the same tick again
                options = options.withMaxWait(Duration.ZERO);
            }
            LockedMethod.Returns returns = returns(method);
            LockedMethod.Asynchronous asynchronous = AsynchronousMethods.of(beanClass, method);
            if (asynchronous == LockedMethod.Asynchronous.RUN_AT && locked.onContention() != Locked.OnContention.SKIP) {
                throw new IllegalArgumentException("it is a Jakarta Concurrency @Asynchronous(runAt = ...) method with"
                        + " onContention = " + locked.onContention() + ": an exception out of an execution ends the"
                        + " schedule of this instance for good, so the first tick another instance holds would stop"
                        + " it; use onContention = SKIP");
            }
            if (returns.uni() && asynchronous != LockedMethod.Asynchronous.NONE) {
                throw new IllegalArgumentException("it returns " + UNI + " and is a Jakarta Concurrency @Asynchronous"
                        + " method: Jakarta Concurrency runs only asynchronous methods returning void, CompletionStage"
                        + " or CompletableFuture, and a Uni does its work when it is subscribed anyway; drop"
                        + " @Asynchronous, or return a CompletionStage");
            }
            if (locked.onContention() == Locked.OnContention.SKIP && returns == LockedMethod.Returns.PRIMITIVE) {
                throw new IllegalArgumentException("onContention = SKIP needs a method that can return nothing, but it"
                        + " returns " + method.getReturnType().getName() + "; return void, a reference type, Optional,"
                        + " a CompletionStage or a Uni");
            }
            return new LockedMethod(keys, options, locked.onContention(), returns, asynchronous);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
    }

    /** The one template of {@code value()} (or the default key), or the several of {@code keys()}. */
    private static List<KeyTemplate> keyTemplates(Class<?> beanClass, Method method, Locked locked) {
        String[] templates = locked.keys();
        if (templates.length == 0) {
            return List.of(locked.value().isEmpty()
                    ? KeyTemplate.constant(beanClass.getName() + "." + method.getName())
                    : KeyTemplate.compile(locked.value(), method));
        }
        if (!locked.value().isEmpty()) {
            throw new IllegalArgumentException("it sets both value = '" + locked.value() + "' and keys = "
                    + Arrays.toString(templates) + "; use value for one key, or keys for several");
        }
        List<KeyTemplate> keys = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < templates.length; i++) {
            if (templates[i] == null || templates[i].isBlank()) {
                throw new IllegalArgumentException("keys[" + i + "] is blank; every key template must name a key");
            }
            if (!seen.add(templates[i])) {
                throw new IllegalArgumentException("keys has the template '" + templates[i] + "' twice");
            }
            keys.add(KeyTemplate.compile(templates[i], method));
        }
        return List.copyOf(keys);
    }

    /** @return the template (or default key) as a metric name: control characters dropped, at most the longest accepted */
    private static String metricName(String template) {
        String name = template.codePoints().filter(c -> !Character.isISOControl(c))
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        if (name.isBlank()) {
            return "unnamed";
        }
        return name.length() <= LockOptions.MAX_METRIC_NAME_LENGTH ? name
                : name.substring(0, LockOptions.MAX_METRIC_NAME_LENGTH);
    }

    private static LockOptions withHoldAtLeast(LockOptions options, Locked locked) {
        if (locked.holdAtLeast().isBlank()) {
            return options;
        }
        LockOptions held;
        try {
            held = options.withHoldAtLeast(DurationParser.parse(locked.holdAtLeast()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("holdAtLeast '" + locked.holdAtLeast() + "': " + e.getMessage(), e);
        }
        // without a lease on the annotation, the adapter checks it against distributedmutex.lease at each call
        held.lease().ifPresent(lease -> LeaseDuration.checkHoldAtLeast(held.holdAtLeast(), lease, "lease"));
        return held;
    }

    private static LockedMethod.Returns returns(Method method) {
        Class<?> type = method.getReturnType();
        if (type == CompletionStage.class || type == CompletableFuture.class) {
            return LockedMethod.Returns.STAGE;
        }
        if (CompletionStage.class.isAssignableFrom(type)) {
            throw new IllegalArgumentException("it returns " + type.getName() + "; asynchronous @Locked methods must"
                    + " declare CompletionStage or CompletableFuture as their return type");
        }
        // by name: Mutiny is optional, and only MutinyLocking may load its classes
        if (type.getName().equals(UNI)) {
            return method.getGenericReturnType() instanceof ParameterizedType uni
                    && uni.getActualTypeArguments()[0] instanceof ParameterizedType item
                    && item.getRawType() == Optional.class
                    ? LockedMethod.Returns.UNI_OF_OPTIONAL : LockedMethod.Returns.UNI;
        }
        if (UnsupportedAsyncTypes.isOrExtends(type, UNI)) {
            throw new IllegalArgumentException("it returns " + type.getName() + " (a subtype of " + UNI + "); @Locked"
                    + " methods returning a Uni must declare " + UNI + " as their return type");
        }
        Optional<String> unsupported = UnsupportedAsyncTypes.find(type);
        if (unsupported.isPresent()) {
            String what = unsupported.get().equals(type.getName()) ? type.getName()
                    : type.getName() + " (a subtype of " + unsupported.get() + ")";
            throw new IllegalArgumentException("it returns " + what + ", which is not supported yet: the lock would be"
                    + " released when the method returns, before the asynchronous or lazy work it returns runs."
                    + " Return a CompletionStage or CompletableFuture (the lock is then held until it completes) or a"
                    + " Mutiny Uni (locked from subscription to termination), or do the work before returning");
        }
        if (type == Optional.class) {
            return LockedMethod.Returns.OPTIONAL;
        }
        return type.isPrimitive() && type != void.class ? LockedMethod.Returns.PRIMITIVE : LockedMethod.Returns.VALUE;
    }

    /** The method-level annotation, else the type-level one for business methods and EJB timeout methods. */
    static Optional<Locked> effectiveAnnotation(Class<?> beanClass, Method method) {
        Locked onMethod = method.getAnnotation(Locked.class);
        if (onMethod != null) {
            return Optional.of(onMethod);
        }
        if (isBusinessMethod(method) || TimeoutMethods.isTimeoutMethod(method)) {
            return Optional.ofNullable(beanClass.getAnnotation(Locked.class));
        }
        return Optional.empty();
    }

    /**
     * Methods a type-level {@code @Locked} applies to: non-private instance methods, except those
     * the container calls without business-method interception (lifecycle callbacks, initializers).
     */
    private static boolean isBusinessMethod(Method method) {
        int modifiers = method.getModifiers();
        return !Modifier.isPrivate(modifiers) && !Modifier.isStatic(modifiers) && !isCompilerGenerated(method)
                && method.getDeclaringClass() != Object.class
                && !method.isAnnotationPresent(PostConstruct.class) && !method.isAnnotationPresent(PreDestroy.class)
                && !method.isAnnotationPresent(Inject.class);
    }

    /** Bridge methods carry copies of the real method's annotations; the container intercepts the real one. */
    private static boolean isCompilerGenerated(Method method) {
        return method.isBridge() || method.isSynthetic();
    }

    /** Methods of the class and its superclasses that carry, or inherit from the type, {@code @Locked}. */
    private static List<Method> lockedMethods(Class<?> beanClass) {
        Map<String, Method> bySignature = new LinkedHashMap<>();
        boolean typeLevel = beanClass.isAnnotationPresent(Locked.class);
        for (Class<?> c = beanClass; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Method method : c.getDeclaredMethods()) {
                if (isCompilerGenerated(method)) {
                    continue;
                }
                boolean annotated = method.isAnnotationPresent(Locked.class);
                // a type-level binding applies to the class's timeout methods too (Interceptors: @AroundTimeout)
                boolean inherited = typeLevel && (isBusinessMethod(method) || TimeoutMethods.isTimeoutMethod(method));
                if (annotated || inherited) {
                    // an override in a subclass hides the superclass method
                    bySignature.putIfAbsent(method.getName() + Arrays.toString(method.getParameterTypes()), method);
                }
            }
        }
        return List.copyOf(bySignature.values());
    }

    /** @return {@code com.acme.Jobs#process(long, String)} */
    static String describe(Method method) {
        return method.getDeclaringClass().getName() + "#" + method.getName() + Arrays.stream(method.getParameterTypes())
                .map(Class::getSimpleName).collect(Collectors.joining(", ", "(", ")"));
    }
}
