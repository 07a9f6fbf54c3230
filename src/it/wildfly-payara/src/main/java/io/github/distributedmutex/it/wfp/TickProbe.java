package io.github.distributedmutex.it.wfp;

import jakarta.enterprise.util.Nonbinding;
import jakarta.interceptor.InterceptorBinding;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Binds {@link TickProbeInterceptor}, which records every execution of a scheduled job (runAt or EJB timer), before its lock. */
@InterceptorBinding
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface TickProbe {

    /** @return the job's name, which is also its lock key unless {@link #lockKey()} says otherwise */
    @Nonbinding
    String value();

    /** @return the job's lock key (without the prefix); empty for {@link #value()} */
    @Nonbinding
    String lockKey() default "";
}
