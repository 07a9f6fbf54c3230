package io.github.distributedmutex.it.quarkus.scheduled;

import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The control: the same job, the same cron and {@code concurrentExecution = SKIP}, without {@code @Locked}.
 * Every instance runs every tick: Quarkus' SKIP only prevents overlapping executions within one instance.
 */
@ApplicationScoped
public class UnlockedTick {

    /** The job's name in the ledger. */
    public static final String NAME = "unlocked";

    @Inject
    TickLedger ledger;

    @Scheduled(identity = "unlocked-tick", cron = "*/4 * * * * ?", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    public void tick() {
        ledger.record(NAME);
    }
}
