package io.github.distributedmutex.it.quarkus;

import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * Reactive endpoints (Quarkus REST): methods returning {@code Uni} run on the Vert.x event loop, which must never
 * block, also while a request waits for its lock.
 */
@Path("/reactive")
@Produces(MediaType.TEXT_PLAIN)
public class ReactiveJobResource {

    @Inject
    ReactiveJobs jobs;

    @Inject
    ReactiveRuns runs;

    @Inject
    RequestTag tag;

    /**
     * @param name the lock name
     * @param run  the run id
     * @return what the test completes the run's gate with, once the run held {@code reactive:<name>}
     */
    @GET
    @Path("/{name}/{run}")
    public Uni<String> hold(@PathParam("name") String name, @PathParam("run") String run) {
        tag.set(run);
        return jobs.hold(name, run).onSubscription()
                .invoke(() -> runs.subscribed(run, Context.isOnEventLoopThread()));
    }

    /** @return {@code pong}, from the event loop */
    @GET
    @Path("/ping")
    public Uni<String> ping() {
        return Uni.createFrom().item("pong");
    }
}
