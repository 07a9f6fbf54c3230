package io.github.distributedmutex.it.wfp;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Locked;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Synchronization;
import jakarta.transaction.TransactionSynchronizationRegistry;
import jakarta.transaction.Transactional;

/**
 * The bean under test: its method is both {@code @Locked} and {@code @Transactional}. It does a
 * non-atomic read-modify-write of a counter in Redis (which loses updates unless calls for one job
 * are mutually exclusive across all servers) and records, with Redis's clock, when it entered and
 * when its transaction had completed.
 */
@ApplicationScoped
public class JobService {

    @Inject
    AppConfig config;

    @Inject
    Adapter adapter;

    @Resource
    TransactionSynchronizationRegistry registry;

    /**
     * @param jobId       the job; the lock key is {@code job:<jobId>}
     * @param pauseMillis how long the simulated work takes
     * @param observation where the observations go
     * @return the observation
     */
    @Locked("job:{jobId}")
    @OrderProbe
    @Transactional
    public Observation work(String jobId, long pauseMillis, Observation observation) throws InterruptedException {
        String lockKey = observation.get("lockKey");
        String counterKey = DataKeys.counter(jobId);
        String holdersKey = DataKeys.holders(jobId);
        try (Resp redis = config.redis()) {
            observation.put("entryMicros", redis.timeMicros());
            observation.put("holdersOnEntry", redis.incr(holdersKey));
            observation.put("inside.txStatus", Observation.status(registry.getTransactionStatus()));
            observation.put("inside.txKey", registry.getTransactionKey());
            observation.put("inside.lockKeyExists", redis.exists(lockKey));
            observation.put("inside.fencingToken", adapter.fencingToken("job:" + jobId).orElse(-1L));

            // a deliberately non-atomic read-modify-write
            long counter = redis.getLong(counterKey);
            Thread.sleep(pauseMillis);
            redis.call("SET", counterKey, Long.toString(counter + 1));
            observation.put("counterWritten", counter + 1);
        }
        registry.registerInterposedSynchronization(new Synchronization() {
            @Override
            public void beforeCompletion() {
                try (Resp redis = config.redis()) {
                    observation.put("beforeCompletion.txStatus", Observation.status(registry.getTransactionStatus()));
                    observation.put("beforeCompletion.lockKeyExists", redis.exists(lockKey));
                }
            }

            @Override
            public void afterCompletion(int status) {
                try (Resp redis = config.redis()) {
                    observation.put("afterCompletion.status", Observation.status(status));
                    observation.put("afterCompletion.lockKeyExists", redis.exists(lockKey));
                    observation.put("holdersOnExit", redis.decr(holdersKey));
                    observation.put("exitMicros", redis.timeMicros());
                }
            }
        });
        return observation;
    }
}
