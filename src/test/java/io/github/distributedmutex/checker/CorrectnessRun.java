package io.github.distributedmutex.checker;

import static io.github.distributedmutex.testing.HarnessProperties.intValue;

import io.github.distributedmutex.internal.config.Fairness;
import io.github.distributedmutex.testing.JvmProcess;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The correctness harness end to end: finds or starts a Redis, launches {@link CheckerWorker} JVMs
 * that contend for a few keys, waits for them, reads their histories and the final counters, and
 * checks them with {@link HistoryChecker}.
 *
 * <p>Redis: the environment variable {@code REDIS_URL} when set (only the run's own keys, under a
 * unique prefix, are touched, and deleted at the end); otherwise a {@code redis-server} process started
 * for the run and stopped after it ({@link RedisServerProcess}).
 *
 * <p>Bounds: every worker must print {@code READY} within {@link Options#readyTimeout()} and exit
 * within {@link Options#finishTimeout()} after the start signal; a worker that does not is killed and the
 * run is reported as failed (a problem of the result), as is a worker that exits with a non-zero code.
 * The final counters are compared with the history only when every worker's history is complete.
 * Histories are written to a fresh temporary directory, deleted when the run is clean and kept (its path
 * printed) when it is not, so that {@code HistoryChecker} can be run on them again.
 *
 * <p>As a program ({@code java -cp <test classpath> io.github.distributedmutex.checker.CorrectnessRun}),
 * it takes the system properties of {@link Options#fromSystemProperties(Options)} with the defaults of
 * {@link Options#LONG_RUN}, prints the summary line, and exits with 0 when the run is clean, 1 otherwise.
 */
public final class CorrectnessRun {

    private CorrectnessRun() {
    }

    /**
     * What to run.
     *
     * @param processes     worker JVMs, 1 to 16
     * @param threads       threads per worker, 1 to 64
     * @param keys          keys {@code acct:0..keys-1}, 1 to 1000
     * @param duration      how long the workers contend, when {@code operations} is 0
     * @param operations    total critical sections of the run, split evenly over every thread; 0 to run for
     *                      {@code duration} instead
     * @param lease         the lease of every lock ({@code distributedmutex.lease} of the workers)
     * @param maxWait       the maximum wait of every lock ({@code distributedmutex.wait} of the workers)
     * @param pauseMicros   the pause inside the read-modify-write, microseconds
     * @param brokenLocking whether each thread locks a key of its own (only to prove that the checker fails)
     * @param fairness      the workers' {@code distributedmutex.fairness} ({@code barging}, {@code fifo} or
     *                      {@code hybrid}), or null for the library's default
     */
    public record Options(int processes, int threads, int keys, Duration duration, int operations,
                          Duration lease, Duration maxWait, int pauseMicros, boolean brokenLocking,
                          String fairness) {

        /** Defaults of the program: 3 processes x 4 threads on 3 keys for 120 s, lease and wait 30 s. */
        public static final Options LONG_RUN = new Options(3, 4, 3, Duration.ofSeconds(120), 0,
                Duration.ofSeconds(30), Duration.ofSeconds(30), 1_000, false);

        /** The options with the library's default fairness (no {@code distributedmutex.fairness} for the workers). */
        public Options(int processes, int threads, int keys, Duration duration, int operations, Duration lease,
                       Duration maxWait, int pauseMicros, boolean brokenLocking) {
            this(processes, threads, keys, duration, operations, lease, maxWait, pauseMicros, brokenLocking, null);
        }

        /** Checks the values. */
        public Options {
            if (fairness != null) {
                Fairness.mode(fairness); // barging, fifo or hybrid
            }
            range("checker.processes", processes, 1, 16);
            range("checker.threads", threads, 1, 64);
            range("checker.keys", keys, 1, 1_000);
            Objects.requireNonNull(duration, "duration");
            if (operations == 0 && (duration.isNegative() || duration.toSeconds() < 1)) {
                throw new IllegalArgumentException("checker.seconds must be at least 1, was " + duration);
            }
            range("checker.operations", operations, 0, 100_000_000);
            requirePositive("lease", lease);
            requirePositive("maxWait", maxWait);
            range("checker.pause-micros", pauseMicros, 0, 10_000_000);
        }

        /**
         * Reads {@code checker.processes}, {@code checker.threads}, {@code checker.keys}, {@code checker.seconds},
         * {@code checker.operations} (wins over seconds when set), {@code checker.lease} and {@code checker.wait}
         * (whole seconds), {@code checker.pause-micros} and {@code checker.fairness} (the workers'
         * {@code distributedmutex.fairness}); a property that is not set keeps the value of
         * {@code defaults}.
         *
         * @param defaults the values of properties that are not set
         * @return the options
         * @throws IllegalArgumentException when a property is not a whole number or out of range
         */
        public static Options fromSystemProperties(Options defaults) {
            int operations = intValue("checker.operations", defaults.operations);
            Duration duration = Duration.ofSeconds(intValue("checker.seconds", (int) defaults.duration.toSeconds()));
            if (System.getProperty("checker.seconds") != null && System.getProperty("checker.operations") == null) {
                operations = 0; // an explicit duration beats a default operation count
            }
            return new Options(intValue("checker.processes", defaults.processes),
                    intValue("checker.threads", defaults.threads), intValue("checker.keys", defaults.keys),
                    duration, operations,
                    Duration.ofSeconds(intValue("checker.lease", (int) defaults.lease.toSeconds())),
                    Duration.ofSeconds(intValue("checker.wait", (int) defaults.maxWait.toSeconds())),
                    intValue("checker.pause-micros", defaults.pauseMicros), defaults.brokenLocking,
                    System.getProperty("checker.fairness", defaults.fairness));
        }

        /** @return how long every worker may take to start and print {@code READY}: 180 s */
        public Duration readyTimeout() {
            return Duration.ofSeconds(180);
        }

        /**
         * @return how long the workers may take after the start signal: the duration plus the maximum wait
         *         plus 120 s, or 30 minutes in operation-count mode; {@code checker.timeout} (seconds) overrides
         */
        public Duration finishTimeout() {
            Duration computed = operations > 0 ? Duration.ofMinutes(30)
                    : duration.plus(maxWait).plusSeconds(120);
            return Duration.ofSeconds(intValue("checker.timeout", (int) computed.toSeconds()));
        }

        /** @return a copy that runs the given number of operations instead of for a duration */
        public Options withOperations(int count) {
            return new Options(processes, threads, keys, duration, count, lease, maxWait, pauseMicros, brokenLocking,
                    fairness);
        }

        /**
         * @param mode {@code barging}, {@code fifo} or {@code hybrid}: the workers' {@code distributedmutex.fairness}
         * @return a copy whose workers hand the lock over in that mode
         */
        public Options withFairness(String mode) {
            return new Options(processes, threads, keys, duration, operations, lease, maxWait, pauseMicros,
                    brokenLocking, mode);
        }

        /** @return a copy whose threads each lock a key of their own, so the lock protects nothing */
        public Options withBrokenLocking() {
            return new Options(processes, threads, keys, duration, operations, lease, maxWait, pauseMicros, true,
                    fairness);
        }

        /** @return a short description */
        String describe() {
            return String.format(Locale.ROOT, "%d processes x %d threads on %d keys, %s, lease %d s, wait %d s%s",
                    processes, threads, keys,
                    operations > 0 ? operations + " operations" : duration.toSeconds() + " s",
                    lease.toSeconds(), maxWait.toSeconds(), brokenLocking ? ", BROKEN LOCKING (each thread its own lock)" : "")
                    + (fairness == null ? "" : ", fairness " + fairness);
        }

        private static void range(String name, int value, int min, int max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", was " + value);
            }
        }

        private static void requirePositive(String name, Duration value) {
            Objects.requireNonNull(value, name);
            if (value.toSeconds() < 1) {
                throw new IllegalArgumentException(name + " must be at least 1 s, was " + value);
            }
        }
    }

    /**
     * Runs with {@link Options#LONG_RUN} overridden by system properties, prints the summary and exits: 0 when
     * the run is clean, 1 otherwise.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        int status;
        try {
            status = run(Options.fromSystemProperties(Options.LONG_RUN), System.out).clean() ? 0 : 1;
        } catch (RuntimeException e) {
            System.out.println("FAILED: " + e);
            e.printStackTrace(System.out);
            status = 1;
        }
        System.out.flush();
        System.exit(status);
    }

    /**
     * Finds or starts the Redis, runs the workers, checks the history and prints progress, the problems and
     * violations found (when any) and, last, the checker's summary line. The histories go to a fresh
     * temporary directory, deleted when the run is clean and kept (its path printed) otherwise.
     *
     * @param options what to run
     * @param out     where to print
     * @return the checker's result, including the problems of the run itself (workers that did not start,
     *         hung, or exited with an error)
     * @throws IllegalStateException when no Redis is reachable
     */
    public static CheckResult run(Options options, PrintStream out) {
        return withRedis(options, null, out);
    }

    /**
     * As {@link #run(Options, PrintStream)}, writing the histories to a directory that the caller owns and
     * that is never deleted.
     *
     * @param options           what to run
     * @param historyDirectory  an existing directory for the history files
     * @param out               where to print
     * @return the checker's result, including the problems of the run itself
     * @throws IllegalStateException when no Redis is reachable
     */
    public static CheckResult run(Options options, Path historyDirectory, PrintStream out) {
        return withRedis(options, Objects.requireNonNull(historyDirectory, "historyDirectory"), out);
    }

    private static CheckResult withRedis(Options options, Path historyDirectory, PrintStream out) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(out, "out");
        String external = System.getenv("REDIS_URL");
        if (external != null && !external.isBlank()) {
            out.println("checker: using the Redis given in REDIS_URL");
            return run(external.trim(), options, historyDirectory, out);
        }
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            out.println("checker: redis-server pid " + redis.pid() + " at " + redis.address());
            return run(redis.address(), options, historyDirectory, out);
        }
    }

    private static CheckResult run(String address, Options options, Path historyDirectory, PrintStream out) {
        if (!RedisCommands.ping(address, Duration.ofSeconds(10))) {
            throw new IllegalStateException("no Redis answers PING at the given address");
        }
        String runId = UUID.randomUUID().toString().substring(0, 8);
        String keyPrefix = "checker-" + runId + ":";
        Path directory = historyDirectory;
        if (directory == null) {
            try {
                directory = Files.createTempDirectory("distributedmutex-checker-" + runId + "-");
            } catch (IOException e) {
                throw new UncheckedIOException("could not create a directory for the histories", e);
            }
        }
        out.println("checker: run " + runId + ": " + options.describe());

        List<String> problems = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        List<JvmProcess> workers = new ArrayList<>();
        long started = System.nanoTime();
        try {
            for (int p = 1; p <= options.processes(); p++) {
                String name = "p" + p;
                Path file = directory.resolve(name + ".history");
                files.add(file);
                workers.add(JvmProcess.start(name, CheckerWorker.class, workerProperties(options, p, name, file, keyPrefix),
                        Map.of(CheckerWorker.ADDRESS_VARIABLE, address)));
            }
            boolean allReady = awaitReady(workers, options.readyTimeout(), problems);
            if (allReady) {
                String[] push = new String[2 + workers.size()];
                push[0] = "RPUSH";
                push[1] = CheckerWorker.goKey(keyPrefix);
                for (int i = 2; i < push.length; i++) {
                    push[i] = "go";
                }
                RedisCommands.call(address, push);
                out.printf(Locale.ROOT, "checker: %d workers ready after %.1f s, started%n", workers.size(),
                        (System.nanoTime() - started) / 1e9);
                awaitExit(workers, options.finishTimeout(), problems);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problems.add("interrupted while waiting for the workers");
        } finally {
            for (JvmProcess worker : workers) {
                closeQuietly(worker);
            }
        }

        Map<String, Long> finalCounters = new LinkedHashMap<>();
        List<String> counterKeys = new ArrayList<>();
        for (int k = 0; k < options.keys(); k++) {
            String key = CheckedAccounts.lockKey(Integer.toString(k));
            String counterKey = CheckerWorker.counterKey(keyPrefix, key);
            counterKeys.add(counterKey);
            String value = RedisCommands.call(address, "GET", counterKey);
            if (value != null) {
                finalCounters.put(key, Long.parseLong(value));
            }
        }
        List<Path> existing = problems.isEmpty() ? files : files.stream().filter(Files::exists).toList();
        History read = History.read(existing);
        List<String> allProblems = new ArrayList<>(problems);
        allProblems.addAll(read.problems());
        History history = new History(read.sections(), read.failures(), read.threadsByProcess(), allProblems);
        // Without every worker's complete history, the counters would disagree with it for that reason alone.
        boolean complete = allProblems.isEmpty() && read.threadsByProcess().size() == options.processes();
        CheckResult result = HistoryChecker.check(history, complete ? finalCounters : null);

        counterKeys.add(CheckerWorker.goKey(keyPrefix));
        RedisCommands.call(address, Stream.concat(Stream.of("DEL"), counterKeys.stream()).toArray(String[]::new));
        if (!result.clean()) {
            result.problems().forEach(problem -> out.println("checker: problem: " + problem));
            result.examples().forEach(example -> out.println("checker: violation: " + example));
        }
        if (historyDirectory == null && result.clean()) {
            deleteQuietly(directory);
        } else {
            out.println("checker: histories in " + directory);
        }
        out.println(result.summary());
        out.flush();
        return result;
    }

    private static Map<String, String> workerProperties(Options options, int index, String name, Path file,
                                                        String keyPrefix) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("checker.process", name);
        properties.put("checker.history", file.toString());
        properties.put("checker.threads", Integer.toString(options.threads()));
        properties.put("checker.keys", Integer.toString(options.keys()));
        if (options.operations() > 0) {
            int share = options.operations() / options.processes()
                    + (index <= options.operations() % options.processes() ? 1 : 0);
            properties.put("checker.operations", Integer.toString(Math.max(1, share)));
        } else {
            properties.put("checker.seconds", Long.toString(options.duration().toSeconds()));
        }
        properties.put("checker.pause-micros", Integer.toString(options.pauseMicros()));
        properties.put("checker.start-timeout", Long.toString(options.readyTimeout().toSeconds() + 60));
        properties.put("checker.broken-locking", Boolean.toString(options.brokenLocking()));
        properties.put(CheckerWorker.KEY_PREFIX_PROPERTY, keyPrefix);
        properties.put(CheckerWorker.LEASE_PROPERTY, options.lease().toSeconds() + "s");
        properties.put(CheckerWorker.WAIT_PROPERTY, options.maxWait().toSeconds() + "s");
        if (options.fairness() != null) {
            properties.put(CheckerWorker.FAIRNESS_PROPERTY, options.fairness());
        }
        return properties;
    }

    private static boolean awaitReady(List<JvmProcess> workers, Duration timeout, List<String> problems)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = 0; i < workers.size(); i++) {
            try {
                workers.get(i).awaitLine(CheckerWorker.READY::equals, remaining(deadline));
            } catch (AssertionError e) {
                problems.add("worker p" + (i + 1) + " did not become ready: " + e.getMessage());
                return false;
            }
        }
        return true;
    }

    private static void awaitExit(List<JvmProcess> workers, Duration timeout, List<String> problems)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = 0; i < workers.size(); i++) {
            JvmProcess worker = workers.get(i);
            try {
                int exit = worker.awaitExit(remaining(deadline));
                if (exit != 0) {
                    problems.add("worker p" + (i + 1) + " exited with code " + exit);
                }
            } catch (AssertionError e) {
                worker.kill();
                problems.add("worker p" + (i + 1) + " hung and was killed: " + e.getMessage());
            }
        }
    }

    private static Duration remaining(long deadlineNanos) {
        return Duration.ofNanos(Math.max(1_000_000, deadlineNanos - System.nanoTime()));
    }

    private static void closeQuietly(JvmProcess worker) {
        try {
            worker.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteQuietly(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // a left-over temporary directory harms nothing
        }
    }
}
