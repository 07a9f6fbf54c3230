package io.github.distributedmutex.it.wfp;

import io.github.distributedmutex.internal.key.LockKey;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * distributed-mutex in real application servers: WildFly 39, Payara Micro 7 and Open Liberty 26 (one
 * WildFly, two Payara Micro and one Open Liberty by default, {@code -Dit.wildfly.instances} /
 * {@code -Dit.payara.instances} / {@code -Dit.liberty.instances} to change; the Jakarta Concurrency 3.1
 * runAt tests need two instances of EE 11 servers, Payara Micro or Open Liberty), each a separate
 * process running the same WAR against one shared Redis.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WildFlyPayaraIT {

    private static final String KEY_PREFIX = "wfp-it:lock:";
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(120);
    /** The library's instruments (its {@code Instruments}), as the OTLP bodies carry them. */
    private static final String ACQUIRE_DURATION = "distributedmutex.lock.acquire.duration";
    private static final String HOLD_DURATION = "distributedmutex.lock.hold.duration";

    private final String run = Long.toString(System.currentTimeMillis(), 36)
            + Integer.toString(ThreadLocalRandom.current().nextInt(1_000_000), 36);
    private final Http http = new Http();
    private final List<ServerProcess> servers = new CopyOnWriteArrayList<>();
    private final List<String> report = new CopyOnWriteArrayList<>();
    private final Set<Integer> takenPorts = Collections.synchronizedSet(new HashSet<>());
    /** per server, the answer to {@code POST runat/start}, called once every server is ready */
    private final Map<String, Map<String, String>> runAtStarts = new LinkedHashMap<>();
    /** per server, the OTLP receiver its MicroProfile Telemetry exports metrics to */
    private final Map<String, OtlpReceiver> receivers = new java.util.concurrent.ConcurrentHashMap<>();
        /** null when REDIS_URL names the Redis */
    private RedisServerProcess redis;
    private String redisAddress;
    private Path workDir;

    @BeforeAll
    void startRedisAndServers() throws Exception {
        long t0 = System.nanoTime();
        workDir = Path.of(System.getProperty("it.work.dir", "target/it-work")).toAbsolutePath();
        deleteTree(workDir);
        Files.createDirectories(workDir);
        Path war = existing("it.war");

        List<String> jvmOptions = List.of(System.getProperty("it.server.jvm.options", "-XX:TieredStopAtLevel=1")
                .trim().split("\\s+")).stream().filter(o -> !o.isEmpty()).toList();
        Duration readyTimeout = Duration.ofSeconds(Long.getLong("it.ready.timeout.seconds", 480));
        int wildflies = Integer.getInteger("it.wildfly.instances", 1);
        int payaras = Integer.getInteger("it.payara.instances", 1);
        int liberties = Integer.getInteger("it.liberty.instances", 1);
        if (wildflies + payaras + liberties < 2) {
            fail("need at least two server instances, got " + wildflies + " WildFly + " + payaras + " Payara + "
                    + liberties + " Open Liberty");
        }
        // resolve everything before starting anything: fail fast with a clear message
        Path wildflyHome = wildflies > 0 ? existing("it.wildfly.home") : null;
        Path wildflyJava = wildflies > 0 ? JavaHomes.wildFly() : null;
        Path payaraJar = payaras > 0 ? existing("it.payara.jar") : null;
        Path payaraJava = payaras > 0 ? JavaHomes.payara() : null;
        Path libertyHome = liberties > 0 ? existing("it.liberty.home") : null;
        Path libertyJava = liberties > 0 ? JavaHomes.liberty() : null;
        startRedis();
        if (wildflies > 0) {
            Path home = wildflyHome;
            Path java = wildflyJava;
            report.add("WildFly runs on " + java + " (Java " + JavaHomes.version(java).orElse(-1) + ")");
            for (int i = 1; i <= wildflies; i++) {
                servers.add(ServerProcess.wildFly("wildfly-" + i, home, war, workDir, takenPorts, redisAddress, java,
                        jvmOptions, tickSecond(servers.size()),
                        telemetry("wildfly-" + i)));
            }
        }
        if (payaras > 0) {
            Path jar = payaraJar;
            Path java = payaraJava;
            report.add("Payara Micro runs on " + java + " (Java " + JavaHomes.version(java).orElse(-1) + ")");
            for (int i = 1; i <= payaras; i++) {
                servers.add(ServerProcess.payara("payara-" + i, jar, war, workDir, takenPorts, redisAddress, java,
                        jvmOptions, tickSecond(servers.size()),
                        telemetry("payara-" + i)));
            }
        }
        if (liberties > 0) {
            Path home = libertyHome;
            Path java = libertyJava;
            report.add("Open Liberty runs on " + java + " (Java " + JavaHomes.version(java).orElse(-1) + ")");
            for (int i = 1; i <= liberties; i++) {
                servers.add(ServerProcess.liberty("liberty-" + i, home, war, workDir, takenPorts, redisAddress, java,
                        jvmOptions, tickSecond(servers.size()),
                        telemetry("liberty-" + i)));
            }
        }
        // all servers start at once; wait for each
        for (ServerProcess server : servers) {
            server.awaitReady(readyTimeout, http);
            report.add(String.format(Locale.ROOT, "%s ready after %.1f s: %s, Java %s, %s", server.name,
                    server.readyAfter.toMillis() / 1000.0, server.ping.get("serverInfo"), server.ping.get("javaVersion"),
                    server.api));
        }
        report.add(String.format(Locale.ROOT, "setup (Redis + %d servers, started together, JVM options %s) took %.1f s",
                servers.size(), jvmOptions, (System.nanoTime() - t0) / 1e9));
        for (ServerProcess server : servers) {
            report.add(server.name + " command: " + server.command);
        }
        // the Concurrency 3.1 runAt jobs run from here on where the server has runAt (Payara Micro 7, Open Liberty 26),
        // so that they tick through the same window as the EJB timers (tickWindow)
        for (ServerProcess server : servers) {
            runAtStarts.put(server.name, http.post(server.api.resolve("runat/start"), CALL_TIMEOUT));
        }
    }

    @AfterAll
    void stopEverything() throws Exception {
        ExecutorService stopper = Executors.newCachedThreadPool();
        List<Future<?>> stops = new ArrayList<>();
        for (ServerProcess server : servers) {
            stops.add(stopper.submit(server::close));
        }
        for (Future<?> stop : stops) {
            try {
                stop.get(90, TimeUnit.SECONDS);
            } catch (Exception e) {
                report.add("stopping failed: " + e);
            }
        }
        stopper.shutdownNow();
        for (ServerProcess server : servers) {
            report.add(server.name + " stopped: " + server.stopped);
        }
        if (redis != null) {
            redis.close();
        }
        receivers.values().forEach(OtlpReceiver::close);
        String text = "distributed-mutex on WildFly, Payara Micro and Open Liberty (run " + run + ")\n  "
                + String.join("\n  ", report);
        System.out.println(text);
        if (workDir != null && Files.isDirectory(workDir)) {
            Files.writeString(workDir.resolve("report.txt"), text + "\n", StandardCharsets.UTF_8);
        }
    }

    @Test
    @Order(1)
    void everyServerRunsTheWarWithItsOwnConfiguration() {
        for (ServerProcess server : servers) {
            assertEquals(server.name, server.ping.get("server"), server + ": it.server.name through MicroProfile Config");
            assertEquals(KEY_PREFIX, server.ping.get("keyPrefix"),
                    server + ": distributedmutex.key-prefix from the WAR's microprofile-config.properties");
        }
        report.add("servers: " + servers.stream().map(s -> s.name).collect(Collectors.joining(", ")));
    }

    /**
     * The library's MicroProfile Health readiness check is deployed on every server and UP (Payara Micro and Open
     * Liberty on the HTTP port, WildFly on its management port): where MicroProfile Health is present, the library
     * adds it; an early DOWN while Redisson's first connection is made is waited out.
     */
    @Test
    @Order(1)
    void theReadinessCheckIsUpOnEveryServer() {
        for (ServerProcess server : servers) {
            long t0 = System.nanoTime();
            Readiness up = await(server.name + " readiness UP at " + server.health).atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                    .until(() -> readiness(server), r -> r.up() && r.httpStatus() == 200);
            assertTrue(up.data().containsKey("checked"), server.name + ": " + up.body());
            report.add(String.format(Locale.ROOT, "%s readiness UP after %.1f s: %s", server.name,
                    (System.nanoTime() - t0) / 1e9, up.body().replaceAll("\\s+", " ")));
        }
    }

    @Test
    @Order(2)
    void theLockIsTakenBeforeTheTransactionBeginsAndReleasedAfterItCommits() throws Exception {
        for (ServerProcess server : servers) {
            String jobId = "tx-" + server.name + "-" + run;
            Map<String, String> o = http.post(server.api.resolve("jobs/" + jobId + "?pauseMs=10"), CALL_TIMEOUT);
            String lockKey = KEY_PREFIX + "{job:" + jobId + "}";
            String where = server.name + " observed " + o;
            assertEquals(lockKey, o.get("lockKey"), where);
            // between the lock interceptor (+100) and @Transactional (+200): lock held, no transaction yet
            assertEquals("true", o.get("probeBefore.lockKeyExists"), where);
            assertEquals("NO_TRANSACTION", o.get("probeBefore.txStatus"), where);
            // inside the method: a transaction is active and the lock is held
            assertEquals("ACTIVE", o.get("inside.txStatus"), where);
            assertEquals("true", o.get("inside.lockKeyExists"), where);
            assertTrue(Long.parseLong(o.get("inside.fencingToken")) > 0, where);
            // at commit: the lock is still held
            assertEquals("ACTIVE", o.get("beforeCompletion.txStatus"), where);
            assertEquals("true", o.get("beforeCompletion.lockKeyExists"), where);
            // after commit: committed, lock still held
            assertEquals("COMMITTED", o.get("afterCompletion.status"), where);
            assertEquals("true", o.get("afterCompletion.lockKeyExists"), where);
            // back between the interceptors: the transaction is over, the lock is still held
            assertEquals("NO_TRANSACTION", o.get("probeAfter.txStatus"), where);
            assertEquals("true", o.get("probeAfter.lockKeyExists"), where);
            // after the response: released
            assertFalse(exists(lockKey), server.name + ": " + lockKey + " still exists after the response");
            report.add(server.name + ": lock -> tx begin -> commit -> lock release order confirmed (" + lockKey + ")");
        }
    }

    @Test
    @Order(3)
    void callsForOneJobAreMutuallyExclusiveAcrossServers() throws Exception {
        int threadsPerServer = Integer.getInteger("it.threads.per.server", 4);
        int callsPerThread = Integer.getInteger("it.calls.per.thread", 3);
        long pauseMs = Long.getLong("it.pause.ms", 150);
        String jobId = "shared-" + run;
        String lockKey = KEY_PREFIX + "{job:" + jobId + "}";
        int threads = threadsPerServer * servers.size();
        int expectedCalls = threads * callsPerThread;

        ConcurrentLinkedQueue<Map<String, String>> observations = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long t0 = System.nanoTime();
        try {
            for (ServerProcess server : servers) {
                URI uri = server.api.resolve("jobs/" + jobId + "?pauseMs=" + pauseMs);
                for (int t = 0; t < threadsPerServer; t++) {
                    pool.submit(() -> {
                        go.await();
                        for (int c = 0; c < callsPerThread; c++) {
                            try {
                                observations.add(http.post(uri, CALL_TIMEOUT));
                            } catch (Exception e) {
                                errors.add(server.name + ": " + e);
                            }
                        }
                        return null;
                    });
                }
            }
            go.countDown();
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.MINUTES), "calls did not finish");
        } finally {
            pool.shutdownNow();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(errors.isEmpty(), "failed calls: " + errors);
        assertEquals(expectedCalls, observations.size());

        List<Map<String, String>> byEntry = new ArrayList<>(observations);
        byEntry.sort(Comparator.comparingLong(o -> num(o, "entryMicros")));
        int overlaps = 0;
        int waited = 0;
        int handovers = 0;
        int tokenInversions = 0;
        long maxExitSoFar = Long.MIN_VALUE;
        Map<String, Integer> perServer = new TreeMap<>();
        List<String> overlapDetails = new ArrayList<>();
        Map<String, String> previous = null;
        for (Map<String, String> o : byEntry) {
            perServer.merge(o.get("server"), 1, Integer::sum);
            long entry = num(o, "entryMicros");
            long exit = num(o, "exitMicros");
            assertTrue(exit >= entry, "exit before entry: " + o);
            if (previous != null) {
                if (entry < maxExitSoFar) {
                    overlaps++;
                    overlapDetails.add(previous.get("server") + "[" + previous.get("entryMicros") + ".."
                            + previous.get("exitMicros") + "] vs " + o.get("server") + "[" + entry + ".." + exit + "]");
                }
                if (num(o, "requestMicros") < num(previous, "exitMicros")) {
                    waited++; // this call was already waiting while the previous holder ran
                }
                if (!o.get("server").equals(previous.get("server"))) {
                    handovers++;
                }
                if (num(o, "inside.fencingToken") <= num(previous, "inside.fencingToken")) {
                    tokenInversions++;
                }
            }
            maxExitSoFar = Math.max(maxExitSoFar, exit);
            assertEquals("ACTIVE", o.get("inside.txStatus"), o.toString());
            assertEquals("true", o.get("inside.lockKeyExists"), o.toString());
            assertEquals("COMMITTED", o.get("afterCompletion.status"), o.toString());
            assertEquals("true", o.get("afterCompletion.lockKeyExists"), o.toString());
            previous = o;
        }
        long maxHoldersOnEntry = byEntry.stream().mapToLong(o -> num(o, "holdersOnEntry")).max().orElse(0);
        long counter;
        boolean keyLeft;
        String counted = RedisCommands.call(redisAddress, "GET", DataKeys.counter(jobId));
        counter = counted == null ? 0L : Long.parseLong(counted);
        keyLeft = exists(lockKey);
        report.add(String.format(Locale.ROOT,
                "mutual exclusion on %s: %d calls (%d threads x %d calls, pause %d ms) in %.1f s, per server %s;"
                        + " overlaps %d, max holders %d, counter %d/%d, calls that waited for another holder %d,"
                        + " handovers between servers %d, fencing-token inversions %d, tokens %s..%s",
                lockKey, expectedCalls, threads, callsPerThread, pauseMs, seconds, perServer, overlaps,
                maxHoldersOnEntry, counter, expectedCalls, waited, handovers, tokenInversions,
                byEntry.get(0).get("inside.fencingToken"), byEntry.get(byEntry.size() - 1).get("inside.fencingToken")));

        assertEquals(0, overlaps, "overlapping [entry, exit] intervals: " + overlapDetails);
        assertEquals(1, maxHoldersOnEntry, "more than one caller inside the locked method at once");
        assertEquals(expectedCalls, counter, "the non-atomic counter lost updates");
        assertEquals(servers.size(), perServer.size(), "every server ran calls: " + perServer);
        assertTrue(waited > 0, "no call ever waited: the test did not create contention");
        assertTrue(handovers > 0, "the lock never passed from one server to another");
        assertEquals(0, tokenInversions, "fencing tokens did not increase in lock order");
        assertFalse(keyLeft, lockKey + " still exists after all calls");
    }

    @Test
    @Order(4)
    void adapterFencingTokensIncreaseAcrossServersInCallOrder() throws Exception {
        String key = "fence-" + run;
        String lockKey = LockKey.of(key, KEY_PREFIX).redisKey();
        List<String> tokens = new ArrayList<>();
        long last = Long.MIN_VALUE;
        for (int round = 0; round < 3; round++) {
            for (ServerProcess server : servers) {
                Map<String, String> o = http.post(server.api.resolve("tokens/" + key), CALL_TIMEOUT);
                String where = server.name + " observed " + o;
                long token = num(o, "fencingToken");
                tokens.add(server.name + ":" + token);
                assertTrue(token > last, "token " + token + " not above " + last + ": " + tokens);
                last = token;
                assertEquals(key, o.get("leaseKey"), where);
                assertEquals("true", o.get("isHeld"), where);
                assertEquals("true", o.get("lockKeyExists"), where);
                assertEquals("false", o.get("isHeldAfterClose"), where);
                assertEquals("false", o.get("lockKeyExistsAfterClose"), where);
            }
        }
        assertFalse(exists(lockKey));
        report.add("Adapter.lock fencing tokens in call order: " + tokens);
    }

    /**
     * The one Redis that every server of the test shares: {@code REDIS_URL} when set; otherwise a
     * {@code redis-server} process on a free 127.0.0.1 port, started and stopped by the main project's test
     * fixture {@link RedisServerProcess} (the one on {@code PATH}, else the binary inside the embedded-redis jar).
     */
    @Test
    @Order(5)
    void stagesHandedToTheApplicationCompleteOffRedissonThreads() throws Exception {
        for (ServerProcess server : servers) {
            Map<String, String> o = http.post(server.api.resolve("completion-thread/completion-" + run), CALL_TIMEOUT);
            assertEquals("true", o.get("managedExecutor"),
                    server + ": java:comp/DefaultManagedExecutorService, which the library looks up, exists");
            assertFalse(o.get("dependentThread").contains("redisson"),
                    server + ": a dependent action of closeAsync() ran on " + o.get("dependentThread"));
            report.add(server.name + ": closeAsync() dependents ran on " + o.get("dependentThread"));
        }
    }

    /**
     * @param index the server's position in start order
     * @return the seconds field of its offset timers: seconds 0, 4, 8… for the first server, one second
     *         later for the others
     */
    private static String tickSecond(int index) {
        return index == 0 ? "*/4" : "1/4";
    }

    // ---- timer callbacks: once per cluster ------------------------------------------------------------

    @Test
    @Order(6)
    void aScheduleTickRunsOnceAcrossServersWithHoldAtLeast() throws Exception {
        TickWindow window = tickWindow();
        Map<Long, Integer> runs = window.runs(ScheduledJob.NAME);
        report.add("@Schedule(second = \"*/4\") @Locked(SKIP, holdAtLeast = 1500ms), every server at the same second: "
                + window.describe(ScheduledJob.NAME));
        assertEveryTickRanOnce(ScheduledJob.NAME, window, runs);
        // and not because only one server fired: every server's timer fired every tick (then all but one skipped)
        Map<Long, Set<String>> firedBy = attempts(ScheduledJob.NAME).stream()
                .filter(a -> a.tick() >= window.first() && a.tick() <= window.last())
                .collect(Collectors.groupingBy(Attempt::tick, TreeMap::new,
                        Collectors.mapping(Attempt::server, Collectors.toCollection(TreeSet::new))));
        Set<String> serverNames = servers.stream().map(server -> server.name).collect(Collectors.toCollection(TreeSet::new));
        Map<Long, Set<String>> notAll = new TreeMap<>();
        window.ticks().forEach(tick -> {
            if (!firedBy.getOrDefault(tick, Set.of()).equals(serverNames)) {
                notAll.put(tick, firedBy.getOrDefault(tick, Set.of()));
            }
        });
        report.add("@Schedule job: servers whose timer fired, per tick: " + firedBy);
        assertTrue(notAll.isEmpty(), "every server's timer must fire every tick (" + serverNames + "); ticks where not:"
                + " " + notAll);
    }

    @Test
    @Order(7)
    void anOffsetTimerTickRunsOnceAcrossServersWithHoldAtLeast() throws Exception {
        TickWindow window = tickWindow();
        Map<Long, Integer> runs = window.runs(OffsetHeldJob.NAME);
        report.add("@Timeout @Locked(SKIP, holdAtLeast = 1500ms), the other servers 1 s later: "
                + window.describe(OffsetHeldJob.NAME));
        assertEveryTickRanOnce(OffsetHeldJob.NAME, window, runs);
    }

    @Test
    @Order(8)
    void withoutHoldAtLeastTheOffsetServersRunTheSameTickAgain() throws Exception {
        TickWindow window = tickWindow();
        Map<Long, Integer> runs = window.runs(OffsetUnheldJob.NAME);
        report.add("control: @Timeout @Locked(SKIP) without holdAtLeast, the other servers 1 s later: "
                + window.describe(OffsetUnheldJob.NAME));
        long doubled = window.ticks().filter(tick -> runs.getOrDefault(tick, 0) > 1).count();
        long ticks = window.ticks().count();
        // the first server's run ends ~50 ms into the tick; the others fire 1 s later and find the lock free
        assertTrue(doubled * 2 >= ticks, "without holdAtLeast most ticks should run more than once (the offset"
                + " servers run them again), but only " + doubled + " of " + ticks + " did: " + runs);
        for (long tick : window.ticks().toArray()) {
            assertTrue(runs.getOrDefault(tick, 0) <= servers.size(), "tick " + tick + " ran more often than there are"
                    + " servers: " + runs);
        }
    }

    // ---- Jakarta Concurrency 3.1 @Asynchronous(runAt = @Schedule(...)): once per cluster ----------------

    @Test
    @Order(9)
    void runAtSchedulesRunWhereConcurrency31IsAndTheSameWarDeploysOnWildFly() {
        List<ServerProcess> ee11 = runAtServers();
        for (ServerProcess server : servers) {
            Map<String, String> o = runAtStarts.get(server.name);
            report.add(server.name + ": POST runat/start answered " + o);
            if (ee11.contains(server)) {
                assertEquals("true", o.get("runAtSupported"), server + ": " + server.kind + " has Concurrency 3.1: " + o);
                assertEquals("true", o.get("started"), server + ": the runAt schedules were started by this call: " + o);
            } else {
                // the WAR (compiled against Concurrency 3.1) deployed and answers; runAt is not there
                assertEquals("false", o.get("runAtSupported"), server + ": WildFly 39 has Concurrency 3.0: " + o);
                assertFalse(o.containsKey("started"), server + ": nothing may be scheduled there: " + o);
            }
        }
        assertTrue(ee11.size() >= 2, "the runAt tests need two instances of EE 11 servers (Payara Micro, Open Liberty),"
                + " got " + ee11.size() + " (-Dit.payara.instances, -Dit.liberty.instances)");
    }

    @Test
    @Order(10)
    void aRunAtVoidMethodRunsEveryTickOnceAcrossEe11Servers() {
        assertRunAtTicksRanOnce(RunAtJobs.LOCKED_VOID, "void");
    }

    @Test
    @Order(11)
    void aRunAtCompletableFutureMethodRunsEveryTickOnceAndASkippedTickDoesNotEndItsSchedule() {
        assertRunAtTicksRanOnce(RunAtJobs.LOCKED_FUTURE, "CompletableFuture (null: go on)");
    }

    @Test
    @Order(12)
    void withoutTheLockEveryEe11ServerRunsEveryRunAtTick() {
        TickWindow window = tickWindow();
        int instances = runAtServers().size();
        Map<Long, Integer> runs = window.runs(RunAtJobs.UNLOCKED);
        report.add("control: @Asynchronous(runAt = every 4 s) without @Locked on " + instances + " EE 11 servers "
                + names(runAtServers()) + ": " + window.describe(RunAtJobs.UNLOCKED));
        Map<Long, Integer> wrong = new TreeMap<>();
        window.ticks().forEach(tick -> {
            if (runs.getOrDefault(tick, 0) != instances) {
                wrong.put(tick, runs.getOrDefault(tick, 0));
            }
        });
        assertTrue(wrong.isEmpty(), "without @Locked every instance should run every tick (" + instances
                + " runs per tick); ticks that did not (tick=runs): " + wrong + "; log " + window.log(RunAtJobs.UNLOCKED));
    }

    @Test
    @Order(13)
    void returningACompletedResultEndsTheScheduleOnEachInstanceAndReleasesTheLock() {
        tickWindow(); // after the other runAt tests' window
        List<ServerProcess> ee11 = runAtServers();
        String lockKey = LockKey.of(RunAtJobs.LOCKED_FUTURE, KEY_PREFIX).redisKey();
        RedisCommands.call(redisAddress, "SET", DataKeys.runAtStop(), "1");
        // each instance ends its schedule at the first tick it wins after the flag: one tick after the other
        Map<String, String> states = new TreeMap<>();
        await("both runAt schedules of " + RunAtJobs.LOCKED_FUTURE + " end").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    for (ServerProcess server : ee11) {
                        states.put(server.name, http.get(server.api.resolve("runat/status"), CALL_TIMEOUT)
                                .get("lockedFuture"));
                    }
                    for (ServerProcess server : ee11) {
                        assertEquals("completed: stopped by " + server.name, states.get(server.name),
                                "states " + states);
                    }
                });
        long attemptsAtEnd = attempts(RunAtJobs.LOCKED_FUTURE).size();
        // no execution after the end: the attempts stay as they are for two more periods
        await("no execution of an ended schedule").during(Duration.ofSeconds(2 * TickLedger.PERIOD_SECONDS))
                .atMost(Duration.ofSeconds(4 * TickLedger.PERIOD_SECONDS)).pollInterval(Duration.ofMillis(250))
                .until(() -> attempts(RunAtJobs.LOCKED_FUTURE).size() == attemptsAtEnd);
        // the last run's lease: released (after holdAtLeast), not kept for a schedule that is over
        await(lockKey + " released").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> !exists(lockKey));
        report.add("runAt CompletableFuture job after the stop flag: " + states + ", " + attemptsAtEnd
                + " attempts in all, none after, " + lockKey + " released");
    }

    /**
     * Every tick of the window ran exactly once across the EE 11 servers; every one executed (attempted)
     * every tick, and no execution ran inside the call that started the schedule (the container's asynchronous
     * interceptor runs first and only schedules); and the
     * earliest attempt of each tick found the lock free, so no lease outlives its tick (plus holdAtLeast).
     */
    private void assertRunAtTicksRanOnce(String job, String returns) {
        TickWindow window = tickWindow();
        List<ServerProcess> ee11 = runAtServers();
        Map<Long, Integer> runs = window.runs(job);
        List<Attempt> attempts = attempts(job).stream().filter(a -> a.tick() >= window.first() && a.tick() <= window.last())
                .toList();
        Map<Long, List<Attempt>> byTick = attempts.stream()
                .collect(Collectors.groupingBy(Attempt::tick, TreeMap::new, Collectors.toList()));
        Set<String> threads = attempts.stream().map(Attempt::thread).collect(Collectors.toCollection(TreeSet::new));
        report.add("@Asynchronous(runAt = every 4 s) returning " + returns + ", @Locked(SKIP, holdAtLeast = 1500ms), on "
                + ee11.size() + " EE 11 servers " + names(ee11) + ": " + window.describe(job) + "; " + attempts.size()
                + " executions reached the interceptors, on threads " + threads);

        assertEveryTickRanOnce(job, window, runs);
        Map<Long, String> missing = new TreeMap<>();
        Map<Long, Attempt> lockedAtFirstAttempt = new TreeMap<>();
        window.ticks().forEach(tick -> {
            List<Attempt> inTick = byTick.getOrDefault(tick, List.of());
            Map<String, Long> perServer = inTick.stream()
                    .collect(Collectors.groupingBy(Attempt::server, TreeMap::new, Collectors.counting()));
            for (ServerProcess server : ee11) {
                if (perServer.getOrDefault(server.name, 0L) != 1L) {
                    missing.put(tick, perServer.toString());
                }
            }
            inTick.stream().min(Comparator.comparingLong(Attempt::micros)).filter(Attempt::lockExisted)
                    .ifPresent(first -> lockedAtFirstAttempt.put(tick, first));
        });
        assertTrue(missing.isEmpty(), job + ": every EE 11 server must execute every tick once (a skip must not end"
                + " its schedule); ticks that were not (tick=executions per server): " + missing);
        assertTrue(lockedAtFirstAttempt.isEmpty(), job + ": the lock was already taken at the first execution of these"
                + " ticks, so a lease outlived its tick: " + lockedAtFirstAttempt);
        Set<String> ee11Names = ee11.stream().map(p -> p.name).collect(Collectors.toSet());
        for (Attempt attempt : attempts(job)) {
            assertTrue(ee11Names.contains(attempt.server()), "only the EE 11 servers schedule runAt: " + attempt);
            // the container's asynchronous interceptor runs before the probe (+50) and @Locked (+100): the starting
            // call only schedules, and no execution reaches the probe inside it (a thread name cannot show this:
            // Open Liberty runs requests and executions in one pool)
            assertFalse(attempt.insideStartingCall(), "an execution reached the interceptors inside the call that"
                    + " started the schedule: " + attempt);
        }
    }

    /** One execution of a scheduled job as {@link TickProbeInterceptor} recorded it. */
    private record Attempt(long tick, String server, long micros, boolean lockExisted, boolean insideStartingCall,
                           String thread) {

        static Attempt parse(String line) {
            String[] f = line.split(" ", 6); // thread names may contain spaces (Open Liberty: "Default Executor-thread-3")
            return new Attempt(Long.parseLong(f[0]), f[1], Long.parseLong(f[2]), Boolean.parseBoolean(f[3]),
                    Boolean.parseBoolean(f[4]), f[5]);
        }
    }

    private List<Attempt> attempts(String job) {
        return RedisCommands.callForList(redisAddress, "LRANGE", DataKeys.tickAttempts(job), "0", "-1").stream()
                .map(Attempt::parse).toList();
    }

    /** @return the servers with Jakarta Concurrency 3.1 (EE 11): Payara Micro 7 and Open Liberty 26 */
    private List<ServerProcess> runAtServers() {
        return servers.stream().filter(s -> s.concurrency31).toList();
    }

    private static String names(List<ServerProcess> some) {
        return some.stream().map(s -> s.name).collect(Collectors.joining(", ", "[", "]"));
    }

    private void assertEveryTickRanOnce(String job, TickWindow window, Map<Long, Integer> runs) {
        assertTrue(window.ticks().count() >= 10, "fewer than 10 ticks observed: " + window);
        Map<Long, Integer> wrong = new TreeMap<>();
        window.ticks().forEach(tick -> {
            int count = runs.getOrDefault(tick, 0);
            if (count != 1) {
                wrong.put(tick, count);
            }
        });
        assertTrue(wrong.isEmpty(), job + ": ticks that did not run exactly once (tick=runs): " + wrong + "; log "
                + window.log(job));
    }

    private TickWindow ticks;

    /**
     * The ticks observed by all timer and runAt tests, waited for once: every tick that began after all
     * servers were up and ended before the test looked, at least 10 of them (about 48 s).
     */
    private TickWindow tickWindow() {
        if (ticks == null) {
            long period = TickLedger.PERIOD_SECONDS;
            long startSecond = redisSeconds();
            long first = startSecond / period + 1;
            long last = first + 10;
            // waiting for the timers to fire is the behaviour under test; the last tick's later firings
            // (one second after it began) are over once the tick after it has passed too
            await("tick " + (last + 2) + " on the Redis clock").atMost(Duration.ofSeconds((last + 3 - first) * period + 30))
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> redisSeconds() / period >= last + 2);
            ticks = new TickWindow(first, last, redisAddress);
        }
        return ticks;
    }

    private long redisSeconds() {
        return Long.parseLong(RedisCommands.callForList(redisAddress, "TIME").get(0));
    }

    /** Ticks {@code first..last} (inclusive), numbered as Redis TIME seconds / {@link TickLedger#PERIOD_SECONDS}. */
    private record TickWindow(long first, long last, String redisAddress) {

        java.util.stream.LongStream ticks() {
            return java.util.stream.LongStream.rangeClosed(first, last);
        }

        Map<Long, Integer> runs(String job) {
            List<String> flat = RedisCommands.callForList(redisAddress, "HGETALL", DataKeys.tickRuns(job));
            Map<Long, Integer> runs = new TreeMap<>();
            for (int i = 0; i + 1 < flat.size(); i += 2) {
                runs.put(Long.parseLong(flat.get(i)), Integer.parseInt(flat.get(i + 1)));
            }
            return runs;
        }

        List<String> log(String job) {
            return RedisCommands.callForList(redisAddress, "LRANGE", DataKeys.tickLog(job), "0", "-1").stream()
                    .filter(line -> {
                        long tick = Long.parseLong(line.substring(0, line.indexOf(' ')));
                        return tick >= first && tick <= last;
                    }).toList();
        }

        String describe(String job) {
            Map<Long, Integer> runs = runs(job);
            Map<String, Long> byServer = log(job).stream()
                    .collect(Collectors.groupingBy(line -> line.split(" ")[1], TreeMap::new, Collectors.counting()));
            String counts = ticks().mapToObj(tick -> Integer.toString(runs.getOrDefault(tick, 0)))
                    .collect(Collectors.joining(" "));
            return (last - first + 1) + " ticks " + first + ".." + last + ", runs per tick [" + counts
                    + "], runs per server " + byServer;
        }
    }

    /** Starts the OTLP receiver of a server about to start, and returns the settings that export to it. */
    private Map<String, String> telemetry(String serverName) throws IOException {
        OtlpReceiver receiver = OtlpReceiver.start(Set.of(ACQUIRE_DURATION, HOLD_DURATION));
        receivers.put(serverName, receiver);
        return ServerProcess.otlpMetrics(serverName, receiver.base(), receiver.metricsEndpoint());
    }

    /**
     * The library's OpenTelemetry metrics leave every server: its MicroProfile Telemetry (WildFly's microprofile-telemetry
     * subsystem, Payara Micro's, Open Liberty's mpTelemetry-2.1) is configured to export metrics over OTLP
     * http/protobuf every second to a receiver this test runs on 127.0.0.1, and after a locked request each receiver
     * gets a body carrying the name of the acquire duration histogram (protobuf strings are plain UTF-8). Every server is
     * checked before the test fails, so that the report names each one that did not export.
     */
    @Test
    @Order(14)
    void theLibrarysOpenTelemetryMetricsAreExportedByEveryServer() throws Exception {
        List<String> failures = new ArrayList<>();
        for (ServerProcess server : servers) {
            OtlpReceiver receiver = receivers.get(server.name);
            http.post(server.api.resolve("jobs/metrics-" + server.name + "-" + run + "?pauseMs=10"), CALL_TIMEOUT);
            long t0 = System.nanoTime();
            try {
                await(server.name + " exports " + ACQUIRE_DURATION + " to " + receiver.metricsEndpoint())
                        .atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                        .until(() -> receiver.saw(ACQUIRE_DURATION));
                report.add(String.format(Locale.ROOT, "%s exported the library's metrics over OTLP within %.1f s of a"
                        + " locked request: %s", server.name, (System.nanoTime() - t0) / 1e9, receiver.summary()));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                String failure = server.name + " (" + server.kind + ") exported no " + ACQUIRE_DURATION + " within 90 s: "
                        + receiver.summary() + "; its log on metrics and OpenTelemetry:\n    "
                        + String.join("\n    ", Processes.grep(server.log, "(?i)distributed-mutex records|opentelemetry|otel|otlp", 30));
                failures.add(failure);
                report.add(failure);
            }
        }
        if (!failures.isEmpty()) {
            fail(String.join("\n", failures));
        }
    }

    /**
     * Last, because it takes Redis away: killed, every server's readiness check turns DOWN (HTTP 503) with a reason
     * that names no Redis address; restarted on the same port, every check is UP again, without restarting a server.
     */
    @Test
    @Order(15)
    void readinessIsDownWhileRedisIsGoneAndUpAgainAfterItsRestart() {
        Assumptions.assumeTrue(redis != null, "REDIS_URL names the Redis: the test cannot kill it");
        int port = redis.port();
        long t0 = System.nanoTime();
        redis.kill();
        for (ServerProcess server : servers) {
            Readiness down = await(server.name + " readiness DOWN without Redis").atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                    .until(() -> readiness(server), r -> !r.up());
            assertEquals(503, down.httpStatus(), server.name + ": " + down.body());
            String reason = String.valueOf(down.data().get("reason"));
            assertFalse(reason.isBlank() || reason.equals("null"), server.name + ": no reason in " + down.body());
            assertFalse(reason.contains("redis://") || reason.contains(redisAddress),
                    server.name + ": the reason names the Redis address: " + reason);
            report.add(String.format(Locale.ROOT, "%s readiness DOWN %.1f s after Redis was killed: %s", server.name,
                    (System.nanoTime() - t0) / 1e9, reason));
        }
        long t1 = System.nanoTime();
        redis = RedisServerProcess.startOnPort(port);
        for (ServerProcess server : servers) {
            await(server.name + " readiness UP after Redis restarted").atMost(Duration.ofSeconds(180))
                    .pollInterval(Duration.ofSeconds(1)).ignoreExceptions()
                    .until(() -> readiness(server), r -> r.up() && r.httpStatus() == 200);
            report.add(String.format(Locale.ROOT, "%s readiness UP again %.1f s after Redis restarted", server.name,
                    (System.nanoTime() - t1) / 1e9));
        }
    }

    /** The distributed-mutex check in a server's readiness report, with the report's HTTP status and body. */
    private record Readiness(int httpStatus, boolean up, Map<?, ?> data, String body) {
    }

    private Readiness readiness(ServerProcess server) throws IOException, InterruptedException {
        Http.Response response = http.raw(server.health, Duration.ofSeconds(30));
        Object report = Json.parse(response.body());
        if (report instanceof Map<?, ?> map && map.get("checks") instanceof List<?> checks) {
            for (Object check : checks) {
                if (check instanceof Map<?, ?> c && "distributed-mutex".equals(c.get("name"))) {
                    Map<?, ?> data = c.get("data") instanceof Map<?, ?> d ? d : Map.of();
                    return new Readiness(response.status(), "UP".equals(c.get("status")), data, response.body());
                }
            }
        }
        throw new AssertionError(server.name + ": no distributed-mutex check in " + server.health + " (HTTP "
                + response.status() + "): " + response.body());
    }

    private void startRedis() {
        String url = System.getenv("REDIS_URL");
        String origin;
        if (url != null && !url.isBlank()) {
            redisAddress = url.trim();
            if (!RedisCommands.ping(redisAddress, Duration.ofSeconds(5))) {
                fail("REDIS_URL does not answer PING");
            }
            origin = "REDIS_URL";
        } else {
            redis = RedisServerProcess.start();
            takenPorts.add(redis.port());
            redisAddress = redis.address();
            origin = "redis-server " + RedisServerProcess.binary() + ", pid " + redis.pid();
        }
        String version = RedisCommands.call(redisAddress, "INFO", "server").lines()
                .filter(line -> line.startsWith("redis_version:")).findFirst().orElse("redis_version:?");
        report.add("redis: " + origin + ", " + version + ", " + redisAddress);
    }

    private boolean exists(String key) {
        return RedisCommands.callForLong(redisAddress, "EXISTS", key) == 1;
    }

    private static long num(Map<String, String> o, String key) {
        String value = o.get(key);
        if (value == null) {
            throw new AssertionError("no " + key + " in " + o);
        }
        return Long.parseLong(value);
    }

    private static Path existing(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("system property " + property + " not set (run through Maven: mvn verify)");
        }
        Path path = Path.of(value);
        if (!Files.exists(path)) {
            throw new IllegalStateException(property + " = " + path + " does not exist");
        }
        return path;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
