package io.github.distributedmutex.it.wfp;

import jakarta.enterprise.util.Nonbinding;
import jakarta.interceptor.InterceptorBinding;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Binds {@link RunAtProbeInterceptor}, which records every scheduled execution of a runAt job. */
@InterceptorBinding
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface RunAtProbe {

    /** @return the job's name, which is also its lock key */
    @Nonbinding
    String value();
}
