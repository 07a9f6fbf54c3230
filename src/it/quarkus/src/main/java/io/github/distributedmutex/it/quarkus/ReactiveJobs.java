package io.github.distributedmutex.it.quarkus;

import io.github.distributedmutex.Locked;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.ContextNotActiveException;
import jakarta.inject.Inject;

/**
 * A {@code @Locked} method returning a Mutiny {@code Uni}: the lock is taken when the {@code Uni} is subscribed and
 * held until it terminates.
 */
@ApplicationScoped
public class ReactiveJobs {

    @Inject
    ReactiveRuns runs;

    @Inject
    RequestTag tag;

    /**
     * @param name the lock name; the key is {@code reactive:<name>}
     * @param run  the run id: the returned {@code Uni} emits what the test completes the run's gate with
     * @return the run's {@code Uni}
     */
    @Locked(value = "reactive:{name}", maxWait = "30s")
    public Uni<String> hold(String name, String run) {
        runs.enter(name, run);
        // where the body runs: on the request's Vert.x duplicated context, with its request context
        Context context = Vertx.currentContext();
        String requestTag;
        try {
            requestTag = tag.get();
        } catch (ContextNotActiveException e) {
            requestTag = "no request context";
        }
        runs.bodyRan(run, context != null && VertxContext.isDuplicatedContext(context), requestTag);
        return Uni.createFrom().completionStage(() -> runs.gate(run).thenApply(value -> value))
                .onCancellation().invoke(() -> runs.markCancelled(run))
                .onTermination().invoke(() -> runs.leave(name));
    }
}
