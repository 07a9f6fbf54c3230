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
 * A programmatic calendar timer every 4 s, at the second this server is configured with
 * ({@code it.tick.second}: {@code *}{@code /4} on the first server, {@code 1/4}, one second later,
 * on the others), calling a {@code @Timeout} method that is {@code @Locked} with SKIP and a minimum
 * hold of 1.5 s: the later server finds the tick's lock still taken although the first one
 * finished long before, so each tick runs once. {@link OffsetUnheldJob} is the same without the
 * minimum hold.
 */
@Singleton
@Startup
public class OffsetHeldJob {

    /** The job's name in the ledger, the timer's info and its lock key's suffix. */
    public static final String NAME = "offset-held";

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
    @Locked(value = "tick:{timer.info}", onContention = Locked.OnContention.SKIP, maxWait = "0s", lease = "10s",
            holdAtLeast = "1500ms")
    public void tick(Timer timer) {
        ledger.record(NAME);
    }
}
