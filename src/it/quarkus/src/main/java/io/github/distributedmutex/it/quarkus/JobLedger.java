package io.github.distributedmutex.it.quarkus;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What happened inside {@link JobProcessor#process}: a per-job counter updated with a deliberately
 * non-atomic read, pause, write (a lost update shows that two callers were inside at once), and the
 * highest number of callers seen inside at the same time, per job.
 */
@ApplicationScoped
public class JobLedger {

    private final Map<Long, Integer> counts = new ConcurrentHashMap<>();
    private final Map<Long, AtomicInteger> inside = new ConcurrentHashMap<>();
    private final Map<Long, AtomicInteger> maxInside = new ConcurrentHashMap<>();

    void enter(long jobId) {
        int now = inside.computeIfAbsent(jobId, id -> new AtomicInteger()).incrementAndGet();
        maxInside.computeIfAbsent(jobId, id -> new AtomicInteger()).accumulateAndGet(now, Math::max);
    }

    void leave(long jobId) {
        inside.get(jobId).decrementAndGet();
    }

    int incrementSlowly(long jobId) {
        int before = counts.getOrDefault(jobId, 0);
        try {
            Thread.sleep(5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted inside the critical section", e);
        }
        counts.put(jobId, before + 1);
        return before + 1;
    }

    /** @return how often the job was processed */
    public int count(long jobId) {
        return counts.getOrDefault(jobId, 0);
    }

    /** @return the most callers that were inside {@code process(jobId, ...)} at the same time */
    public int maxInside(long jobId) {
        AtomicInteger max = maxInside.get(jobId);
        return max == null ? 0 : max.get();
    }
}
