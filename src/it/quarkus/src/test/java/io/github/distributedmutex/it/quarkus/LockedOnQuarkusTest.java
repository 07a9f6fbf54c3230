package io.github.distributedmutex.it.quarkus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.internal.key.LockKey;
import io.github.distributedmutex.testing.RedisCommands;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * distributed-mutex on Quarkus (ArC, CDI Lite): {@code @Inject Adapter} and {@code @Locked} with a
 * parameter template on an {@code @ApplicationScoped} bean, against a real Redis, configured through
 * Quarkus' configuration (application.properties and the test resource).
 */
@QuarkusTest
@WithTestResource(RedisTestResource.class)
class LockedOnQuarkusTest {

    @Inject
    JobProcessor processor;

    @Inject
    JobLedger ledger;

    @Inject
    Adapter adapter;

    @ConfigProperty(name = "distributedmutex.redis.address")
    String redisAddress;

    @ConfigProperty(name = "distributedmutex.key-prefix")
    String keyPrefix;

    @Test
    void callsForTheSameJobRunOneAtATime() throws Exception {
        long jobId = uniqueJobId();
        int threads = 6;
        int callsPerThread = 5;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> calls = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                calls.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < callsPerThread; i++) {
                        processor.process(jobId, () -> { });
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> call : calls) {
                call.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("[LockedOnQuarkusTest] job %d: %d sections, at most %d caller(s) inside at once%n",
                jobId, ledger.count(jobId), ledger.maxInside(jobId));
        assertEquals(threads * callsPerThread, ledger.count(jobId),
                "a lost update means two callers were inside at once");
        assertEquals(1, ledger.maxInside(jobId), "callers inside process(" + jobId + ") at the same time");
        assertEquals("0", exists("job:" + jobId), "the lock is released after the last call");
    }

    @Test
    void callsForDifferentJobsRunAtTheSameTime() throws Exception {
        // each call waits inside its section for the other one: only possible if the two keys differ
        long first = uniqueJobId();
        long second = uniqueJobId();
        CountDownLatch bothInside = new CountDownLatch(2);
        AtomicBoolean met = new AtomicBoolean(true);
        Runnable meet = () -> {
            bothInside.countDown();
            try {
                met.compareAndSet(true, bothInside.await(20, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                met.set(false);
            }
        };
        CompletableFuture<Integer> a = CompletableFuture.supplyAsync(() -> processor.process(first, meet));
        CompletableFuture<Integer> b = CompletableFuture.supplyAsync(() -> processor.process(second, meet));
        assertEquals(1, a.get(60, TimeUnit.SECONDS));
        assertEquals(1, b.get(60, TimeUnit.SECONDS));
        assertTrue(met.get(), "job:" + first + " and job:" + second + " were held at the same time");
    }

    @Test
    void theLockIsAKeyInRedisWhileTheMethodRunsAndOnlyThen() {
        long jobId = uniqueJobId();
        String key = "job:" + jobId;
        AtomicReference<String> existsInside = new AtomicReference<>();
        AtomicReference<Optional<Lease>> otherThread = new AtomicReference<>();
        processor.process(jobId, () -> {
            existsInside.set(exists(key));
            // another owner (another thread) does not get the key while the method holds it
            otherThread.set(CompletableFuture.supplyAsync(() -> adapter.tryLock(key, Duration.ofMillis(300))).join());
        });
        otherThread.get().ifPresent(Lease::close);

        assertEquals("1", existsInside.get(), "Redis key " + redisKey(key) + " while process(" + jobId + ") runs");
        assertTrue(otherThread.get().isEmpty(), "another thread got " + key + " while the @Locked method held it");
        assertEquals("0", exists(key), "Redis key " + redisKey(key) + " after process(" + jobId + ") returned");
        try (Lease lease = adapter.lock(key)) {
            assertTrue(lease.isHeld(), "the key is free again");
        }
    }

    @Test
    void theInjectedAdapterHandsOutLeasesWithIncreasingFencingTokens() {
        String key = "report:" + uniqueJobId();
        long first;
        long second;
        try (Lease lease = adapter.lock(key)) {
            assertEquals("1", exists(key), "Redis key " + redisKey(key) + " while the lease is held");
            first = lease.fencingToken();
        }
        assertEquals("0", exists(key));
        try (Lease lease = adapter.lock(key)) {
            second = lease.fencingToken();
        }
        assertTrue(second > first, "fencing tokens " + first + " then " + second);
    }

    private String redisKey(String key) {
        return LockKey.of(key, keyPrefix).redisKey();
    }

    private String exists(String key) {
        return RedisCommands.call(redisAddress, "EXISTS", redisKey(key));
    }

    private static long uniqueJobId() {
        return ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
    }
}
