package io.github.distributedmutex.it.quarkus.scheduled;

import io.github.distributedmutex.Locked;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * A job that every instance fires every 4 s (cron, so both instances fire the same tick);
 * {@code @Locked} with SKIP and a minimum hold makes it run once per tick across all instances.
 * {@code concurrentExecution = SKIP} alone would not: it only skips a firing while the previous one is
 * still running in the same instance (see {@link UnlockedTick}).
 */
@ApplicationScoped
public class LockedTick {

    /** The job's name in the ledger. */
    public static final String NAME = "locked";

    @Inject
    TickLedger ledger;

    @Scheduled(identity = "locked-tick", cron = "*/4 * * * * ?", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    @Locked(value = "tick-job", onContention = Locked.OnContention.SKIP, maxWait = "0s", lease = "10s",
            holdAtLeast = "1500ms")
    public void tick() {
        ledger.record(NAME);
    }
}
