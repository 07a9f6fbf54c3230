package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.internal.config.Fairness;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.redisson.api.RBucket;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * One JVM of a load run (started by {@link LoadRun} through the test fixture {@code JvmProcess}):
 * one Redisson client, the library's adapter on it (one per {@link Contender#fairness fairness} the
 * phases need), and every {@link LockStrategy} on the same client. Runs the phases it is given in
 * order; before each, it meets the other worker JVMs at a barrier in Redis so that all start the
 * phase at the same instant. Writes what each thread saw
 * to {@code <phase>-w<index>.tsv} in the output folder:
 * <pre>
 * T thread acquired failed errors
 * A thread waitNanos acquiredAtNanos releasingAtNanos     (one line per counted acquisition)
 * F thread waitNanos                                      (one line per counted failed acquisition)
 * U thread acquiredAtNanos releasingAtNanos               (hot key: one line per acquisition not counted)
 * </pre>
 * Times are {@link System#nanoTime()}, which on Linux is {@code CLOCK_MONOTONIC}, shared by all
 * processes of the machine; the driver uses that to check that no two critical sections on the hot
 * key overlapped, across JVMs, and to put the critical sections of all JVMs in the order they held
 * the lock. The {@code U} lines (warm-up, and calls made before the measured window that returned
 * in it) complete that order: without them, two runs of one JVM could seem to be one.
 *
 * <p>System properties: {@value #INDEX}, {@value #PROCESSES}, {@value #PHASES} ({@link LoadPhase#encodeAll}),
 * {@value #OUT}, and the Redis address and key prefix of {@link BenchmarkRedis}. Prints
 * {@code DONE} and exits with 0 when every phase ran, 1 otherwise.
 */
public final class LoadWorker {

    static final String INDEX = "benchmark.worker.index";
    static final String PROCESSES = "benchmark.worker.processes";
    static final String PHASES = "benchmark.worker.phases";
    static final String OUT = "benchmark.worker.out";
    /** The start of the line on which a worker names the JVM options it runs with. */
    static final String JVM_FLAGS = "JVM flags: ";

    /** How far ahead of the last arrival at a barrier the phase starts. */
    private static final long START_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long BARRIER_TIMEOUT_NANOS = TimeUnit.MINUTES.toNanos(5);

    private LoadWorker() {
    }

    /**
     * @param args none; see the class documentation for the system properties
     */
    public static void main(String[] args) {
        int index = Integer.getInteger(INDEX);
        int processes = Integer.getInteger(PROCESSES);
        List<LoadPhase> phases = LoadPhase.decodeAll(System.getProperty(PHASES));
        Path out = Path.of(System.getProperty(OUT));
        String address = BenchmarkRedis.address();
        String prefix = BenchmarkRedis.keyPrefix();
        int status = 0;
        RedissonClient client = BenchmarkRedis.newClient(address);
        Map<Fairness, RedisAdapter> adapters = new LinkedHashMap<>();
        adapters.put(Fairness.BARGING, BenchmarkRedis.newAdapter(client, address, prefix + "lib:"));
        try {
            for (LoadPhase phase : phases) {
                Fairness fairness = phase.fairness();
                if (fairness != null && !adapters.containsKey(fairness)) {
                    adapters.put(fairness, BenchmarkRedis.newAdapter(client, address, prefix + "lib:", fairness));
                }
            }
            System.out.println("READY worker " + index + " of " + processes);
            System.out.println(JVM_FLAGS + String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()
                    .stream().filter(argument -> argument.startsWith("-X")).toList()));
            for (LoadPhase phase : phases) {
                long start = barrier(client, prefix + "barrier:" + phase.name(), processes);
                RedisAdapter adapter = adapters.get(phase.fairness() == null ? Fairness.BARGING : phase.fairness());
                ThreadRecord[] records = run(phase, LockStrategy.of(phase.contender(), client, adapter, prefix), index,
                        start);
                write(out.resolve(phase.name() + "-w" + index + ".tsv"), records);
                System.out.println("PHASE " + phase + ": " + Arrays.stream(records).mapToLong(r -> r.acquired).sum()
                        + " acquisitions, " + Arrays.stream(records).mapToLong(r -> r.failed).sum() + " failed, "
                        + Arrays.stream(records).mapToLong(r -> r.errors).sum() + " errors");
            }
        } catch (Throwable e) {
            System.out.println("FAILED: " + e);
            e.printStackTrace(System.out);
            status = 1;
        } finally {
            adapters.values().forEach(RedisAdapter::close);
            BenchmarkRedis.shutdown(client);
        }
        System.out.println("DONE");
        System.out.flush();
        System.exit(status);
    }

    /** @return the {@link System#nanoTime()} at which all workers start the phase */
    private static long barrier(RedissonClient client, String name, int processes) throws InterruptedException {
        RBucket<String> start = client.getBucket(name + ":start", StringCodec.INSTANCE);
        if (client.getAtomicLong(name + ":arrived").incrementAndGet() == processes) {
            start.set(Long.toString(System.nanoTime() + START_DELAY_NANOS));
        }
        long deadline = System.nanoTime() + BARRIER_TIMEOUT_NANOS;
        String value;
        while ((value = start.get()) == null) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the other workers did not reach barrier " + name);
            }
            // polling a barrier counter in Redis shared by separate JVMs (harness bookkeeping)
            Thread.sleep(2);
        }
        long startNanos = Long.parseLong(value);
        if (Math.abs(startNanos - System.nanoTime()) > TimeUnit.SECONDS.toNanos(10)) {
            // System.nanoTime() is not shared between processes on this platform: start now
            System.out.println("WARNING: nanoTime is not machine-wide here; phases start unsynchronised"
                    + " and the overlap check is meaningless");
            return System.nanoTime() + START_DELAY_NANOS;
        }
        return startNanos;
    }

    private static ThreadRecord[] run(LoadPhase phase, LockStrategy strategy, int worker, long start)
            throws InterruptedException {
        long measureStart = start + TimeUnit.MILLISECONDS.toNanos(phase.warmupMillis());
        long measureEnd = measureStart + TimeUnit.MILLISECONDS.toNanos(phase.measureMillis());
        long inside = TimeUnit.MICROSECONDS.toNanos(phase.insideMicros());
        long outside = TimeUnit.MICROSECONDS.toNanos(phase.outsideMicros());
        ThreadRecord[] records = new ThreadRecord[phase.threads()];
        List<Thread> threads = new ArrayList<>();
        AtomicBoolean errorShown = new AtomicBoolean();
        for (int t = 0; t < phase.threads(); t++) {
            ThreadRecord rec = new ThreadRecord(t);
            records[t] = rec;
            String keyBase = phase.hotKey() ? "hot:" + phase.name() : "d:" + phase.name() + ":" + worker + ":" + t + ":";
            Thread thread = new Thread(() -> {
                pauseUntil(start);
                long cycle = 0;
                while (true) {
                    long asked = System.nanoTime();
                    if (asked - measureEnd >= 0) {
                        return;
                    }
                    boolean counted = asked - measureStart >= 0;
                    String key = phase.hotKey() ? keyBase : keyBase + cycle++;
                    try {
                        Object handle = strategy.lock(key);
                        long acquiredAt = System.nanoTime();
                        if (handle == null) {
                            if (counted) {
                                rec.failed(acquiredAt - asked);
                            }
                        } else {
                            pause(inside);
                            long releasingAt = System.nanoTime();
                            strategy.unlock(key, handle);
                            if (counted) {
                                rec.acquired(acquiredAt - asked, acquiredAt, releasingAt);
                            } else if (phase.hotKey()) {
                                rec.uncounted(acquiredAt, releasingAt);
                            }
                        }
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        if (counted) {
                            rec.errors++;
                        }
                        if (errorShown.compareAndSet(false, true)) {
                            System.out.println("ERROR in phase " + phase.name() + " (first of its kind): " + e);
                        }
                        pause(TimeUnit.MILLISECONDS.toNanos(10));
                    }
                    pause(outside);
                }
            }, "load-" + phase.name() + "-" + t);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        return records;
    }

    private static void pause(long nanos) {
        if (nanos > 0) {
            pauseUntil(System.nanoTime() + nanos);
        }
    }

    private static void pauseUntil(long deadline) {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }

    private static void write(Path file, ThreadRecord[] records) throws IOException {
        Files.createDirectories(file.getParent());
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII)) {
            for (ThreadRecord r : records) {
                out.write("T " + r.thread + " " + r.acquired + " " + r.failed + " " + r.errors + "\n");
            }
            for (ThreadRecord r : records) {
                for (int i = 0; i < r.acquired; i++) {
                    out.write("A " + r.thread + " " + r.waits[i] + " " + r.acquiredAt[i] + " " + r.releasingAt[i] + "\n");
                }
                for (int i = 0; i < r.failed; i++) {
                    out.write("F " + r.thread + " " + r.failedWaits[i] + "\n");
                }
                for (int i = 0; i < r.uncounted; i++) {
                    out.write("U " + r.thread + " " + r.uncountedAt[2 * i] + " " + r.uncountedAt[2 * i + 1] + "\n");
                }
            }
        }
    }

    /** What one thread saw in the measured window; written by that thread only. */
    private static final class ThreadRecord {
        final int thread;
        int acquired;
        int failed;
        int errors;
        int uncounted;
        long[] waits = new long[1024];
        long[] acquiredAt = new long[1024];
        long[] releasingAt = new long[1024];
        long[] failedWaits = new long[16];
        /** {acquiredAt, releasingAt} of each acquisition outside the measured window, in pairs. */
        long[] uncountedAt = new long[256];

        ThreadRecord(int thread) {
            this.thread = thread;
        }

        void acquired(long wait, long at, long releasing) {
            if (acquired == waits.length) {
                waits = Arrays.copyOf(waits, acquired * 2);
                acquiredAt = Arrays.copyOf(acquiredAt, acquired * 2);
                releasingAt = Arrays.copyOf(releasingAt, acquired * 2);
            }
            waits[acquired] = wait;
            acquiredAt[acquired] = at;
            releasingAt[acquired] = releasing;
            acquired++;
        }

        void uncounted(long at, long releasing) {
            if (2 * uncounted == uncountedAt.length) {
                uncountedAt = Arrays.copyOf(uncountedAt, uncountedAt.length * 2);
            }
            uncountedAt[2 * uncounted] = at;
            uncountedAt[2 * uncounted + 1] = releasing;
            uncounted++;
        }

        void failed(long wait) {
            if (failed == failedWaits.length) {
                failedWaits = Arrays.copyOf(failedWaits, failed * 2);
            }
            failedWaits[failed++] = wait;
        }
    }
}
