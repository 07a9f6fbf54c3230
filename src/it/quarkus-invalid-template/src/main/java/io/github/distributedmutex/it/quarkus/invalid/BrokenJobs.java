package io.github.distributedmutex.it.quarkus.invalid;

import io.github.distributedmutex.Locked;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * A mistake the library must catch at build time: the template names {@code job}, the parameter is
 * {@code jobId}. (The startup observer keeps Quarkus from removing the bean as unused.)
 */
@ApplicationScoped
public class BrokenJobs {

    void onStart(@Observes StartupEvent event) {
        // a real application would schedule process(...) here
    }

    @Locked("job:{job}")
    public void process(long jobId) {
        // never built
    }
}
