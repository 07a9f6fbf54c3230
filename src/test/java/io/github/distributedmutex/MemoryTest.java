package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.testing.TestAdapters;
import io.github.distributedmutex.testing.TestRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * No per-key state survives a release: after 100,000 distinct keys were locked and released,
 * through both styles, the adapter holds nothing per key and Redis holds no key of ours.
 */
@SlowTest
class MemoryTest {

    private static final int KEYS = 100_000;
    private static final int THREADS = 8;

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
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int offset = t;
                workers.add(pool.submit(() -> {
                    for (int i = offset; i < KEYS; i += THREADS) {
                        if (i % 2 == 0) {
                            adapter.acquire("key-" + i);
                            adapter.release("key-" + i);
                        } else {
                            adapter.lock("key-" + i, LockOptions.defaults().withWatchdog(i % 3 == 0)).close();
                        }
                    }
                }));
            }
            for (Future<?> worker : workers) {
                worker.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(adapter.perKeyState()).as("holds, leases, waiter queues and watchdog tasks").isZero();
        assertThat(adapter.heldLocks()).isZero();
        assertThat(RedisCommands.callForList(TestRedis.address(), "KEYS", adapters.settings().keyPrefix() + "*"))
                .as("Redis keys left behind").isEmpty();
    }
}
