package io.github.distributedmutex.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockNotAcquiredException;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import io.github.distributedmutex.testing.JvmProcess;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.testing.TestAdapters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Redis server is killed ({@code kill -9}) while application instances are busy locking, and
 * restarted on the same port: nothing hangs, nothing is lost, and everybody resumes without a
 * restart of the clients.
 *
 * <p><b>Set-up.</b> The test owns its {@code redis-server} (no persistence: {@code --save ""},
 * {@code --appendonly no}). Eight workers loop {@code lock} / critical section / {@code close} on
 * three keys with a bounded wait of {@value #MAX_WAIT_MS} ms: two adapters in the test JVM (each on
 * its own Redisson client, as two application instances) with two threads each, and two client
 * JVMs ({@link ClientMain}, started through {@link JvmProcess}) with two threads each.
 *
 * <p><b>While Redis is down</b> every lock call ends with {@link LockUnavailableException} (or
 * {@link LockNotAcquiredException}) within its bounded wait plus the library's documented minimum
 * of 2 s per Redis call, plus generous slack for a busy machine ({@link #FAILED_CALL_BOUND}); every
 * worker reports the duration of each failed call and the test asserts the maximum. No call hangs:
 * every worker must report failures during the outage, must succeed again after the restart, and
 * must stop when told to. {@link Lease#close()} of a lease held at the crash gives up within the
 * documented 5 s release bound plus slack ({@link #CLOSE_BOUND}).
 *
 * <p><b>Locks held at the crash.</b> A Redis server without persistence restarts empty: it forgets
 * every lock that was held when it died. A new caller therefore gets such a key at once after the
 * restart, while the old holder may still believe it holds it; this is the documented limit of a
 * Redis lease lock ("a restart without persistence can forget held locks"). What still works is
 * fencing: the token is the Redis server time at acquisition, not a stored counter, so the lease a
 * new holder gets after the restart has a <em>higher</em> token than the lease held across the
 * crash, the old lease reports {@code isHeld() == false} and {@code extend} returns {@code false},
 * and closing it deletes nothing that belongs to the new holder (it is reported as an ERROR). The
 * test proves each of these, and checks that tokens of each key strictly increase in critical
 * section order within every process across the whole run, restart included.
 *
 * <p><b>Nothing lost, nobody stuck.</b> At the end every call is accounted for (successes plus the
 * two documented exceptions, no other error), no worker is still running, every client JVM exited
 * normally, the in-process adapters keep no per-key state, and Redis holds no key.
 *
 * <p>The measured figures (downtime, longest failed call, longest release, time from the restart to
 * each worker's first success) are printed to the test output.
 */
@SlowTest
class RedisRestartTest {

    /** The bounded wait of every worker's lock call, in milliseconds. */
    static final long MAX_WAIT_MS = 1_000;
    /** The lease of every worker's lock: long, so a lock left behind would still be found at the end. */
    static final Duration LEASE = Duration.ofSeconds(60);
    /** Documented: an acquisition attempt waits for Redis at least this long, even with a shorter wait. */
    static final Duration MIN_REDIS_CALL = Duration.ofSeconds(2);
    /** Documented: release, extend and isHeld wait for Redis at most this long. */
    static final Duration RELEASE_CALL = Duration.ofSeconds(5);
    /** Slack for a busy 2-core machine. */
    static final Duration SLACK = Duration.ofSeconds(8);
    /** The longest a failed lock call may take. */
    static final Duration FAILED_CALL_BOUND = Duration.ofMillis(MAX_WAIT_MS).plus(MIN_REDIS_CALL).plus(SLACK);
    /** The longest a release may take. */
    static final Duration CLOSE_BOUND = RELEASE_CALL.plus(SLACK);

    private static final List<String> KEYS = List.of("job-0", "job-1", "job-2");
    private static final LockOptions OPTIONS = LockOptions.defaults()
            .withMaxWait(Duration.ofMillis(MAX_WAIT_MS)).withLease(LEASE);
    private static final int THREADS_PER_ADAPTER = 2;
    private static final int IN_PROCESS_ADAPTERS = 2;
    private static final int CLIENT_JVMS = 2;
    private static final int THREADS_PER_JVM = 2;
    private static final int FAILURES_WHILE_DOWN = 2;
    private static final Duration LONG = Duration.ofSeconds(90);
    private static final Pattern DONE = Pattern.compile(
            "DONE worker=(\\S+) ok=(\\d+) unavailable=(\\d+) notAcquired=(\\d+) errors=(\\d+) maxFailedMs=(\\d+)"
                    + " maxCloseMs=(\\d+) overlaps=(\\d+) fencingViolations=(\\d+)");

    @Test
    void killedAndRestartedRedisIsSurvivedByEveryClientWithoutARestart(@TempDir Path dir) throws Exception {
        Path stopFile = dir.resolve("stop");
        // the in-process workers, plus two threads for the checks made while Redis is down
        ExecutorService pool = Executors.newFixedThreadPool(IN_PROCESS_ADAPTERS * THREADS_PER_ADAPTER + 2);
        List<JvmProcess> jvms = new ArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<RedisServerProcess> servers = new ArrayList<>(); // closed last, after the adapters
        try (LogCapture logs = LogCapture.start();
             TestAdapters adapters = TestAdapters.on(startServer(servers).address())) {
            RedisServerProcess redis = servers.get(0);
            String address = redis.address();
            // -- two application instances in this JVM, two worker threads each
            List<RedisAdapter> instances = new ArrayList<>();
            for (int i = 0; i < IN_PROCESS_ADAPTERS; i++) {
                instances.add(adapters.newInstance());
            }
            Sections sections = new Sections();
            List<Worker> workers = new ArrayList<>();
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < IN_PROCESS_ADAPTERS * THREADS_PER_ADAPTER; i++) {
                Worker worker = new Worker("test-" + i, instances.get(i % IN_PROCESS_ADAPTERS), i, sections,
                        stop::get, line -> { });
                workers.add(worker);
                running.add(pool.submit(worker));
            }
            // -- two application instances in their own JVMs
            for (int j = 0; j < CLIENT_JVMS; j++) {
                jvms.add(JvmProcess.start("client-" + j, ClientMain.class, Map.of(
                        ClientMain.ADDRESS, address,
                        ClientMain.PREFIX, adapters.settings().keyPrefix(),
                        ClientMain.THREADS, Integer.toString(THREADS_PER_JVM),
                        ClientMain.NAME, "jvm" + j,
                        ClientMain.STOP_FILE, stopFile.toString())));
            }
            for (JvmProcess jvm : jvms) {
                jvm.awaitLine(line -> line.equals("READY"), LONG);
            }
            await("every in-process worker locks").atMost(LONG)
                    .until(() -> workers.stream().allMatch(w -> w.ok.get() >= 10));

            // -- a lease held across the crash, on a key nobody else uses
            Adapter first = instances.get(0);
            Adapter second = instances.get(1);
            Lease heldAcrossCrash = first.lock("held-across-crash", LockOptions.defaults().withLease(LEASE));

            // -- crash
            workers.forEach(Worker::resetFailureCounts);
            long killed = System.nanoTime();
            redis.kill();
            assertThat(RedisCommands.ping(address, Duration.ofSeconds(1))).as("Redis is down").isFalse();

            // while down: the held lease cannot be checked, nor the key taken, within the documented bounds
            CompletableFuture<Duration> isHeldWhileDown = CompletableFuture.supplyAsync(() -> {
                long start = System.nanoTime();
                assertThatThrownBy(heldAcrossCrash::isHeld).isInstanceOf(LockUnavailableException.class)
                        .hasMessageContaining("held-across-crash");
                return since(start);
            }, pool);
            CompletableFuture<Duration> lockWhileDown = CompletableFuture.supplyAsync(() -> {
                long start = System.nanoTime();
                assertThatThrownBy(() -> second.lock("held-across-crash", OPTIONS))
                        .isInstanceOf(LockUnavailableException.class).hasMessageContaining("held-across-crash");
                return since(start);
            }, pool);
            // and every worker's calls keep failing within their bound, none hangs
            await("every in-process worker fails while Redis is down").atMost(LONG)
                    .until(() -> workers.stream().allMatch(w -> w.unavailable.get() >= FAILURES_WHILE_DOWN));
            for (JvmProcess jvm : jvms) {
                for (int t = 0; t < THREADS_PER_JVM; t++) {
                    String worker = ClientMain.workerName(jvms.indexOf(jvm), t);
                    await("worker " + worker + " fails while Redis is down").atMost(LONG)
                            .until(() -> count(jvm, "FAILED worker=" + worker + " type=unavailable ")
                                    >= FAILURES_WHILE_DOWN);
                }
            }
            assertThat(isHeldWhileDown.get(LONG.toSeconds(), TimeUnit.SECONDS)).as("isHeld while Redis is down")
                    .isLessThan(CLOSE_BOUND);
            assertThat(lockWhileDown.get(LONG.toSeconds(), TimeUnit.SECONDS)).as("lock while Redis is down")
                    .isLessThan(FAILED_CALL_BOUND);

            // -- restart on the same port, empty (no persistence)
            long restartBegin = System.nanoTime();
            RedisServerProcess restarted = RedisServerProcess.startOnPort(redis.port());
            servers.add(restarted);
            Duration downtime = Duration.ofNanos(System.nanoTime() - killed);
            Duration restartTook = since(restartBegin);

            await("every in-process worker locks again without a restart").atMost(LONG)
                    .until(() -> workers.stream().allMatch(w -> w.recoveredAt.get() != 0));
            long jvmsRecovered = restartBegin;
            for (JvmProcess jvm : jvms) {
                for (int t = 0; t < THREADS_PER_JVM; t++) {
                    String worker = ClientMain.workerName(jvms.indexOf(jvm), t);
                    await("worker " + worker + " locks again").atMost(LONG)
                            .until(() -> count(jvm, "RECOVERED worker=" + worker) >= 1);
                }
                jvmsRecovered = System.nanoTime();
            }
            long inProcessRecovered = workers.stream().mapToLong(w -> w.recoveredAt.get()).max().orElseThrow();
            long firstRecovered = workers.stream().mapToLong(w -> w.recoveredAt.get()).min().orElseThrow();

            // -- the lock held at the crash was forgotten; fencing still orders the holders
            // (a longer wait: the call made while Redis was down may be retried by Redisson after the
            // restart, granted, and given back at once by the library, holding the key for a moment)
            try (Lease newHolder = second.lock("held-across-crash", LockOptions.defaults()
                    .withMaxWait(Duration.ofSeconds(30)).withLease(LEASE))) {
                assertThat(newHolder.fencingToken()).as("token of the holder after the restart")
                        .isGreaterThan(heldAcrossCrash.fencingToken());
                assertThat(heldAcrossCrash.isHeld()).as("the lease held across the crash is held").isFalse();
                assertThat(heldAcrossCrash.extend(Duration.ofSeconds(30))).as("extending it").isFalse();
                heldAcrossCrash.close();
                assertThat(newHolder.isHeld()).as("the new holder still holds after the stale close").isTrue();
                System.out.printf("RedisRestartTest: lease held across the crash token=%d, new holder after"
                        + " the restart token=%d (higher)%n", heldAcrossCrash.fencingToken(),
                        newHolder.fencingToken());
            }
            assertThat(logs.lines("ERROR")).as("the stale release is reported loudly")
                    .anyMatch(line -> line.contains("'held-across-crash'")
                            && line.contains("expired before its release"));

            // -- stop everybody; nobody may be stuck
            stop.set(true);
            Files.writeString(stopFile, "stop");
            for (Future<?> future : running) {
                future.get(LONG.toSeconds(), TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertThat(pool.awaitTermination(LONG.toSeconds(), TimeUnit.SECONDS)).as("no test thread left").isTrue();
            List<String> doneLines = new ArrayList<>();
            for (JvmProcess jvm : jvms) {
                assertThat(jvm.awaitExit(LONG)).as("exit code of " + jvm.pid()).isZero();
                jvm.lines().stream().filter(line -> line.startsWith("DONE ")).forEach(doneLines::add);
            }
            assertThat(doneLines).as("one summary per client JVM worker").hasSize(CLIENT_JVMS * THREADS_PER_JVM);

            // -- nothing lost: every call accounted for, no overlap, tokens in order, nothing left behind
            long maxFailedNanos = 0;
            long maxCloseNanos = 0;
            long totalOk = 0;
            for (Worker worker : workers) {
                assertThat(worker.errors).as("unexpected errors of " + worker.name).isEmpty();
                assertThat(worker.overlaps.get()).as("overlapping sections of " + worker.name).isZero();
                assertThat(worker.fencingViolations.get()).as("token order of " + worker.name).isZero();
                assertThat(worker.calls.get()).as("calls of " + worker.name + " accounted for")
                        .isEqualTo(worker.okTotal.get() + worker.unavailableTotal.get()
                                + worker.notAcquiredTotal.get());
                maxFailedNanos = Math.max(maxFailedNanos, worker.maxFailedNanos.get());
                maxCloseNanos = Math.max(maxCloseNanos, worker.maxCloseNanos.get());
                totalOk += worker.okTotal.get();
            }
            long jvmMaxFailedMs = 0;
            long jvmMaxCloseMs = 0;
            for (String line : doneLines) {
                Matcher done = DONE.matcher(line);
                assertThat(done.matches()).as("summary line " + line).isTrue();
                assertThat(Long.parseLong(done.group(5))).as("errors in " + line).isZero();
                assertThat(Long.parseLong(done.group(8))).as("overlaps in " + line).isZero();
                assertThat(Long.parseLong(done.group(9))).as("token order in " + line).isZero();
                jvmMaxFailedMs = Math.max(jvmMaxFailedMs, Long.parseLong(done.group(6)));
                jvmMaxCloseMs = Math.max(jvmMaxCloseMs, Long.parseLong(done.group(7)));
                totalOk += Long.parseLong(done.group(2));
            }
            for (JvmProcess jvm : jvms) {
                assertThat(jvm.lines()).as("unexpected errors in " + jvm.pid())
                        .noneMatch(line -> line.startsWith("ERROR-DETAIL"));
            }
            assertThat(Duration.ofNanos(maxFailedNanos)).as("longest failed lock call in this JVM")
                    .isLessThan(FAILED_CALL_BOUND);
            assertThat(Duration.ofMillis(jvmMaxFailedMs)).as("longest failed lock call in the client JVMs")
                    .isLessThan(FAILED_CALL_BOUND);
            assertThat(Duration.ofNanos(maxCloseNanos)).as("longest release in this JVM").isLessThan(CLOSE_BOUND);
            assertThat(Duration.ofMillis(jvmMaxCloseMs)).as("longest release in the client JVMs")
                    .isLessThan(CLOSE_BOUND);

            // an attempt whose answer was lost in the crash is abandoned: if Redis granted it, the lock is
            // deleted; otherwise a marker refuses it should it still arrive. No lock stays; markers expire.
            await("no lock left in Redis").atMost(Duration.ofSeconds(30))
                    .until(() -> RedisCommands.callForList(address, "KEYS", "*").stream()
                            .allMatch(key -> key.contains(":abandoned:")));
            for (String marker : RedisCommands.callForList(address, "KEYS", "*")) {
                assertThat(RedisCommands.callForLong(address, "PTTL", marker)).as("TTL of " + marker).isPositive();
            }
            await("no per-key state left in the adapters").atMost(Duration.ofSeconds(30))
                    .until(() -> instances.stream().allMatch(a -> a.perKeyState() == 0));
            assertThat(restarted.isAlive()).isTrue();

            figure("Redis kill -9 and restart: downtime (restart itself " + restartTook.toMillis() + " ms)",
                    downtime.toMillis());
            figure("Redis kill -9 and restart: longest failed lock call, maxWait " + MAX_WAIT_MS + " ms (this JVM "
                    + TimeUnit.NANOSECONDS.toMillis(maxFailedNanos) + " ms, client JVMs " + jvmMaxFailedMs + " ms)",
                    Math.max(TimeUnit.NANOSECONDS.toMillis(maxFailedNanos), jvmMaxFailedMs));
            figure("Redis kill -9 and restart: longest release (this JVM "
                    + TimeUnit.NANOSECONDS.toMillis(maxCloseNanos) + " ms, client JVMs " + jvmMaxCloseMs + " ms)",
                    Math.max(TimeUnit.NANOSECONDS.toMillis(maxCloseNanos), jvmMaxCloseMs));
            figure("Redis kill -9 and restart: isHeld while Redis is down", isHeldWhileDown.get().toMillis());
            figure("Redis kill -9 and restart: first success after the restart began",
                    TimeUnit.NANOSECONDS.toMillis(firstRecovered - restartBegin));
            figure("Redis kill -9 and restart: every worker locking again after the restart began (this JVM "
                    + TimeUnit.NANOSECONDS.toMillis(inProcessRecovered - restartBegin) + " ms, client JVMs as polled)",
                    TimeUnit.NANOSECONDS.toMillis(Math.max(inProcessRecovered, jvmsRecovered) - restartBegin));
            System.out.println("RedisRestartTest: " + totalOk + " successful critical sections by "
                    + (workers.size() + doneLines.size()) + " workers in 3 processes, no overlap, tokens in order");
        } finally {
            stop.set(true);
            pool.shutdownNow();
            for (JvmProcess jvm : jvms) {
                jvm.close();
            }
            servers.forEach(RedisServerProcess::close);
        }
    }

    private static RedisServerProcess startServer(List<RedisServerProcess> servers) {
        RedisServerProcess server = RedisServerProcess.start();
        servers.add(server);
        return server;
    }

    /** Prints a measured figure as the tests of this package do: {@code FAULT FIGURE <what>: <n> ms}. */
    static void figure(String what, long millis) {
        System.out.println(String.format(Locale.ROOT, "FAULT FIGURE %s: %d ms", what, millis));
    }

    private static long count(JvmProcess jvm, String prefix) {
        return jvm.lines().stream().filter(line -> line.startsWith(prefix)).count();
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /**
     * Per-key bookkeeping of the critical sections of one process: how many holders are inside
     * (more than one is an overlap) and the last fencing token seen (a lower one is a violation).
     */
    static final class Sections {
        private final Map<String, AtomicInteger> inside = new ConcurrentHashMap<>();
        private final Map<String, AtomicLong> lastToken = new ConcurrentHashMap<>();

        boolean enter(String key) {
            return inside.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet() == 1;
        }

        void exit(String key) {
            inside.get(key).decrementAndGet();
        }

        /** @return whether {@code token} is higher than every token seen for {@code key} before */
        boolean advance(String key, long token) {
            long previous = lastToken.computeIfAbsent(key, k -> new AtomicLong()).getAndAccumulate(token, Math::max);
            return token > previous;
        }
    }

    /**
     * One worker: loops {@code lock} / critical section / {@code close} over the keys until told to
     * stop, and keeps the figures of its calls.
     */
    static final class Worker implements Runnable {
        final String name;
        final AtomicLong calls = new AtomicLong();
        final AtomicLong ok = new AtomicLong();
        final AtomicLong okTotal = new AtomicLong();
        final AtomicLong unavailable = new AtomicLong();
        final AtomicLong unavailableTotal = new AtomicLong();
        final AtomicLong notAcquiredTotal = new AtomicLong();
        final AtomicLong maxFailedNanos = new AtomicLong();
        final AtomicLong maxCloseNanos = new AtomicLong();
        final AtomicLong recoveredAt = new AtomicLong();
        final AtomicLong overlaps = new AtomicLong();
        final AtomicLong fencingViolations = new AtomicLong();
        final List<String> errors = new CopyOnWriteArrayList<>();
        private final Adapter adapter;
        private final int offset;
        private final Sections sections;
        private final BooleanSupplier stopped;
        private final Consumer<String> report;
        private boolean failingSinceUnavailable;

        Worker(String name, Adapter adapter, int offset, Sections sections, BooleanSupplier stopped,
               Consumer<String> report) {
            this.name = name;
            this.adapter = adapter;
            this.offset = offset;
            this.sections = sections;
            this.stopped = stopped;
            this.report = report;
        }

        /** Called while the worker runs and has locked before: from now on count afresh. */
        void resetFailureCounts() {
            unavailable.set(0);
            recoveredAt.set(0); // a failure while the adapter was still connecting at start-up is not a recovery
        }

        @Override
        public void run() {
            for (long round = offset; !stopped.getAsBoolean(); round++) {
                String key = KEYS.get((int) (round % KEYS.size()));
                calls.incrementAndGet();
                long start = System.nanoTime();
                Lease lease;
                try {
                    lease = adapter.lock(key, OPTIONS);
                } catch (LockUnavailableException e) {
                    unavailable.incrementAndGet();
                    unavailableTotal.incrementAndGet();
                    failed(start, "unavailable");
                    failingSinceUnavailable = true;
                    continue;
                } catch (LockNotAcquiredException e) {
                    notAcquiredTotal.incrementAndGet();
                    failed(start, "notAcquired");
                    continue;
                } catch (RuntimeException e) {
                    errors.add(e.toString());
                    report.accept("ERROR-DETAIL worker=" + name + " " + e);
                    continue;
                }
                ok.incrementAndGet();
                okTotal.incrementAndGet();
                if (failingSinceUnavailable) {
                    failingSinceUnavailable = false;
                    recoveredAt.compareAndSet(0, System.nanoTime());
                    report.accept("RECOVERED worker=" + name);
                }
                criticalSection(key, lease.fencingToken());
                long closing = System.nanoTime();
                lease.close();
                maxCloseNanos.accumulateAndGet(System.nanoTime() - closing, Math::max);
            }
        }

        private void criticalSection(String key, long token) {
            if (!sections.enter(key)) {
                overlaps.incrementAndGet();
            }
            if (!sections.advance(key, token)) {
                fencingViolations.incrementAndGet();
            }
            // simulated work while holding the lock (keeps the load of 8 busy workers sane on 2 cores);
            // not synchronisation: nothing waits for it
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            sections.exit(key);
        }

        private void failed(long start, String type) {
            long took = System.nanoTime() - start;
            maxFailedNanos.accumulateAndGet(took, Math::max);
            report.accept("FAILED worker=" + name + " type=" + type + " ms=" + TimeUnit.NANOSECONDS.toMillis(took));
        }

        String summary() {
            return "DONE worker=" + name + " ok=" + okTotal.get() + " unavailable=" + unavailableTotal.get()
                    + " notAcquired=" + notAcquiredTotal.get() + " errors=" + errors.size() + " maxFailedMs="
                    + TimeUnit.NANOSECONDS.toMillis(maxFailedNanos.get()) + " maxCloseMs="
                    + TimeUnit.NANOSECONDS.toMillis(maxCloseNanos.get()) + " overlaps=" + overlaps.get()
                    + " fencingViolations=" + fencingViolations.get();
        }
    }

    /**
     * A client JVM of {@link RedisRestartTest}: one application instance (one adapter on its own
     * Redisson client) whose worker threads loop lock / critical section / close until the stop file
     * appears. It prints {@code READY} once every worker has locked once, {@code FAILED worker=..
     * type=unavailable|notAcquired ms=..} for every failed call, {@code RECOVERED worker=..} at the
     * first success after Redis was unavailable, and a {@code DONE ...} summary per worker at the end.
     * Configured through the system properties named by its constants.
     */
    public static final class ClientMain {

        /** System property: the Redis address. */
        public static final String ADDRESS = "restart.address";
        /** System property: the key prefix shared with the test. */
        public static final String PREFIX = "restart.prefix";
        /** System property: the number of worker threads. */
        public static final String THREADS = "restart.threads";
        /** System property: this JVM's name, the prefix of its workers' names. */
        public static final String NAME = "restart.name";
        /** System property: the path of the file whose appearance stops the workers. */
        public static final String STOP_FILE = "restart.stopFile";

        private ClientMain() {
        }

        static String workerName(int jvm, int thread) {
            return "jvm" + jvm + "-" + thread;
        }

        /**
         * Runs the client until the stop file appears; exits with 0 when every worker ended.
         *
         * @param args ignored
         */
        public static void main(String[] args) throws Exception {
            String name = System.getProperty(NAME);
            int threads = Integer.getInteger(THREADS);
            Path stopFile = Path.of(System.getProperty(STOP_FILE));
            Settings settings = Settings.defaults().withRedisAddress(System.getProperty(ADDRESS))
                    .withKeyPrefix(System.getProperty(PREFIX));
            int exit = 0;
            try (RedisAdapter adapter = new RedisAdapter(RedissonClientFactory.connect(settings), settings)) {
                Sections sections = new Sections();
                List<Worker> workers = new ArrayList<>();
                List<Thread> running = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    Worker worker = new Worker(name + "-" + t, adapter, t, sections, () -> Files.exists(stopFile),
                            ClientMain::print);
                    workers.add(worker);
                    Thread thread = new Thread(worker, worker.name);
                    running.add(thread);
                    thread.start();
                }
                await().atMost(LONG).until(() -> workers.stream().allMatch(w -> w.okTotal.get() > 0));
                print("READY");
                for (Thread thread : running) {
                    thread.join(TimeUnit.MINUTES.toMillis(10));
                    if (thread.isAlive()) {
                        print("STUCK worker=" + thread.getName());
                        exit = 2;
                    }
                }
                workers.forEach(worker -> print(worker.summary()));
            }
            System.exit(exit);
        }

        private static void print(String line) {
            synchronized (System.out) {
                System.out.println(line);
                System.out.flush();
            }
        }
    }
}
