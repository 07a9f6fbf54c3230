package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.TestAdapters;
import io.github.distributedmutex.testing.TestRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two "application instances" (adapters on separate Redisson clients) and several threads each
 * contend for one key: critical sections never overlap, no update of a non-atomic Redis counter
 * is lost, and fencing tokens strictly increase in the order the sections ran.
 */
class MutualExclusionTest {

    private static final int THREADS_PER_INSTANCE = 4;
    private static final int ROUNDS = 25;

    private final TestAdapters adapters = TestAdapters.onSharedRedis().withMaxWait(Duration.ofSeconds(60));
    private final ExecutorService pool = Executors.newFixedThreadPool(2 * THREADS_PER_INSTANCE);

    @AfterEach
    void tearDown() throws Exception {
        pool.shutdownNow();
        adapters.close();
    }

    @Test
    void twoInstancesNeverRunTheCriticalSectionTogether() throws Exception {
        Adapter first = adapters.newInstance();
        Adapter second = adapters.newInstance();
        String counterKey = adapters.settings().keyPrefix() + "counter";
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        List<Long> tokensInOrder = Collections.synchronizedList(new ArrayList<>());
        CyclicBarrier start = new CyclicBarrier(2 * THREADS_PER_INSTANCE);

        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < 2 * THREADS_PER_INSTANCE; t++) {
            Adapter adapter = t % 2 == 0 ? first : second;
            workers.add(pool.submit(() -> {
                start.await();
                for (int round = 0; round < ROUNDS; round++) {
                    try (Lease lease = adapter.lock("shared")) {
                        maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        tokensInOrder.add(lease.fencingToken());
                        // deliberately non-atomic read-modify-write: an overlap loses an update
                        String value = RedisCommands.call(TestRedis.address(), "GET", counterKey);
                        long next = (value == null ? 0 : Long.parseLong(value)) + 1;
                        RedisCommands.call(TestRedis.address(), "SET", counterKey, Long.toString(next));
                        inside.decrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get(5, TimeUnit.MINUTES);
        }

        int sections = 2 * THREADS_PER_INSTANCE * ROUNDS;
        assertThat(maxInside.get()).as("most holders inside at once").isEqualTo(1);
        assertThat(RedisCommands.call(TestRedis.address(), "GET", counterKey)).isEqualTo(Integer.toString(sections));
        assertThat(tokensInOrder).hasSize(sections);
        for (int i = 1; i < tokensInOrder.size(); i++) {
            assertThat(tokensInOrder.get(i)).as("token of section %d", i).isGreaterThan(tokensInOrder.get(i - 1));
        }
    }

    @Test
    void differentKeysAreHeldAtTheSameTime() throws Exception {
        Adapter first = adapters.newInstance();
        Adapter second = adapters.newInstance();
        try (Lease a = first.lock("tenant:1"); Lease b = second.tryLock("tenant:2", Duration.ZERO).orElseThrow()) {
            assertThat(a.isHeld()).isTrue();
            assertThat(b.isHeld()).isTrue();
            assertThat(second.tryLock("tenant:1", Duration.ZERO)).isEmpty();
        }
    }

    @Test
    void fencingTokensIncreaseAcrossInstances() {
        Adapter first = adapters.newInstance();
        Adapter second = adapters.newInstance();
        long previous = 0;
        for (int i = 0; i < 20; i++) {
            Adapter adapter = i % 2 == 0 ? first : second;
            try (Lease lease = adapter.lock("fenced")) {
                assertThat(lease.fencingToken()).isGreaterThan(previous);
                previous = lease.fencingToken();
            }
        }
    }
}
