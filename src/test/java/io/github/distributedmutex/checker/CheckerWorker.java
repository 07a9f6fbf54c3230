package io.github.distributedmutex.checker;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.DistributedMutexCdi;
import io.github.distributedmutex.LockNotAcquiredException;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.config.DurationParser;
import io.github.distributedmutex.testing.RedisCommands;
import jakarta.enterprise.inject.se.SeContainer;
import jakarta.enterprise.inject.se.SeContainerInitializer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One application instance of the correctness harness: a JVM running one Weld SE container with
 * the library and {@link CheckedAccounts}, whose threads keep entering critical sections on a few keys
 * and record each in a history file. {@link CorrectnessRun} starts several and checks their histories
 * with {@link HistoryChecker}.
 *
 * <p>What each of the {@code checker.threads} threads does, until its share of
 * {@code checker.operations} is done or {@code checker.seconds} have passed since the start signal: pick
 * a key {@code acct:<n>} at random among {@code checker.keys}; take {@code requestNanos}; enter the
 * critical section, every other operation through the {@code @Locked} method and through
 * {@code Adapter.lock} in try-with-resources (so half and half); inside, take {@code startNanos},
 * {@code GET} the key's counter, pause {@code checker.pause-micros}, {@code SET} it to the value read + 1
 * and take {@code endNanos}. A {@code LockNotAcquiredException} or {@code LockUnavailableException} is
 * recorded as a {@link FailedAcquisition} and the thread goes on.
 *
 * <p><b>Clock assumption.</b> All times are {@link System#nanoTime()}. On Linux, HotSpot reads
 * {@code CLOCK_MONOTONIC}, one clock for the whole host, so the times of different worker processes on
 * the same host are comparable; the checker relies on that, and the harness runs every worker locally.
 *
 * <p>Protocol with the launcher, over standard output and Redis: the worker starts the container,
 * takes and releases one throw-away lock both ways (so connecting to Redis is not part of the first
 * operation), prints {@code READY}, then blocks on {@code BLPOP <prefix>go} until the launcher pushes the
 * start signal (at most {@code checker.start-timeout} seconds). When done it closes the container, writes
 * its history to {@code checker.history} (see {@link History}) and prints {@code DONE ops=N failed=F}. Exit
 * code 0, or 1 when a thread failed for another reason than a lock call (the history then carries the
 * problem), or 2 when the worker could not run at all.
 *
 * <p>Configuration. Environment: {@code DISTRIBUTEDMUTEX_REDIS_ADDRESS} (read by the library and used
 * for the counters; {@code -Ddistributedmutex.redis.address} also works). System properties:
 * {@code checker.process} (name, default {@code worker-<pid>}), {@code checker.history} (required),
 * {@code checker.threads} (4), {@code checker.keys} (3), {@code checker.operations} (this worker's total;
 * wins over seconds) or {@code checker.seconds} (10), {@code checker.pause-micros} (1000),
 * {@code checker.start-timeout} (300), {@code distributedmutex.key-prefix} (default {@code checker:}),
 * {@code distributedmutex.lease} (30s), {@code distributedmutex.wait} (30s) and {@code distributedmutex.fairness}
 * (the library's default); the library reads the last four itself, the worker sets the defaults before the container starts so that it knows the lease it
 * records. {@code checker.broken-locking=true} makes each thread lock a key of its own instead of the
 * account's, so sections are NOT mutually exclusive: it exists only to prove that the checker catches a
 * broken lock.
 */
public final class CheckerWorker {

    /** The line printed when the worker waits for the start signal. */
    public static final String READY = "READY";
    /** The start of the line printed when the worker has written its history. */
    public static final String DONE = "DONE";

    static final String KEY_PREFIX_PROPERTY = "distributedmutex.key-prefix";
    static final String LEASE_PROPERTY = "distributedmutex.lease";
    static final String WAIT_PROPERTY = "distributedmutex.wait";
    /** The library's fairness mode; the worker passes it on untouched (absent: the library's default). */
    static final String FAIRNESS_PROPERTY = "distributedmutex.fairness";
    static final String ADDRESS_PROPERTY = "distributedmutex.redis.address";
    static final String ADDRESS_VARIABLE = "DISTRIBUTEDMUTEX_REDIS_ADDRESS";

    private CheckerWorker() {
    }

    /**
     * The Redis key of an account's counter.
     *
     * @param keyPrefix the run's key prefix
     * @param key       the lock key, for example {@code acct:0}
     * @return {@code <prefix>counter:{<key>}}
     */
    public static String counterKey(String keyPrefix, String key) {
        return keyPrefix + "counter:{" + key + "}";
    }

    /**
     * The Redis list the launcher pushes the start signal to.
     *
     * @param keyPrefix the run's key prefix
     * @return {@code <prefix>go}
     */
    public static String goKey(String keyPrefix) {
        return keyPrefix + "go";
    }

    /**
     * Runs one worker and exits (0: done; 1: a thread failed; 2: could not run).
     *
     * @param args ignored; see the class documentation for the configuration
     */
    public static void main(String[] args) {
        int status;
        try {
            status = run(Settings.fromSystemProperties());
        } catch (InterruptedException e) {
            System.out.println("FAILED: interrupted");
            status = 2;
        } catch (RuntimeException | Error e) {
            System.out.println("FAILED: " + e);
            e.printStackTrace(System.out);
            status = 2;
        }
        System.out.flush();
        System.exit(status);
    }

    private static int run(Settings settings) throws InterruptedException {
        SeContainerInitializer initializer = SeContainerInitializer.newInstance()
                .disableDiscovery()
                .addBeanClasses(CheckedAccounts.class)
                .addBeanClasses(DistributedMutexCdi.beanClasses())
                .addExtensions(DistributedMutexCdi.portableExtension());
        List<Section> sections = Collections.synchronizedList(new ArrayList<>());
        List<FailedAcquisition> failures = Collections.synchronizedList(new ArrayList<>());
        List<String> problems = Collections.synchronizedList(new ArrayList<>());
        try (SeContainer container = initializer.initialize()) {
            CheckedAccounts accounts = container.select(CheckedAccounts.class).get();
            Adapter adapter = container.select(Adapter.class).get();
            // Connect now, both paths, so that the first measured operation is not the connection set-up.
            adapter.lock("warm-up:" + settings.process).close();
            accounts.viaAnnotation("warm-up-" + settings.process, token -> token);

            List<CounterConnection> connections = new ArrayList<>();
            try {
                for (int t = 0; t < settings.threads; t++) {
                    connections.add(CounterConnection.open(settings.address));
                }
                System.out.println(READY);
                System.out.flush();
                String go = RedisCommands.call(settings.address,
                        Duration.ofSeconds(settings.startTimeoutSeconds + 30L),
                        "BLPOP", goKey(settings.keyPrefix), Long.toString(settings.startTimeoutSeconds));
                if (go == null) {
                    throw new IllegalStateException("no start signal within " + settings.startTimeoutSeconds + " s");
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(settings.seconds);
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < settings.threads; t++) {
                    int operations = settings.operations < 0 ? -1
                            : settings.operations / settings.threads + (t < settings.operations % settings.threads ? 1 : 0);
                    Loop loop = new Loop(settings, accounts, connections.get(t), "t" + t, t, operations, deadline,
                            sections, failures);
                    Thread thread = new Thread(() -> {
                        try {
                            loop.run();
                        } catch (RuntimeException | Error e) {
                            problems.add("thread " + loop.thread + " stopped: " + e);
                            e.printStackTrace(System.out);
                        }
                    }, "checker-" + loop.thread);
                    threads.add(thread);
                    thread.start();
                }
                for (Thread thread : threads) {
                    thread.join(); // the launcher bounds the whole worker's run and kills it if it hangs
                }
            } finally {
                connections.forEach(CounterConnection::close);
            }
        }
        History.write(settings.history, settings.process, settings.threads, List.copyOf(sections),
                List.copyOf(failures), List.copyOf(problems));
        System.out.println(DONE + " ops=" + sections.size() + " failed=" + failures.size()
                + (problems.isEmpty() ? "" : " problems=" + problems.size()));
        return problems.isEmpty() ? 0 : 1;
    }

    /** The operations of one thread. */
    private static final class Loop {
        private final Settings settings;
        private final CheckedAccounts accounts;
        private final CounterConnection counter;
        private final String thread;
        private final int index;
        private final int operations;
        private final long deadline;
        private final List<Section> sections;
        private final List<FailedAcquisition> failures;

        Loop(Settings settings, CheckedAccounts accounts, CounterConnection counter, String thread, int index,
             int operations, long deadline, List<Section> sections, List<FailedAcquisition> failures) {
            this.settings = settings;
            this.accounts = accounts;
            this.counter = counter;
            this.thread = thread;
            this.index = index;
            this.operations = operations;
            this.deadline = deadline;
            this.sections = sections;
            this.failures = failures;
        }

        void run() {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            for (int op = 0; operations < 0 ? System.nanoTime() - deadline < 0 : op < operations; op++) {
                int account = random.nextInt(settings.keys);
                String key = CheckedAccounts.lockKey(Integer.toString(account));
                // alternate the two paths, threads starting on different ones
                Section.Mode mode = (op + index) % 2 == 0 ? Section.Mode.ANNOTATION : Section.Mode.LEASE;
                String lockAccount = settings.brokenLocking
                        ? account + "-" + settings.process + "-" + thread // a lock of its own: NOT mutual exclusion
                        : Integer.toString(account);
                long requestNanos = System.nanoTime();
                try {
                    Section section = mode == Section.Mode.ANNOTATION
                            ? accounts.viaAnnotation(lockAccount, token -> criticalSection(key, mode, token, requestNanos))
                            : accounts.viaLease(lockAccount, token -> criticalSection(key, mode, token, requestNanos));
                    sections.add(section);
                } catch (LockNotAcquiredException | LockUnavailableException e) {
                    failures.add(new FailedAcquisition(settings.process, thread, key, mode, requestNanos,
                            System.nanoTime(), e.getClass().getSimpleName()));
                }
            }
        }

        /** Runs with the lock held: a deliberately non-atomic read-modify-write of the key's counter. */
        private Section criticalSection(String key, Section.Mode mode, long token, long requestNanos) {
            long startNanos = System.nanoTime();
            String counterKey = counterKey(settings.keyPrefix, key);
            long read = counter.get(counterKey);
            pause();
            counter.set(counterKey, read + 1);
            long endNanos = System.nanoTime();
            return new Section(settings.process, thread, key, mode, token, settings.leaseNanos, requestNanos,
                    startNanos, endNanos, read, read + 1);
        }

        private void pause() {
            if (settings.pauseMicros <= 0) {
                return;
            }
            try {
                // Simulated work inside the critical section, not synchronisation: it widens the window in which
                // a second holder would read the same counter value.
                TimeUnit.MICROSECONDS.sleep(settings.pauseMicros);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted inside the critical section", e);
            }
        }
    }

    /** The worker's configuration, read once at start. */
    private static final class Settings {
        final String process;
        final Path history;
        final int threads;
        final int keys;
        final int operations;
        final long seconds;
        final long pauseMicros;
        final long startTimeoutSeconds;
        final String address;
        final String keyPrefix;
        final long leaseNanos;
        final boolean brokenLocking;

        private Settings() {
            process = System.getProperty("checker.process", "worker-" + ProcessHandle.current().pid());
            String historyPath = System.getProperty("checker.history");
            if (historyPath == null || historyPath.isBlank()) {
                throw new IllegalArgumentException("-Dchecker.history=<file> is required");
            }
            history = Path.of(historyPath);
            threads = positive("checker.threads", 4);
            keys = positive("checker.keys", 3);
            operations = System.getProperty("checker.operations") == null ? -1 : positive("checker.operations", 1);
            seconds = positive("checker.seconds", 10);
            pauseMicros = Long.getLong("checker.pause-micros", 1_000);
            startTimeoutSeconds = positive("checker.start-timeout", 300);
            String configured = System.getenv(ADDRESS_VARIABLE);
            address = System.getProperty(ADDRESS_PROPERTY,
                    configured == null || configured.isBlank() ? "redis://127.0.0.1:6379" : configured.trim());
            keyPrefix = defaultProperty(KEY_PREFIX_PROPERTY, "checker:");
            leaseNanos = DurationParser.parse(defaultProperty(LEASE_PROPERTY, "30s")).toNanos();
            defaultProperty(WAIT_PROPERTY, "30s");
            brokenLocking = Boolean.getBoolean("checker.broken-locking");
        }

        static Settings fromSystemProperties() {
            return new Settings();
        }

        private static String defaultProperty(String name, String defaultValue) {
            String value = System.getProperty(name);
            if (value == null) {
                System.setProperty(name, defaultValue);
                return defaultValue;
            }
            return value;
        }

        private static int positive(String name, int defaultValue) {
            int value = Integer.getInteger(name, defaultValue);
            if (value < 1) {
                throw new IllegalArgumentException(name + " must be at least 1, was " + value);
            }
            return value;
        }
    }
}
