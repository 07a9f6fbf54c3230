package io.github.distributedmutex.it.quarkus.scheduled;

import io.github.distributedmutex.Locked;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.scheduler.ScheduledExecution;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The same job with a key per tick: the execution's scheduled fire time (the cron's tick, the same
 * {@code Instant} in every instance) is part of the key, so the minimum hold can be longer than the
 * period without blocking the next tick, which has another key. With a key per job, a 5 s hold on a
 * 2 s period would skip ticks.
 */
@ApplicationScoped
public class PerTickKeyTick {

    /** The job's name in the ledger. */
    public static final String NAME = "per-tick-key";

    @Inject
    TickLedger ledger;

    @Scheduled(identity = "per-tick-key-tick", cron = "*/2 * * * * ?",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    @Locked(value = "tick-job:{execution.scheduledFireTime}", onContention = Locked.OnContention.SKIP, lease = "10s",
            holdAtLeast = "5s")
    public void tick(ScheduledExecution execution) {
        ledger.record(NAME);
    }
}
