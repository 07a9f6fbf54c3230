package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.benchmark.MemoryProbe;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.testing.TestAdapters;
import io.github.distributedmutex.testing.TestRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * No per-key state survives a release: after 100,000 distinct keys were locked and released,
 * through both styles, the adapter holds nothing per key and Redis holds no key of ours.
 *
 * <p>The adapter's own count ({@code perKeyState}) covers only the structures it knows of. The independent
 * check is the retained heap, as the benchmark's memory probe measures it ({@link MemoryProbe#retainedHeap()}):
 * the same work on 5,000 other keys runs first, so that what is made once (pools, thread caches, tables at their
 * working size) is in the baseline; after the 100,000 keys the heap must not have grown by more than
 * {@link #RETAINED_BYTES_PER_KEY_LIMIT} bytes per key. Anything kept per key (a key string alone is about 60
 * bytes) exceeds that several times; the measured figure is around zero.
 */
@SlowTest
class MemoryTest {

    private static final int KEYS = 100_000;
    private static final int THREADS = 8;
    private static final int WARM_UP_KEYS = 5_000;
    /**
     * 1.6 MB over 100,000 keys: room for what a shared test JVM does meanwhile (other clients' buffers, timers),
     * far below what any per-key entry would retain (a cache of key strings: about 100 bytes per key).
     */
    static final double RETAINED_BYTES_PER_KEY_LIMIT = 16;

    private final TestAdapters adapters = TestAdapters.onSharedRedis();

    @AfterEach
    void tearDown() throws Exception {
        adapters.close();
    }

    @Test
    void nothingIsKeptPerKeyAfterRelease() throws Exception {
        RedisAdapter adapter = adapters.newInstance();
        RedisAdapter contender = adapters.newInstance();
        // some contention, so waiter queues are created and must disappear too
        try (Lease busy = contender.lock("key-0")) {
            assertThat(adapter.tryLock("key-0", Duration.ofMillis(50))).isEmpty();
        }
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        long before;
        long after;
        try {
            lockAndRelease(adapter, pool, "warm-up-", WARM_UP_KEYS);
            before = MemoryProbe.retainedHeap();
            lockAndRelease(adapter, pool, "key-", KEYS);
            after = MemoryProbe.retainedHeap();
        } finally {
            pool.shutdownNow();
        }
        double retainedPerKey = (double) (after - before) / KEYS;
        System.out.printf(Locale.ROOT, "MemoryTest: retained heap %d bytes before, %d after %d keys: %.2f bytes/key%n",
                before, after, KEYS, retainedPerKey);
        assertThat(retainedPerKey).as("heap retained per key after %d distinct keys were locked and released (%d bytes"
                + " before, %d after)", KEYS, before, after).isLessThan(RETAINED_BYTES_PER_KEY_LIMIT);
        assertThat(adapter.perKeyState()).as("holds, leases, waiter queues and watchdog tasks").isZero();
        assertThat(adapter.heldLocks()).isZero();
        assertThat(RedisCommands.callForList(TestRedis.address(), "KEYS", adapters.settings().keyPrefix() + "*"))
                .as("Redis keys left behind").isEmpty();
    }

    /** Locks and releases {@code keys} distinct keys on the pool's threads, half thread-owned, half leases. */
    private static void lockAndRelease(RedisAdapter adapter, ExecutorService pool, String stem, int keys)
            throws Exception {
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int offset = t;
            workers.add(pool.submit(() -> {
                for (int i = offset; i < keys; i += THREADS) {
                    if (i % 2 == 0) {
                        adapter.acquire(stem + i);
                        adapter.release(stem + i);
                    } else {
                        adapter.lock(stem + i, LockOptions.defaults().withWatchdog(i % 3 == 0)).close();
                    }
                }
            }));
        }
        for (Future<?> worker : workers) {
            worker.get(5, TimeUnit.MINUTES);
        }
    }
}
