package io.github.distributedmutex.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.internal.config.Fairness;
import io.github.distributedmutex.internal.config.SettingsReader;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.JvmProcess;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.ExtendedTest;
import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.testing.TestAdapters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Fair hand-off (issue 14, {@code distributedmutex.fairness=fifo}) survives the death of queued waiters and of Redis,
 * against a real Redis the test starts, with the waiters that must die in JVMs of their own ({@link LockHolderMain},
 * {@link WaiterMain}) killed with {@code kill -9}. An {@link ExtendedTest}: CI runs it in its second stage
 * ({@code -Predis-suites}), plain {@code mvn verify} leaves it out (the scripts run in every other test). It proves, with the bounds of docs/design.md "Fair hand-off"
 * (entry TTL 3 s, pick-up TTL 2 s) plus {@link #MARGIN} for a busy 2-core machine:
 *
 * <ul>
 *   <li><b>A dead head stalls the queue one pick-up at most:</b> the head of the queue is killed, the holder
 *   releases, and the next (live) waiter is granted at most pick-up + margin after the release, on the Redis clock
 *   (fencing tokens are Redis {@code TIME} at the grant).</li>
 *   <li><b>A batch of dead waiters stalls it one pick-up too:</b> four queued waiters at the head are killed at once;
 *   the first is granted the lock and never collects it, the others are passed over once their entries are no longer
 *   fresh (1.5 s after their last attempt), and the live waiters behind them all get the lock, the first one at most
 *   pick-up + margin after the kills (the first implementation granted each dead waiter in turn: about 4 s).</li>
 *   <li><b>A grant to a head that dies at grant time</b> (frozen with {@code SIGSTOP}, granted — the lock hash names it
 *   with {@code granted=1} — then {@code kill -9}ed) expires after its pick-up TTL: the next waiter gets the lock no
 *   earlier than the pick-up (the grant is honoured) and no later than pick-up + margin; a {@link FencedRegister}
 *   holds only the next waiter's write.</li>
 *   <li><b>Redis {@code kill -9} and restart without persistence</b>, six waiters queued in two JVMs: every one gets
 *   the lock within its wait, one at a time (a Redis counter of holders inside never exceeds 1, no lost update).</li>
 *   <li><b>Redis with {@code appendonly yes} killed right after granting to a dead head:</b> the restored grant
 *   still expires with its pick-up TTL (absolute Redis time), and the live waiter gets the lock at most pick-up +
 *   margin after the release.</li>
 *   <li><b>No key left behind (the memory proof of item 1):</b> in every scenario the queue keys are gone, and no key of
 *   the lock prefix is left, at most entry TTL + margin after the contention ended; when every queued waiter is killed,
 *   the queue keys expire on their own (their TTL is their newest deadline) within entry TTL + margin of the kills,
 *   with no further command on the lock; and a sampler that looks at every
 *   key of the prefix every few milliseconds while the scenario runs never sees one without a TTL
 *   ({@code PTTL = -1}).</li>
 * </ul>
 *
 * <p>Measured figures are printed as {@code FAULT FIGURE ...}.
 */
@SlowTest
@ExtendedTest
class FairQueueFaultTest {

    /** The documented lifetime of an unrenewed queue entry (RedisLockStore.ENTRY_TTL_MILLIS). */
    static final Duration ENTRY_TTL = Duration.ofSeconds(3);
    /** The documented pick-up TTL of a hand-off (RedisLockStore.PICKUP_MILLIS). */
    static final Duration PICKUP = Duration.ofSeconds(2);
    /** Margin on top of the bounds: round trips, a waiter's sleep granularity, a busy 2-core machine. */
    static final Duration MARGIN = Duration.ofMillis(1_500);

    private static final String KEY = "fair:job";
    private static final Fairness FIFO = new Fairness(Fairness.Mode.FIFO, Duration.ZERO);
    private static final Duration LONG = Duration.ofSeconds(90);
    private static final Duration WAIT = Duration.ofSeconds(60);
    /** Queue members are {@code <lease ms>:<owner>}: each waiter gets a lease of its own, so its entry is known. */
    private static final long DEAD_LEASE_BASE = 60_000;
    private static final long LIVE_LEASE_BASE = 30_000;
    private static final LockOptions HELD_BY_TEST = LockOptions.defaults().withMaxWait(WAIT)
            .withLease(Duration.ofMinutes(5));
    private static final String PTTL_MINUS_ONE = """
            local found = {}
            for _, k in ipairs(redis.call('keys', ARGV[1])) do
              if redis.call('pttl', k) == -1 then
                table.insert(found, k)
              end
            end
            return found
            """;
    private static final Pattern RESULT = Pattern.compile("RESULT acquired=(\\d+) notAcquired=(\\d+) errors=(\\d+)"
            + " maxWaitMs=(\\d+) minNotAcquiredWaitMs=(-?\\d+) maxInside=(\\d+) minToken=(\\d+) stuck=(\\d+)");

    @Test
    void aKilledHeadStallsTheQueueAtMostOnePickUp() throws Exception {
        try (Scenario scenario = new Scenario(1, 2, null)) {
            scenario.queueEveryone();
            scenario.killDead();
            long releasedMicros = scenario.release();
            List<Acquisition> acquired = scenario.awaitLiveAcquisitions();

            long stallMs = (acquired.get(0).token - releasedMicros) / 1000;
            Faults.figure("fifo, kill -9 of the queued head: release to the next waiter's grant (Redis clock), pick-up "
                    + PICKUP.toMillis() + " ms", stallMs);
            assertThat(Duration.ofMillis(stallMs)).as("stall after one dead head (release to the next grant, Redis"
                    + " clock)").isLessThanOrEqualTo(PICKUP.plus(MARGIN));
            scenario.assertNothingLeft();
        }
    }

    @Test
    void aBatchOfKilledWaitersStallsTheQueueAboutOnePickUp() throws Exception {
        try (Scenario scenario = new Scenario(4, 2, null)) {
            scenario.queueEveryone();
            scenario.killDead();
            long killedMicros = Faults.redisMicros(scenario.address);
            scenario.release();
            List<Acquisition> acquired = scenario.awaitLiveAcquisitions();

            long stallMs = (acquired.get(0).token - killedMicros) / 1000;
            Faults.figure("fifo, kill -9 of the 4 queued waiters at the head: kills to the first live grant (Redis"
                    + " clock), pick-up " + PICKUP.toMillis() + " ms", stallMs);
            assertThat(Duration.ofMillis(stallMs)).as("stall after four dead waiters at the head (kills to the first"
                    + " live grant, Redis clock)").isLessThanOrEqualTo(PICKUP.plus(MARGIN));
            scenario.assertNothingLeft();
        }
    }

    @Test
    void whenEveryQueuedWaiterIsKilledTheQueueKeysExpireWithoutAnyFurtherCommand() throws Exception {
        try (Scenario scenario = new Scenario(2, 0, null)) {
            scenario.queueEveryone();
            long killed = System.nanoTime();
            scenario.killDead();
            scenario.release(); // grants to the dead head; nothing runs a script of the lock after this
            assertThat(Faults.lockField(scenario.address, scenario.redisKey, "owner")).as("granted to the dead head")
                    .isEqualTo(scenario.owner(scenario.deadMembers.get(0)));
            assertThat(scenario.queue()).as("the other dead waiter's entry is left in the queue")
                    .containsExactly(scenario.deadMembers.get(1));
            assertThat(RedisCommands.callForLong(scenario.address, "PTTL", scenario.queueKey))
                    .as("the queue's TTL: its newest deadline").isBetween(1L, ENTRY_TTL.toMillis());
            awaitNoKeys(scenario.address, scenario.prefix, killed);
            scenario.assertNothingLeft();
        }
    }

    @Test
    void aHeadKilledAtGrantTimeLosesItsGrantAfterThePickUpAndNeverWrites() throws Exception {
        String register = "register:" + System.nanoTime(); // outside the lock prefix: it has no TTL
        try (Scenario scenario = new Scenario(1, 1, register)) {
            scenario.queueEveryone();
            JvmProcess head = scenario.dead.get(0);
            String headOwner = scenario.owner(scenario.deadMembers.get(0));
            head.pause();
            scenario.release();
            List<String> lock = RedisCommands.callForList(scenario.address, "HMGET", scenario.redisKey, "owner",
                    "granted", "token");
            assertThat(lock.subList(0, 2)).as("the release granted the lock to the frozen head, not picked up")
                    .containsExactly(headOwner, "1");
            long grantMicros = Long.parseLong(lock.get(2));
            long pickUpTtl = RedisCommands.callForLong(scenario.address, "PTTL", scenario.redisKey);
            assertThat(pickUpTtl).as("the grant's TTL is the pick-up TTL").isBetween(1L, PICKUP.toMillis());
            head.kill();

            List<Acquisition> acquired = scenario.awaitLiveAcquisitions();
            long afterGrantMs = (acquired.get(0).token - grantMicros) / 1000;
            Faults.figure("fifo, head frozen at grant time then killed: grant to the next waiter's grant (Redis clock),"
                    + " pick-up " + PICKUP.toMillis() + " ms", afterGrantMs);
            assertThat(acquired.get(0).token - grantMicros).as("µs from the dead head's grant to the next grant: the"
                            + " grant is honoured for its pick-up TTL")
                    .isGreaterThanOrEqualTo(PICKUP.toNanos() / 1000 - Faults.CLOCK_TOLERANCE_MICROS);
            assertThat(Duration.ofMillis(afterGrantMs)).as("the next waiter's grant after the dead head's")
                    .isLessThanOrEqualTo(PICKUP.plus(MARGIN));
            FencedRegister fenced = new FencedRegister(scenario.address, register);
            assertThat(fenced.value()).as("the register holds only the live waiter's write (%s)", fenced.state())
                    .isEqualTo("live-0");
            assertThat(fenced.highestToken()).hasValue(acquired.get(0).token);
            assertThat(head.lines()).as("the dead head never proceeded nor wrote").noneMatch(line ->
                    line.startsWith("HOLDING") || line.startsWith("PROCEEDING") || line.startsWith("WRITE"));
            scenario.assertNothingLeft();
        }
    }

    @Test
    void aGrantToADeadHeadRestoredFromTheAppendOnlyFileStillExpiresWithinItsPickUp() throws Exception {
        Path data = Files.createTempDirectory("fair-aof-");
        String[] persistent = {"--appendonly", "yes", "--appendfsync", "always", "--dir", data.toString()};
        try (Scenario scenario = new Scenario(1, 1, null, persistent)) {
            scenario.queueEveryone();
            scenario.killDead();
            long releasedMicros = scenario.release();
            assertThat(Faults.lockField(scenario.address, scenario.redisKey, "owner")).as("granted to the dead head")
                    .isEqualTo(scenario.owner(scenario.deadMembers.get(0)));

            scenario.sampler.stop(); // a restarting Redis cannot be sampled
            long killed = System.nanoTime();
            scenario.redis.kill();
            scenario.restarted = RedisServerProcess.startOnPort(scenario.redis.port(), persistent);
            Faults.figure("fifo, appendonly Redis kill -9 and restart after a grant to a dead head: downtime",
                    Faults.millisBetween(killed, System.nanoTime()));
            scenario.sampler.start();

            List<Acquisition> acquired = scenario.awaitLiveAcquisitions();
            long stallMs = (acquired.get(0).token - releasedMicros) / 1000;
            Faults.figure("fifo, appendonly Redis kill -9 and restart after a grant to a dead head: release to the"
                    + " live waiter's grant (Redis clock), pick-up " + PICKUP.toMillis() + " ms", stallMs);
            assertThat(Duration.ofMillis(stallMs)).as("stall after a grant to a dead head that survived the restart"
                    + " (release to the next grant, Redis clock)").isLessThanOrEqualTo(PICKUP.plus(MARGIN));
            scenario.assertNothingLeft();
        } finally {
            try (Stream<Path> files = Files.walk(data)) {
                files.sorted(Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
            }
        }
    }

    @Test
    void redisKilledAndRestartedWithWaitersQueuedInTwoJvmsLosesNobody() throws Exception {
        int perJvm = 3;
        List<JvmProcess> jvms = new ArrayList<>();
        List<RedisServerProcess> servers = new ArrayList<>();
        RedisServerProcess redis = RedisServerProcess.start();
        servers.add(redis);
        String address = redis.address();
        String counters = "counters:" + System.nanoTime() + ":"; // outside the lock prefix: they have no TTL
        try (TestAdapters adapters = TestAdapters.on(address).withFairness(FIFO);
             KeySampler sampler = new KeySampler(address, adapters.settings().keyPrefix())) {
            String prefix = adapters.settings().keyPrefix();
            String queueKey = adapters.redisKey(KEY) + ":queue";
            RedisAdapter holder = adapters.newInstance();
            Lease held = holder.lock(KEY, HELD_BY_TEST);
            for (int j = 0; j < 2; j++) {
                Map<String, String> properties = new HashMap<>();
                properties.put(WaiterMain.ADDRESS, address);
                properties.put(WaiterMain.PREFIX, prefix);
                properties.put(WaiterMain.MODE, "hot");
                properties.put(WaiterMain.THREADS, Integer.toString(perJvm));
                properties.put(WaiterMain.KEY, KEY);
                properties.put(WaiterMain.MAX_WAIT_MS, Long.toString(WAIT.toMillis()));
                properties.put(WaiterMain.GO_KEY, counters + "go");
                properties.put(WaiterMain.INSIDE_KEY, counters + "inside");
                properties.put(WaiterMain.SECTIONS_KEY, counters + "sections");
                properties.put(WaiterMain.FAIRNESS, "fifo");
                jvms.add(JvmProcess.start("fair-restart-" + j, WaiterMain.class, properties));
            }
            for (JvmProcess jvm : jvms) {
                jvm.awaitLine("READY"::equals, LONG);
            }
            sampler.start();
            RedisCommands.call(address, "RPUSH", counters + "go", "go", "go");
            await("all six waiters queued in Redis").atMost(LONG).pollInterval(Duration.ofMillis(20))
                    .until(() -> RedisCommands.callForLong(address, "ZCARD", queueKey) == 2L * perJvm);

            sampler.stop(); // a restarting Redis cannot be sampled
            long killed = System.nanoTime();
            redis.kill();
            RedisServerProcess restarted = RedisServerProcess.startOnPort(redis.port());
            servers.add(restarted);
            Faults.figure("fifo, Redis kill -9 and restart with 6 queued waiters: downtime",
                    Faults.millisBetween(killed, System.nanoTime()));
            sampler.start();

            int acquired = 0;
            long maxWaitMs = 0;
            for (JvmProcess jvm : jvms) {
                String line = jvm.awaitLine(l -> l.startsWith("RESULT "), WAIT.plus(LONG));
                assertThat(jvm.awaitExit(LONG)).as("exit code of " + jvm.pid()).isZero();
                Matcher result = RESULT.matcher(line);
                assertThat(result.matches()).as(line).isTrue();
                assertThat(Integer.parseInt(result.group(1))).as("acquired in " + line).isEqualTo(perJvm);
                assertThat(Integer.parseInt(result.group(3))).as("errors in " + line).isZero();
                assertThat(Integer.parseInt(result.group(6))).as("most holders inside at once, " + line).isEqualTo(1);
                assertThat(Integer.parseInt(result.group(8))).as("stuck in " + line).isZero();
                assertThat(jvm.lines()).as("errors of " + jvm.pid()).noneMatch(l -> l.startsWith("ERROR-DETAIL"));
                acquired += Integer.parseInt(result.group(1));
                maxWaitMs = Math.max(maxWaitMs, Long.parseLong(result.group(4)));
            }
            assertThat(acquired).as("every queued waiter got the lock within its wait").isEqualTo(2 * perJvm);
            assertThat(RedisCommands.call(address, "GET", counters + "sections")).as("sections after the restart,"
                    + " none lost").isEqualTo(Integer.toString(2 * perJvm));
            assertThat(RedisCommands.call(address, "GET", counters + "inside")).isEqualTo("0");
            Faults.figure("fifo, Redis kill -9 and restart with 6 queued waiters: longest wait, maxWait "
                    + WAIT.toMillis() + " ms", maxWaitMs);
            long contentionEnded = System.nanoTime();
            held.close(); // lost with the restart: nothing to release
            awaitNoKeys(address, prefix, contentionEnded);
            sampler.assertNeverSawAKeyWithoutTtl();
        } finally {
            for (JvmProcess jvm : jvms) {
                jvm.close();
            }
            servers.forEach(RedisServerProcess::close);
        }
    }

    /** Waits until no key of the prefix is left, at most entry TTL + margin after {@code contentionEndedNanos}. */
    static void awaitNoKeys(String address, String prefix, long contentionEndedNanos) {
        Duration bound = ENTRY_TTL.plus(MARGIN);
        Duration left = bound.minusNanos(System.nanoTime() - contentionEndedNanos);
        await("no key of the prefix left at most " + bound.toMillis() + " ms after the contention ended")
                .atMost(left.isNegative() ? Duration.ofMillis(1) : left).pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> assertThat(RedisCommands.callForList(address, "KEYS", prefix + "*"))
                        .as("keys of the prefix").isEmpty());
        Faults.figure("fifo: contention ended to no key of the prefix left",
                Faults.millisBetween(contentionEndedNanos, System.nanoTime()));
    }

    /** A lock grant seen by a live waiter. */
    private record Acquisition(String waiter, long token, long atNanos) {
    }

    /**
     * One key held by the test, {@code deadCount} waiter JVMs queued first (to be killed or frozen), then
     * {@code liveCount} waiters of the test's own JVM (each its own adapter instance), all in fifo mode, with a
     * {@link KeySampler} running.
     */
    private static final class Scenario implements AutoCloseable {
        final RedisServerProcess redis;
        final String address;
        /** The server restarted on {@link #redis}'s port, if the scenario restarts it. */
        RedisServerProcess restarted;
        final TestAdapters adapters;
        final String prefix;
        final String redisKey;
        final String queueKey;
        final KeySampler sampler;
        final List<JvmProcess> dead = new ArrayList<>();
        final List<String> deadMembers = new ArrayList<>();
        final List<CompletableFuture<Acquisition>> live = new ArrayList<>();
        final ExecutorService pool = Executors.newCachedThreadPool();
        final Lease held;
        final int liveCount;
        final String register;
        final ConcurrentLinkedQueue<Throwable> liveFailures = new ConcurrentLinkedQueue<>();

        Scenario(int deadCount, int liveCount, String register, String... redisArgs) {
            redis = RedisServerProcess.start(redisArgs);
            address = redis.address();
            adapters = TestAdapters.on(address).withFairness(FIFO);
            prefix = adapters.settings().keyPrefix();
            redisKey = adapters.redisKey(KEY);
            queueKey = redisKey + ":queue";
            sampler = new KeySampler(address, prefix);
            this.liveCount = liveCount;
            this.register = register;
            held = adapters.newInstance().lock(KEY, HELD_BY_TEST);
            for (int i = 0; i < deadCount; i++) {
                Map<String, String> more = Map.of(SettingsReader.FAIRNESS, "fifo", LockHolderMain.MAX_WAIT, "60s");
                dead.add(LockHolderMain.start("queued-" + i, address, prefix, KEY,
                        Duration.ofMillis(DEAD_LEASE_BASE + i), false, register == null ? null : register + ":go",
                        register, more));
            }
            sampler.start();
        }

        /** The dead-to-be JVMs queue first (in any order among them), then the live waiters one after another. */
        void queueEveryone() {
            await("the waiter JVMs are queued").atMost(LONG).pollInterval(Duration.ofMillis(20)).until(() -> {
                assertThat(dead).as("waiter JVMs alive").allMatch(JvmProcess::isAlive);
                return queue().stream().filter(m -> lease(m) >= DEAD_LEASE_BASE).count() == dead.size();
            });
            deadMembers.addAll(queue());
            for (int i = 0; i < liveCount; i++) {
                RedisAdapter adapter = adapters.newInstance();
                Faults.warmUp(adapter);
                String name = "live-" + i;
                LockOptions options = HELD_BY_TEST.withLease(Duration.ofMillis(LIVE_LEASE_BASE + i));
                live.add(CompletableFuture.supplyAsync(() -> acquireOnce(adapter, name, options), pool));
                String prefixOfMember = (LIVE_LEASE_BASE + i) + ":";
                await(name + " is queued").atMost(LONG).pollInterval(Duration.ofMillis(20))
                        .until(() -> queue().stream().anyMatch(m -> m.startsWith(prefixOfMember)));
            }
            List<String> queue = queue();
            assertThat(queue).as("queue order: the waiter JVMs first, then the live waiters")
                    .hasSize(dead.size() + liveCount).startsWith(deadMembers.toArray(String[]::new));
        }

        private Acquisition acquireOnce(RedisAdapter adapter, String name, LockOptions options) {
            try (Lease lease = adapter.lock(KEY, options)) {
                Acquisition acquisition = new Acquisition(name, lease.fencingToken(), System.nanoTime());
                if (register != null) {
                    assertThat(new FencedRegister(address, register).write(lease.fencingToken(), name))
                            .isEqualTo(FencedRegister.Write.ACCEPTED);
                }
                return acquisition;
            } catch (RuntimeException | AssertionError e) {
                liveFailures.add(e);
                throw e;
            }
        }

        List<String> queue() {
            return RedisCommands.callForList(address, "ZRANGE", queueKey, "0", "-1");
        }

        long lease(String member) {
            return Long.parseLong(member.substring(0, member.indexOf(':')));
        }

        String owner(String member) {
            return member.substring(member.indexOf(':') + 1);
        }

        void killDead() throws InterruptedException {
            for (JvmProcess jvm : dead) {
                jvm.kill();
            }
        }

        /** @return the Redis clock just before the release, µs */
        long release() {
            long micros = Faults.redisMicros(address);
            held.close();
            return micros;
        }

        /** @return the live waiters' grants, in the order they got the lock; all must get it within their wait */
        List<Acquisition> awaitLiveAcquisitions() throws Exception {
            List<Acquisition> acquired = new ArrayList<>();
            for (CompletableFuture<Acquisition> future : live) {
                acquired.add(future.get(WAIT.plus(Faults.SLACK).toMillis(), TimeUnit.MILLISECONDS));
            }
            assertThat(liveFailures).as("failures of the live waiters").isEmpty();
            acquired.sort((a, b) -> Long.compare(a.token, b.token));
            assertThat(acquired).as("live waiters granted in their queue order")
                    .extracting(Acquisition::waiter).isSorted();
            return acquired;
        }

        void assertNothingLeft() throws Exception {
            awaitNoKeys(address, prefix, System.nanoTime());
            sampler.assertNeverSawAKeyWithoutTtl();
            for (JvmProcess jvm : dead) {
                assertThat(jvm.isAlive()).as("killed").isFalse();
            }
        }

        @Override
        public void close() throws Exception {
            try {
                sampler.close();
                for (JvmProcess jvm : dead) {
                    jvm.close();
                }
                Faults.shutdown(pool);
                adapters.close();
            } finally {
                redis.close();
                if (restarted != null) {
                    restarted.close();
                }
            }
        }
    }

    /**
     * Looks at every key of the prefix every 10 ms, in one script (so it sees a consistent state), and remembers any
     * that has no TTL. Its failures are failures of the test.
     */
    static final class KeySampler implements AutoCloseable {
        private final String address;
        private final String pattern;
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        private final ConcurrentLinkedQueue<String> withoutTtl = new ConcurrentLinkedQueue<>();
        private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        private final AtomicLong samples = new AtomicLong();
        private java.util.concurrent.ScheduledFuture<?> running;

        KeySampler(String address, String prefix) {
            this.address = address;
            this.pattern = prefix + "*";
        }

        synchronized void start() {
            running = timer.scheduleWithFixedDelay(this::sample, 0, 10, TimeUnit.MILLISECONDS);
        }

        synchronized void stop() throws Exception {
            if (running != null) {
                running.cancel(false);
                // the last sample has ended once a task queued behind it ran
                timer.submit(() -> { }).get(30, TimeUnit.SECONDS);
                running = null;
            }
        }

        private void sample() {
            try {
                withoutTtl.addAll(RedisCommands.callForList(address, "EVAL", PTTL_MINUS_ONE, "0", pattern));
                samples.incrementAndGet();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }

        void assertNeverSawAKeyWithoutTtl() throws Exception {
            stop();
            assertThat(failures).as("sampler failures").isEmpty();
            assertThat(samples.get()).as("samples taken").isGreaterThan(10);
            assertThat(withoutTtl).as("keys of the prefix seen with PTTL -1 in " + samples.get() + " samples")
                    .isEmpty();
        }

        @Override
        public void close() throws Exception {
            stop();
            Faults.shutdown(timer);
        }
    }
}
