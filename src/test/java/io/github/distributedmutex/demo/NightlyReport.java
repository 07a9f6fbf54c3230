package io.github.distributedmutex.demo;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The programmatic style: an injected {@link Adapter} and a {@link Lease} in try-with-resources.
 * Every instance tries to produce the nightly report at the same moment; {@code tryLock} with a
 * zero wait lets exactly one of them do it while the others move on at once. The report is
 * published with the lease's fencing token, and the store refuses a token lower than the last one
 * it accepted: that is what keeps a holder that lost its lease (a long GC pause, say) from
 * overwriting a newer result.
 */
@ApplicationScoped
public class NightlyReport {

    /** The lock key of the nightly report. */
    public static final String LOCK_KEY = "report:nightly";

    @Inject
    Adapter adapter;

    @Inject
    DemoStore store;

    /**
     * Produces the nightly report if no other instance is doing it or has done it.
     *
     * @param instance this instance's name, for the history
     * @return the history record of this attempt
     */
    public HistoryRecord runIfDue(String instance) {
        long requested = store.redisTimeMicros();
        long calledAt = System.nanoTime();
        Optional<Lease> maybeLease = adapter.tryLock(LOCK_KEY, Duration.ZERO, Duration.ofSeconds(30));
        long waitMicros = (System.nanoTime() - calledAt) / 1_000;
        if (maybeLease.isEmpty()) {
            return new HistoryRecord(instance, LOCK_KEY, 0, HistoryRecord.Outcome.BUSY, -1, requested, 0, 0, waitMicros);
        }
        try (Lease lease = maybeLease.get()) {
            long start = store.redisTimeMicros();
            HistoryRecord.Outcome outcome = HistoryRecord.Outcome.ALREADY_DONE;
            if (store.reportToken().isEmpty()) {
                JobProcessor.simulateWork(ThreadLocalRandom.current().nextLong(100, 151));
                if (!store.publishReport(lease.fencingToken(), instance)) {
                    throw new IllegalStateException("The report store refused fencing token " + lease.fencingToken());
                }
                outcome = HistoryRecord.Outcome.RAN;
            }
            long end = store.redisTimeMicros();
            return new HistoryRecord(instance, LOCK_KEY, 0, outcome, lease.fencingToken(), requested, start, end,
                    waitMicros);
        }
    }
}
