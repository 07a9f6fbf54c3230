package io.github.distributedmutex.it.wfp;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Where the timer jobs record their runs, in Redis, for the test: per job, a hash from the tick
 * (Redis {@code TIME} in seconds, divided by the 4 s period: every server's firing of one tick,
 * offset ones included, lands in the same bucket as long as it is less than 3 s late, the offset included) to the number
 * of runs, and a list of {@code <tick> <server> <micros>} lines for the report.
 */
@ApplicationScoped
public class TickLedger {

    /**
     * The timers' period. 4 s, not 2 s: with the jobs' 1.5 s minimum hold, a 2 s period lost a tick whenever a
     * firing came more than 0.5 s late (the late run's hold covered the next tick's firings), which a loaded 2-core
     * machine did (all servers 0.7 s late at once, load average 11); 4 s leaves 2.5 s.
     */
    public static final long PERIOD_SECONDS = 4;

    /** How long a job's work takes: it finishes long before the other server fires the same tick. */
    static final long WORK_MILLIS = 50;

    @Inject
    AppConfig config;

    /** Records one run of {@code job} for the current tick, then "works" for {@link #WORK_MILLIS}. */
    public void record(String job) {
        try (Resp redis = config.redis()) {
            long micros = redis.timeMicros();
            long tick = micros / 1_000_000L / PERIOD_SECONDS;
            redis.call("HINCRBY", DataKeys.tickRuns(job), Long.toString(tick), "1");
            redis.call("RPUSH", DataKeys.tickLog(job), tick + " " + config.serverName() + " " + micros);
        }
        try {
            Thread.sleep(WORK_MILLIS); // the job's work
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
