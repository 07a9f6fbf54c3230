package io.github.distributedmutex.it.quarkus.scheduled;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Where the scheduled jobs record their runs, in Redis, for the test: per job, a hash from the tick
 * (Redis {@code TIME} in seconds divided by the 4 s period: both instances' firings of one tick land in
 * the same bucket as long as they are less than 4 s late) to the number of runs, and a list of
 * {@code <tick> <instance> <micros>} lines for the report. At startup, the instance adds its name to a
 * set, so that the test knows when both instances are up.
 */
@ApplicationScoped
public class TickLedger {

    /** The jobs' period. */
    public static final long PERIOD_SECONDS = 4;

    /** How long a job's work takes: it finishes long before the next tick. */
    static final long WORK_MILLIS = 50;

    @ConfigProperty(name = "distributedmutex.redis.address")
    String address;

    @ConfigProperty(name = "it.instance.name")
    String instance;

    @ConfigProperty(name = "it.run")
    String run;

    void started(@Observes StartupEvent event) {
        Resp.call(address, "SADD", DataKeys.started(run), instance);
    }

    /** Records one run of {@code job} for the current tick, then "works" for {@link #WORK_MILLIS}. */
    void record(String job) {
        record(job, Resp.timeMicros(address) / 1_000_000L / PERIOD_SECONDS);
    }

    /** Records one run of {@code job} for {@code tick}, then "works" for {@link #WORK_MILLIS}. */
    void record(String job, long tick) {
        long micros = Resp.timeMicros(address);
        Resp.call(address, "HINCRBY", DataKeys.tickRuns(run, job), Long.toString(tick), "1");
        Resp.call(address, "RPUSH", DataKeys.tickLog(run, job), tick + " " + instance + " " + micros);
        try {
            Thread.sleep(WORK_MILLIS); // the job's work
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
