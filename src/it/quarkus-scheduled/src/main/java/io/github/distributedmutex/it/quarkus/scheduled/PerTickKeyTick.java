package io.github.distributedmutex.it.quarkus.scheduled;

import io.github.distributedmutex.Locked;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.scheduler.ScheduledExecution;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The same job with a key per tick: the execution's scheduled fire time (the cron's tick, the same
 * {@code Instant} in every instance) is part of the key, so the minimum hold can be longer than the
 * period without blocking the next tick, which has another key. With a key per job, a 6 s hold on a
 * 4 s period would skip ticks. Its runs are counted under their scheduled tick (not the time they ran), so a
 * firing that a busy machine delays is still counted where it belongs.
 */
@ApplicationScoped
public class PerTickKeyTick {

    /** The job's name in the ledger. */
    public static final String NAME = "per-tick-key";

    @Inject
    TickLedger ledger;

    @Scheduled(identity = "per-tick-key-tick", cron = "*/4 * * * * ?",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    @Locked(value = "tick-job:{execution.scheduledFireTime}", onContention = Locked.OnContention.SKIP, lease = "10s",
            holdAtLeast = "6s")
    public void tick(ScheduledExecution execution) {
        ledger.record(NAME, execution.getScheduledFireTime().getEpochSecond() / TickLedger.PERIOD_SECONDS);
    }
}
