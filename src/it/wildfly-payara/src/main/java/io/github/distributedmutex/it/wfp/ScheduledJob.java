package io.github.distributedmutex.it.wfp;

import io.github.distributedmutex.Locked;
import jakarta.ejb.Schedule;
import jakarta.ejb.Singleton;
import jakarta.ejb.Timer;
import jakarta.inject.Inject;

/**
 * A {@code @Schedule} job that every server fires every 4 s at the same second; {@code @Locked} with
 * SKIP and a minimum hold makes it run once per tick across all servers. The container calls it
 * through {@code @AroundTimeout}: without the interceptor's {@code @AroundTimeout} every server
 * would run every tick.
 */
@Singleton
public class ScheduledJob {

    /** The job's name in the ledger, the timer's info and (through {@code {timer.info}}) its lock key. */
    public static final String NAME = "scheduled";

    @Inject
    TickLedger ledger;

    /** @param timer the firing timer; its info names the lock */
    @Schedule(second = "*/4", minute = "*", hour = "*", persistent = false, info = NAME)
    @TickProbe(value = NAME, lockKey = "tick:" + NAME)
    @Locked(value = "tick:{timer.info}", onContention = Locked.OnContention.SKIP, maxWait = "0s", lease = "10s",
            holdAtLeast = "1500ms")
    public void tick(Timer timer) {
        ledger.record(NAME);
    }
}
