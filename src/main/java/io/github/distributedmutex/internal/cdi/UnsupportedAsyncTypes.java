package io.github.distributedmutex.internal.cdi;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Asynchronous or lazy result types that {@code @Locked} does not support yet: a method returning
 * one hands back work that runs (or goes on running) after the method returned, so the
 * interceptor would release the lock before that work runs. Only {@code CompletionStage} and
 * {@code CompletableFuture} are tracked until they complete, and Mutiny's {@code Uni} is locked per
 * subscription ({@link MutinyLocking}); the validator accepts those, declared exactly so, before asking
 * here, and rejects their subtypes ({@link #isOrExtends(Class, String)}).
 *
 * <p>Types are recognised by the names of the return type, its superclasses and its interfaces,
 * so the library needs none of these libraries at compile or run time: {@code Future} (other than
 * {@code CompletableFuture}), {@code Flow.Publisher},
 * Reactive Streams' {@code Publisher} (hence Reactor's {@code Mono}/{@code Flux}, RxJava's
 * {@code Flowable}, Mutiny 1's {@code Multi}), Mutiny's {@code Multi}, Reactor's
 * {@code CorePublisher}, RxJava 2 and 3 ({@code Single}, {@code Maybe}, {@code Completable},
 * {@code Observable}, {@code Flowable} and their {@code *Source} interfaces), Kotlin coroutines'
 * {@code Job}/{@code Deferred}/{@code Flow} and Vert.x's {@code Future}.
 */
final class UnsupportedAsyncTypes {

    private static final Set<String> NAMES = Set.of(
            "java.util.concurrent.Future",
            "java.util.concurrent.Flow$Publisher",
            "org.reactivestreams.Publisher",
            "io.smallrye.mutiny.Multi",
            "reactor.core.publisher.Mono",
            "reactor.core.publisher.Flux",
            "reactor.core.publisher.CorePublisher",
            "io.reactivex.rxjava3.core.Flowable",
            "io.reactivex.rxjava3.core.Observable",
            "io.reactivex.rxjava3.core.ObservableSource",
            "io.reactivex.rxjava3.core.Single",
            "io.reactivex.rxjava3.core.SingleSource",
            "io.reactivex.rxjava3.core.Maybe",
            "io.reactivex.rxjava3.core.MaybeSource",
            "io.reactivex.rxjava3.core.Completable",
            "io.reactivex.rxjava3.core.CompletableSource",
            "io.reactivex.Flowable",
            "io.reactivex.Observable",
            "io.reactivex.ObservableSource",
            "io.reactivex.Single",
            "io.reactivex.SingleSource",
            "io.reactivex.Maybe",
            "io.reactivex.MaybeSource",
            "io.reactivex.Completable",
            "io.reactivex.CompletableSource",
            "kotlinx.coroutines.Job",
            "kotlinx.coroutines.Deferred",
            "kotlinx.coroutines.flow.Flow",
            "io.vertx.core.Future");

    private UnsupportedAsyncTypes() {
    }

    /**
     * @param type a method's return type
     * @return the nearest unsupported asynchronous type that {@code type} is or extends, if any
     */
    static Optional<String> find(Class<?> type) {
        return nearest(type, NAMES::contains);
    }

    /**
     * @param type a method's return type
     * @param name the binary name of a class or interface
     * @return whether {@code type} is the type named {@code name} or a subtype of it
     */
    static boolean isOrExtends(Class<?> type, String name) {
        return nearest(type, name::equals).isPresent();
    }

    private static Optional<String> nearest(Class<?> type, Predicate<String> named) {
        Deque<Class<?>> pending = new ArrayDeque<>();
        pending.add(type);
        Set<Class<?>> seen = new HashSet<>();
        while (!pending.isEmpty()) {
            Class<?> candidate = pending.removeFirst();
            if (!seen.add(candidate)) {
                continue;
            }
            if (named.test(candidate.getName())) {
                return Optional.of(candidate.getName());
            }
            if (candidate.getSuperclass() != null) {
                pending.add(candidate.getSuperclass());
            }
            pending.addAll(Arrays.asList(candidate.getInterfaces()));
        }
        return Optional.empty();
    }
}
