package io.github.distributedmutex.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Two instances, two threads each, lock one set of keys with {@code lockAll} round after round, half of the threads
 * giving the keys in the reverse order: asserts that every round of every thread ran (no deadlock within the wait)
 * and that no two threads were ever inside together (no overlap).
 */
public final class OppositeOrders {

    private OppositeOrders() {
    }

    /**
     * @param first   one instance
     * @param second  another instance
     * @param keys    the set, in the order half of the threads give it (the others give it reversed)
     * @param rounds  how many times each of the four threads locks the set
     * @param maxWait the wait of every {@code lockAll}
     * @param timeout how long each thread may take for all its rounds
     */
    public static void neitherDeadlockNorOverlap(Adapter first, Adapter second, List<String> keys, int rounds,
                                                 Duration maxWait, Duration timeout) throws Exception {
        List<String> reversed = new ArrayList<>(keys);
        Collections.reverse(reversed);
        ExecutorService threads = Executors.newFixedThreadPool(4);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger sections = new AtomicInteger();
        try {
            List<Future<?>> workers = new ArrayList<>();
            int worker = 0;
            for (Adapter adapter : List.of(first, second, first, second)) {
                List<String> order = worker++ % 2 == 0 ? keys : reversed;
                workers.add(threads.submit(() -> {
                    for (int round = 0; round < rounds; round++) {
                        try (Lease lease = adapter.lockAll(order, LockOptions.defaults().withMaxWait(maxWait))) {
                            if (inside.incrementAndGet() != 1) {
                                overlaps.incrementAndGet();
                            }
                            Thread.yield(); // widen the window a missing exclusion would need
                            inside.decrementAndGet();
                            sections.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : workers) {
                future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(sections.get()).as("sections run").isEqualTo(4 * rounds);
        assertThat(overlaps.get()).as("sections that overlapped another").isZero();
    }
}
