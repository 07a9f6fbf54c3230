package io.github.distributedmutex.faults;

import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockNotAcquiredException;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.internal.config.Fairness;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import io.github.distributedmutex.testing.RedisCommands;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * A JVM full of waiters, for {@link ManyWaitersTest}: one application instance (one adapter on its
 * own Redisson client) whose many threads each call {@link io.github.distributedmutex.Adapter#lock(String,
 * LockOptions)} once, with a bounded wait, on a key the test holds.
 *
 * <p>Modes ({@value #MODE}):
 * <ul>
 *   <li>{@code hot}: every thread waits on the same key ({@value #KEY}). The holder's critical
 *   section checks, through raw Redis commands on two counters outside the library's keys, that it
 *   is alone ({@code INCR inside} must answer 1) and counts itself with a deliberately non-atomic
 *   {@code GET}/{@code SET} (a lost update would show as a count lower than the successes).</li>
 *   <li>{@code own}: thread {@code i} waits on its own key {@code <key>-<first + i>}.</li>
 * </ul>
 *
 * <p>Protocol, one output line each: {@code READY} once connected to Redis; the threads start when
 * the test pushes a go token ({@code BLPOP} on {@value #GO_KEY}, so both JVMs start together);
 * {@code WAITING entered=N keysWithWaiters=K} once every thread called {@code lock} and (in
 * {@code own} mode) every thread is registered as a waiter; then, once every thread finished,
 * {@code RESULT acquired=.. notAcquired=.. errors=.. maxWaitMs=.. minNotAcquiredWaitMs=.. maxInside=..
 * minToken=.. stuck=..} and {@code TOKENS t1,t2,...}. An unexpected exception prints
 * {@code ERROR-DETAIL} with its stack trace. Exits with 0, or 2 when a thread is stuck.
 *
 * <p>Threads get a 256 KiB stack, so 500 of them fit comfortably in a small JVM.
 */
public final class WaiterMain {

    /** System property: the Redis address. */
    public static final String ADDRESS = "waiter.address";
    /** System property: the key prefix shared with the test. */
    public static final String PREFIX = "waiter.prefix";
    /** System property: {@code hot} or {@code own}. */
    public static final String MODE = "waiter.mode";
    /** System property: the number of waiting threads. */
    public static final String THREADS = "waiter.threads";
    /** System property: the hot key, or the stem of the own keys. */
    public static final String KEY = "waiter.key";
    /** System property: the index of this JVM's first own key. */
    public static final String FIRST = "waiter.first";
    /** System property: the bounded wait of every lock call, in milliseconds. */
    public static final String MAX_WAIT_MS = "waiter.maxWaitMs";
    /** System property: the Redis list the go token is pushed to (raw Redis key). */
    public static final String GO_KEY = "waiter.goKey";
    /** System property: the Redis counter of holders inside the critical section (raw Redis key). */
    public static final String INSIDE_KEY = "waiter.insideKey";
    /** System property: the Redis counter of critical sections (raw Redis key). */
    public static final String SECTIONS_KEY = "waiter.sectionsKey";
    /**
     * System property: the fairness mode ({@code barging}, {@code fifo} or {@code hybrid}, with the default
     * threshold); absent: the library's default.
     */
    public static final String FAIRNESS = "waiter.fairness";

    private static final long STACK_SIZE = 256 * 1024;
    private static final Duration LONG = Duration.ofSeconds(90);

    private WaiterMain() {
    }

    /**
     * Runs the waiters; see the class documentation for the protocol.
     *
     * @param args ignored
     */
    public static void main(String[] args) throws Exception {
        String address = System.getProperty(ADDRESS);
        boolean hot = "hot".equals(System.getProperty(MODE));
        int threads = Integer.getInteger(THREADS);
        String key = System.getProperty(KEY);
        int first = Integer.getInteger(FIRST, 0);
        Duration maxWait = Duration.ofMillis(Long.getLong(MAX_WAIT_MS));
        Settings settings = Settings.defaults().withRedisAddress(address).withKeyPrefix(System.getProperty(PREFIX));
        String fairness = System.getProperty(FAIRNESS);
        if (fairness != null) {
            settings = settings.withFairness(new Fairness(Fairness.mode(fairness), Fairness.DEFAULT_THRESHOLD));
        }
        LockOptions options = LockOptions.defaults().withMaxWait(maxWait).withLease(Duration.ofMinutes(2));
        Results results = new Results();
        int exit = 0;
        try (RedisAdapter adapter = new RedisAdapter(RedissonClientFactory.connect(settings), settings)) {
            // connected, and the release subscription made, before anybody waits
            adapter.lock("warm-up-" + ProcessHandle.current().pid(),
                    LockOptions.defaults().withMaxWait(Duration.ofSeconds(60))).close();
            print("READY");
            RedisCommands.call(address, LONG.plusSeconds(30), "BLPOP", System.getProperty(GO_KEY),
                    Long.toString(LONG.toSeconds()));

            CountDownLatch entered = new CountDownLatch(threads);
            CountDownLatch finished = new CountDownLatch(threads);
            List<Thread> started = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                String lockKey = hot ? key : key + "-" + (first + i);
                Thread thread = new Thread(null, () -> {
                    try {
                        entered.countDown();
                        waitFor(adapter, lockKey, options, hot, address, results);
                    } finally {
                        finished.countDown();
                    }
                }, "waiter-" + i, STACK_SIZE);
                thread.setDaemon(true);
                started.add(thread);
                thread.start();
            }
            if (!entered.await(LONG.toSeconds(), TimeUnit.SECONDS)) {
                print("ERROR-DETAIL only " + (threads - entered.getCount()) + " of " + threads + " threads started");
            }
            if (!hot) {
                // every own key has its waiter registered: the test may release now
                await().atMost(LONG).until(() -> adapter.keysWithWaiters() >= threads || finished.getCount() == 0);
            }
            print("WAITING entered=" + (threads - entered.getCount()) + " keysWithWaiters=" + adapter.keysWithWaiters());
            long stuck = 0;
            if (!finished.await(maxWait.plus(LONG).toSeconds(), TimeUnit.SECONDS)) {
                stuck = finished.getCount();
                started.stream().filter(Thread::isAlive).limit(3).forEach(thread -> print("ERROR-DETAIL stuck "
                        + thread.getName() + " at " + List.of(thread.getStackTrace())));
                exit = 2;
            }
            print(String.format(Locale.ROOT, "RESULT acquired=%d notAcquired=%d errors=%d maxWaitMs=%d"
                            + " minNotAcquiredWaitMs=%d maxInside=%d minToken=%d stuck=%d", results.acquired.get(),
                    results.notAcquired.get(), results.errors.get(), results.maxWaitMillis.get(),
                    results.notAcquired.get() == 0 ? -1 : results.minNotAcquiredWaitMillis.get(),
                    results.maxInside.get(), results.minToken.get(), stuck));
            print("TOKENS " + results.tokens.stream().map(String::valueOf).collect(Collectors.joining(",")));
        } catch (RuntimeException e) {
            print("ERROR-DETAIL " + stackTrace(e));
            exit = 1;
        }
        System.exit(exit);
    }

    private static void waitFor(RedisAdapter adapter, String key, LockOptions options, boolean hot, String address,
                                Results results) {
        long start = System.nanoTime();
        try (Lease lease = adapter.lock(key, options)) {
            results.waited(start);
            results.acquired.incrementAndGet();
            results.tokens.add(lease.fencingToken());
            results.minToken.accumulateAndGet(lease.fencingToken(), Math::min);
            if (hot) {
                criticalSection(address, results);
            }
        } catch (LockNotAcquiredException e) {
            long waited = results.waited(start);
            results.notAcquired.incrementAndGet();
            results.minNotAcquiredWaitMillis.accumulateAndGet(waited, Math::min);
        } catch (RuntimeException | Error e) {
            results.waited(start);
            results.errors.incrementAndGet();
            print("ERROR-DETAIL " + key + ": " + stackTrace(e));
        }
    }

    /** Alone inside? Counted? Through Redis itself, so it covers both JVMs. */
    private static void criticalSection(String address, Results results) {
        String inside = System.getProperty(INSIDE_KEY);
        String sections = System.getProperty(SECTIONS_KEY);
        long holders = RedisCommands.callForLong(address, "INCR", inside);
        results.maxInside.accumulateAndGet(holders, Math::max);
        String count = RedisCommands.call(address, "GET", sections);
        RedisCommands.call(address, "SET", sections, Long.toString(count == null ? 1 : Long.parseLong(count) + 1));
        RedisCommands.callForLong(address, "DECR", inside);
    }

    private static String stackTrace(Throwable e) {
        StringWriter text = new StringWriter();
        e.printStackTrace(new PrintWriter(text));
        return text.toString().replace('\n', '|');
    }

    private static void print(String line) {
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }

    /** What the waiters of this JVM saw. */
    private static final class Results {
        final AtomicInteger acquired = new AtomicInteger();
        final AtomicInteger notAcquired = new AtomicInteger();
        final AtomicInteger errors = new AtomicInteger();
        final AtomicLong maxWaitMillis = new AtomicLong();
        final AtomicLong minNotAcquiredWaitMillis = new AtomicLong(Long.MAX_VALUE);
        final AtomicLong maxInside = new AtomicLong();
        final AtomicLong minToken = new AtomicLong(Long.MAX_VALUE);
        final ConcurrentLinkedQueue<Long> tokens = new ConcurrentLinkedQueue<>();

        long waited(long startNanos) {
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
            maxWaitMillis.accumulateAndGet(millis, Math::max);
            return millis;
        }
    }
}
