package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.Locked;
import jakarta.enterprise.context.ApplicationScoped;

/** The {@code @Locked} bean of the uncontended-cycle benchmark: an empty method under a template key. */
@ApplicationScoped
public class LockedWork {

    /**
     * @param id the job id, part of the lock key
     * @return {@code id}, so the call cannot be optimised away
     */
    @Locked("bench:{id}")
    public long work(long id) {
        return id;
    }
}
