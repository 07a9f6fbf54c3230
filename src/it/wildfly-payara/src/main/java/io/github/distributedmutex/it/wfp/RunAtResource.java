package io.github.distributedmutex.it.wfp;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/** Starts and reports the Jakarta Concurrency 3.1 runAt jobs ({@link RunAtJobs}); answers are {@code key=value} lines. */
@Path("runat")
@RequestScoped
@Produces(MediaType.TEXT_PLAIN)
public class RunAtResource {

    @Inject
    AppConfig config;

    @Inject
    RunAtJobs jobs;

    @Inject
    RunAtSchedules schedules;

    /** @return whether this server has runAt, and whether this call started the schedules (only where it has) */
    @POST
    @Path("start")
    public String start() {
        boolean supported = RunAtSchedules.runAtSupported();
        Observation observation = new Observation()
                .put("server", config.serverName())
                .put("requestThread", Thread.currentThread().getName())
                .put("concurrencyApi", RunAtSchedules.concurrencyApi())
                .put("runAtSupported", supported);
        if (supported) {
            observation.put("started", schedules.startOnce(jobs));
        }
        return observation.toText();
    }

    /** @return the state of the schedule that can end ({@link RunAtJobs#lockedFuture()}) */
    @GET
    @Path("status")
    public String status() {
        return new Observation()
                .put("server", config.serverName())
                .put("lockedFuture", schedules.lockedFutureState())
                .toText();
    }
}
