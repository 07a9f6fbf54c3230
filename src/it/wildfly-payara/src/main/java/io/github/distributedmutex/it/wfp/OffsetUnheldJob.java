package io.github.distributedmutex.it.wfp;

import io.github.distributedmutex.Locked;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.Resource;
import jakarta.ejb.ScheduleExpression;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.Timeout;
import jakarta.ejb.Timer;
import jakarta.ejb.TimerConfig;
import jakarta.ejb.TimerService;
import jakarta.inject.Inject;

/**
 * The control for {@link OffsetHeldJob}: the same offset timers and the same {@code @Locked} with
 * SKIP, but without a minimum hold. The first server's run releases the lock after about 50 ms, so
 * the server that fires the same tick one second later finds it free and runs the tick again: the
 * double runs that {@code holdAtLeast} prevents.
 */
@Singleton
@Startup
public class OffsetUnheldJob {

    /** The job's name in the ledger, the timer's info and its lock key's suffix. */
    public static final String NAME = "offset-unheld";

    @Resource
    TimerService timers;

    @Inject
    AppConfig config;

    @Inject
    TickLedger ledger;

    @PostConstruct
    void schedule() {
        timers.createCalendarTimer(new ScheduleExpression().second(config.tickSecond()).minute("*").hour("*"),
                new TimerConfig(NAME, false));
    }

    /** @param timer the firing timer; its info names the lock */
    @Timeout
    @Locked(value = "tick:{timer.info}", onContention = Locked.OnContention.SKIP, maxWait = "0s", lease = "10s")
    public void tick(Timer timer) {
        ledger.record(NAME);
    }
}
