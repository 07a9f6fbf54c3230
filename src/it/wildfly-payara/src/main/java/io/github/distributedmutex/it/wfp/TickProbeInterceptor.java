package io.github.distributedmutex.it.wfp;

import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.AroundTimeout;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;
import java.util.List;

/**
 * Sits at {@code PLATFORM_BEFORE + 50}: after the container's asynchronous interceptor (Payara and Open Liberty:
 * +5) and before {@code @Locked} (+100), so it runs for every scheduled execution of a runAt job, on the executor's
 * thread, and for every firing of an EJB timer ({@code @AroundTimeout}), and sees whether the job's lock is taken
 * before the execution tries it. Records one line per execution:
 * {@code <tick> <server> <micros> <lock key existed> <inside the starting call> <thread>}, the time and the lock
 * state read atomically. Were the container's interceptor after this one, the starting call itself would be
 * recorded, inside the starting call.
 */
@TickProbe("")
@Interceptor
@Priority(Interceptor.Priority.PLATFORM_BEFORE + 50)
public class TickProbeInterceptor {

    private static final String TIME_AND_EXISTS =
            "local t = redis.call('TIME') return {t[1], t[2], redis.call('EXISTS', KEYS[1])}";

    @Inject
    AppConfig config;

    /** Records the attempt, then proceeds. */
    @AroundInvoke
    public Object probe(InvocationContext context) throws Exception {
        return record(context);
    }

    /** The same for an EJB timer's firing. */
    @AroundTimeout
    public Object probeTimeout(InvocationContext context) throws Exception {
        return record(context);
    }

    private Object record(InvocationContext context) throws Exception {
        TickProbe probe = context.getMethod().getAnnotation(TickProbe.class);
        String job = probe.value();
        String lockKey = probe.lockKey().isEmpty() ? job : probe.lockKey();
        try (Resp redis = config.redis()) {
            List<?> reply = (List<?>) redis.call("EVAL", TIME_AND_EXISTS, "1", config.lockKey(lockKey));
            long micros = Long.parseLong((String) reply.get(0)) * 1_000_000L + Long.parseLong((String) reply.get(1));
            boolean locked = (Long) reply.get(2) == 1L;
            long tick = micros / 1_000_000L / TickLedger.PERIOD_SECONDS;
            redis.call("RPUSH", DataKeys.tickAttempts(job), tick + " " + config.serverName() + " " + micros + " "
                    + locked + " " + RunAtSchedules.insideStartingCall() + " " + Thread.currentThread().getName());
        }
        return context.proceed();
    }
}
