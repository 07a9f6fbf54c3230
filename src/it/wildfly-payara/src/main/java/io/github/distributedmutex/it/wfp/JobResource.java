package io.github.distributedmutex.it.wfp;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.servlet.ServletContext;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.naming.InitialContext;

/** The endpoints the test calls; every answer is {@code key=value} lines. */
@Path("/")
@RequestScoped
@Produces(MediaType.TEXT_PLAIN)
public class JobResource {

    @Inject
    AppConfig config;

    @Inject
    JobService jobs;

    @Inject
    Adapter adapter;

    @Context
    ServletContext servletContext;

    /** @return who answers: readiness probe of the test */
    @GET
    @Path("ping")
    public String ping() {
        return new Observation()
                .put("server", config.serverName())
                .put("serverInfo", servletContext.getServerInfo())
                .put("javaVersion", System.getProperty("java.version"))
                .put("keyPrefix", config.keyPrefix())
                .toText();
    }

    /**
     * Runs the {@code @Locked @Transactional} job method once.
     *
     * @param jobId       the job
     * @param pauseMillis the simulated work
     * @return what the call observed
     */
    @POST
    @Path("jobs/{jobId}")
    public String runJob(@PathParam("jobId") String jobId, @QueryParam("pauseMs") @DefaultValue("100") long pauseMillis)
            throws InterruptedException {
        Observation observation = new Observation()
                .put("server", config.serverName())
                .put("jobId", jobId)
                .put("lockKey", config.lockKey("job:" + jobId));
        try (Resp redis = config.redis()) {
            observation.put("requestMicros", redis.timeMicros());
        }
        jobs.work(jobId, pauseMillis, observation);
        try (Resp redis = config.redis()) {
            observation.put("returnedMicros", redis.timeMicros());
        }
        return observation.toText();
    }

    /**
     * Where the stage of {@link Lease#closeAsync()} completes: the library hands it to the server's
     * default {@code ManagedExecutorService}, never to a Redisson I/O thread.
     *
     * @param key the lock key
     * @return the thread that ran a dependent action of the release, and whether the executor the
     *         library looks up exists under its standard name here
     */
    @POST
    @Path("completion-thread/{key}")
    public String completionThread(@PathParam("key") String key) throws Exception {
        Observation observation = new Observation().put("server", config.serverName()).put("key", key);
        Lease lease = adapter.lock(key);
        String thread = lease.closeAsync().thenApply(ignored -> Thread.currentThread().getName())
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        observation.put("dependentThread", thread);
        observation.put("requestThread", Thread.currentThread().getName());
        Object executor = new InitialContext().lookup("java:comp/DefaultManagedExecutorService");
        observation.put("managedExecutor", executor instanceof Executor);
        return observation.toText();
    }

    /**
     * Takes a lease through the injected {@link Adapter}, reports its fencing token, releases it.
     *
     * @param key the lock key
     * @return the token and what Redis showed while and after the lease was held
     */
    @POST
    @Path("tokens/{key}")
    public String token(@PathParam("key") String key) {
        Observation observation = new Observation().put("server", config.serverName()).put("key", key);
        String lockKey = config.lockKey(key);
        Lease held;
        try (Resp redis = config.redis(); Lease lease = adapter.lock(key)) {
            held = lease;
            observation.put("fencingToken", lease.fencingToken());
            observation.put("leaseKey", lease.key());
            observation.put("isHeld", lease.isHeld());
            observation.put("lockKeyExists", redis.exists(lockKey));
        }
        try (Resp redis = config.redis()) {
            observation.put("isHeldAfterClose", held.isHeld());
            observation.put("lockKeyExistsAfterClose", redis.exists(lockKey));
        }
        return observation.toText();
    }
}
