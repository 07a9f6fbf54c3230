package io.github.distributedmutex.it.quarkus;

import io.github.distributedmutex.Locked;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Processes jobs; only one caller at a time (in every JVM sharing the Redis) processes a given job id.
 */
@ApplicationScoped
public class JobProcessor {

    @Inject
    JobLedger ledger;

    /**
     * @param jobId        the job; the lock key is {@code job:<jobId>}
     * @param whileLocked  run inside the critical section (lets the test look at Redis meanwhile)
     * @return how often this job has been processed, this time included
     */
    @Locked("job:{jobId}")
    public int process(long jobId, Runnable whileLocked) {
        ledger.enter(jobId);
        try {
            whileLocked.run();
            return ledger.incrementSlowly(jobId);
        } finally {
            ledger.leave(jobId);
        }
    }
}
