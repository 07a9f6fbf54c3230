package io.github.distributedmutex.it.wfp;

import jakarta.annotation.Priority;
import jakarta.annotation.Resource;
import jakarta.inject.Inject;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;
import jakarta.transaction.TransactionSynchronizationRegistry;

/**
 * Sits at {@code PLATFORM_BEFORE + 150}: inside the {@code @Locked} interceptor (+100) and outside
 * {@code @Transactional} (+200). Before the call it records that the lock key already exists and no
 * transaction has begun; after the call that the transaction is over and the lock key still exists.
 * The {@link Observation} is found among the method's parameters.
 */
@OrderProbe
@Interceptor
@Priority(Interceptor.Priority.PLATFORM_BEFORE + 150)
public class OrderProbeInterceptor {

    @Inject
    AppConfig config;

    @Resource
    TransactionSynchronizationRegistry registry;

    /** Records the state around the transactional call. */
    @AroundInvoke
    public Object probe(InvocationContext context) throws Exception {
        Observation observation = null;
        for (Object parameter : context.getParameters()) {
            if (parameter instanceof Observation) {
                observation = (Observation) parameter;
            }
        }
        if (observation == null) {
            return context.proceed();
        }
        String lockKey = observation.get("lockKey");
        try (Resp redis = config.redis()) {
            observation.put("probeBefore.lockKeyExists", redis.exists(lockKey));
            observation.put("probeBefore.txStatus", Observation.status(registry.getTransactionStatus()));
        }
        Object result = context.proceed();
        try (Resp redis = config.redis()) {
            observation.put("probeAfter.txStatus", Observation.status(registry.getTransactionStatus()));
            observation.put("probeAfter.lockKeyExists", redis.exists(lockKey));
        }
        return result;
    }
}
