package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.RedisCommands;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import org.redisson.api.RedissonClient;

/**
 * The memory part, in a JVM of its own (started by {@link BenchmarkMain} through the test fixture
 * {@code JvmProcess}, which runs it with the serial collector, so that {@link System#gc()} is a full
 * collection and the heap in use after it is what is retained).
 *
 * <ol>
 *   <li><b>Per held lock.</b> Holds {@code benchmark.memory.held} locks at once and reports the
 *       retained heap per lock, for the library's {@code Lease}, its thread-owned
 *       {@code acquire}, and raw {@code RLock} objects kept for their {@code unlock()} (the baseline).
 *       The key strings are made before the baseline is taken: they belong to the application.</li>
 *   <li><b>After release.</b> Locks and releases {@code benchmark.memory.keys} distinct keys on
 *       {@code benchmark.memory.threads} threads (half thread-owned, half leases) and reports the
 *       retained heap before and after, the library's own count of per-key state, and the keys
 *       left in Redis. The same work on a fiftieth of the keys runs first, so that what is made
 *       once (thread caches, pools, tables at their working size) is in the baseline.</li>
 * </ol>
 * Prints one {@code MEMORY name=value} line per figure, then {@code DONE}.
 */
public final class MemoryProbe {

    static final String HELD = "benchmark.memory.held";
    static final String KEYS = "benchmark.memory.keys";
    static final String THREADS = "benchmark.memory.threads";

    private MemoryProbe() {
    }

    /**
     * @param args none; see the class documentation for the system properties
     */
    public static void main(String[] args) throws Exception {
        int held = Integer.getInteger(HELD);
        int keys = Integer.getInteger(KEYS);
        int threads = Integer.getInteger(THREADS);
        String address = BenchmarkRedis.address();
        String prefix = BenchmarkRedis.keyPrefix();
        RedissonClient client = BenchmarkRedis.newClient(address);
        RedisAdapter adapter = BenchmarkRedis.newAdapter(client, address, prefix + "lib:");
        int status = 0;
        try {
            LockStrategy lease = LockStrategy.of(Contender.LEASE, client, adapter, prefix);
            LockStrategy acquire = LockStrategy.of(Contender.ADAPTER, client, adapter, prefix);
            LockStrategy rlock = LockStrategy.of(Contender.RLOCK, client, adapter, prefix);
            warmUp(adapter, List.of(lease, acquire, rlock), Math.min(2_000, held));

            String[] names = new String[held];
            for (int i = 0; i < held; i++) {
                names[i] = "held:" + i;
            }
            List<Object> handles = new ArrayList<>(held);
            perHeldLock(Contender.RLOCK, rlock, names, handles);
            perHeldLock(Contender.LEASE, lease, names, handles);
            perHeldLock(Contender.ADAPTER, acquire, names, handles);

            afterRelease(adapter, keys, threads);
            List<String> left = RedisCommands.callForList(address, "KEYS", prefix + "*");
            report("redis-keys-left", left.size());
        } catch (Throwable e) {
            System.out.println("FAILED: " + e);
            e.printStackTrace(System.out);
            status = 1;
        } finally {
            adapter.close();
            BenchmarkRedis.shutdown(client);
        }
        System.out.println("DONE");
        System.out.flush();
        System.exit(status);
    }

    private static void warmUp(RedisAdapter adapter, List<LockStrategy> strategies, int rounds)
            throws InterruptedException {
        for (int round = 0; round < rounds; round++) {
            for (LockStrategy strategy : strategies) {
                String key = "warm:" + round;
                strategy.unlock(key, strategy.lock(key));
            }
        }
        // once through the contended path too, so its classes and the subscription exist before any baseline
        Lease busy = adapter.lock("warm:contended");
        try {
            Thread other = new Thread(() -> adapter.tryLock("warm:contended", Duration.ofMillis(20)));
            other.start();
            other.join();
        } finally {
            busy.close();
        }
    }

    private static void perHeldLock(Contender contender, LockStrategy strategy, String[] names, List<Object> handles)
            throws InterruptedException {
        String[] keys = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            keys[i] = contender.id() + ":" + names[i];
        }
        long before = retainedHeap();
        for (String key : keys) {
            Object handle = strategy.lock(key);
            if (handle == null) {
                throw new IllegalStateException("uncontended lock not acquired: " + key);
            }
            handles.add(handle);
        }
        long holding = retainedHeap();
        for (int i = 0; i < keys.length; i++) {
            strategy.unlock(keys[i], handles.get(i));
        }
        handles.clear();
        long after = retainedHeap();
        report("held-" + contender.id() + "-count", keys.length);
        report("held-" + contender.id() + "-bytes-per-lock", (double) (holding - before) / keys.length);
        report("held-" + contender.id() + "-released-delta-bytes", after - before);
    }

    private static void afterRelease(RedisAdapter adapter, int keys, int threads) throws InterruptedException {
        // the same work once on fewer keys first, so that what is made once (threads' caches, pools, tables at
        // their working size) exists before the baseline and only what stays per key shows in the difference
        lockAndRelease(adapter, "warm-k:", Math.max(5_000, keys / 50), threads);
        long before = retainedHeap();
        double seconds = lockAndRelease(adapter, "k:", keys, threads);
        long after = retainedHeap();
        report("keys", keys);
        report("keys-seconds", seconds);
        report("heap-before-bytes", before);
        report("heap-after-bytes", after);
        report("per-key-state", adapter.perKeyState());
        report("held-locks", adapter.heldLocks());
    }

    /** @return the seconds it took to lock and release {@code keys} distinct keys, half thread-owned, half leases */
    private static double lockAndRelease(RedisAdapter adapter, String prefix, int keys, int threads)
            throws InterruptedException {
        AtomicLong next = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        long started = System.nanoTime();
        long progressStep = Math.max(1, keys / 10);
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                long i;
                while ((i = next.getAndIncrement()) < keys) {
                    String key = prefix + i;
                    if (i % 2 == 0) {
                        adapter.acquire(key);
                        adapter.release(key);
                    } else {
                        adapter.lock(key).close();
                    }
                    if (i > 0 && i % progressStep == 0) {
                        System.out.printf(Locale.ROOT, "%s: %d of %d keys locked and released%n", prefix, i, keys);
                    }
                }
            }, "memory-" + t);
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        return (System.nanoTime() - started) / 1e9;
    }

    /**
     * @return the heap in use after full collections: the smallest of several readings (also used by
     *         {@code MemoryTest})
     */
    public static long retainedHeap() throws InterruptedException {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 6; i++) {
            System.gc();
            // lets the collector and reference processing settle between readings (measurement, not synchronisation)
            Thread.sleep(25);
            if (i >= 2) {
                least = Math.min(least, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
            }
        }
        return least;
    }

    private static void report(String name, double value) {
        System.out.println("MEMORY " + name + "=" + (value == Math.rint(value) ? Long.toString((long) value)
                : String.format(Locale.ROOT, "%.2f", value)));
    }
}
