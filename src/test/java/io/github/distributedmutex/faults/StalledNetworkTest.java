package io.github.distributedmutex.faults;

import static io.github.distributedmutex.faults.Faults.SLACK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.testing.TcpProxy;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.Redisson;
import org.redisson.config.Config;

/**
 * The network between a holder and Redis stalls (a {@link TcpProxy} stops relaying, sockets stay open):
 * the holder's lease runs out, another instance, still connected directly, takes the lock over; when the
 * network comes back, the cut-off holder learns it lost the lock ({@code isHeld}, {@code extend}, the
 * watchdog), its release deletes nothing and is reported as an ERROR, and its fenced write is refused.
 * Calls made while the network is stalled fail within their bounded wait instead of hanging.
 */
@SlowTest
class StalledNetworkTest {

    private static final String KEY = "stall:tenant";
    private static final Duration LEASE = Duration.ofSeconds(2);
    /** The least time an acquisition attempt waits for Redis (docs/design.md, "Redis calls are bounded"). */
    private static final Duration MIN_ATTEMPT_TIME = Duration.ofSeconds(2);
    /**
     * The least time a call made during the library client's first connection attempt waits for it (docs/design.md,
     * "Redis calls are bounded").
     */
    private static final Duration FIRST_CONNECTION_TIME = Duration.ofSeconds(5);
    /**
     * On top of a documented bound: what a busy 2-core machine may add (thread wake-up, GC, logging). The
     * measured figures are 1 to 5 ms above the bound; a call that ran into a later timeout (Redisson's 3 s
     * response timeout, a second attempt) would be a second or more above it.
     */
    private static final Duration BUSY_MARGIN = Duration.ofMillis(900);
    /** A timed wait ends at its deadline, not before; this covers the truncation to whole milliseconds. */
    private static final Duration TIMER_TOLERANCE = Duration.ofMillis(20);
    private static final LockOptions LONG_WAIT = LockOptions.defaults().withMaxWait(LEASE.plus(SLACK));

    private RedisServerProcess redis;
    private TcpProxy proxy;
    private TestAdapters adapters;
    private FencedRegister register;
    private String redisKey;

    @BeforeEach
    void startRedisAndProxy() {
        redis = RedisServerProcess.start();
        proxy = TcpProxy.start(redis.port());
        adapters = TestAdapters.on(redis.address());
        register = new FencedRegister(redis.address(), "register:" + UUID.randomUUID().toString().substring(0, 8));
        redisKey = adapters.redisKey(KEY);
        // every command is recorded, so a test can prove that an attempt held up by the stall reached Redis later
        RedisCommands.call(redis.address(), "CONFIG", "SET", "slowlog-log-slower-than", "0");
        RedisCommands.call(redis.address(), "CONFIG", "SET", "slowlog-max-len", "100000");
    }

    @AfterEach
    void stopEverything() throws Exception {
        try {
            proxy.thaw(); // so the adapters' shutdown is not held up by a frozen network
            adapters.close();
        } finally {
            proxy.close();
            redis.close();
        }
    }

    @Test
    void aHolderCutOffFromRedisLosesItsLeaseAndItsLateWriteIsRefused() {
        RedisAdapter cutOff = instanceThrough(proxy.address());
        RedisAdapter direct = adapters.newInstance();
        Faults.warmUp(cutOff);
        Faults.warmUp(direct);

        Lease stale = cutOff.lock(KEY, LockOptions.defaults().withLease(LEASE));
        proxy.freeze();
        long frozenAt = System.nanoTime();
        Lease fresh = direct.lock(KEY, LONG_WAIT);
        try {
            Faults.figure("take-over after the holder's network froze, lease " + LEASE.toMillis() + " ms",
                    Faults.millisBetween(frozenAt, System.nanoTime()));
            assertThat(fresh.fencingToken()).isGreaterThan(stale.fencingToken());
            Faults.assertTakenOverOnlyAfterTheLease("take-over from a holder cut off from Redis",
                    stale.fencingToken(), fresh.fencingToken(), LEASE);
            assertThat(register.write(fresh.fencingToken(), "fresh")).isEqualTo(FencedRegister.Write.ACCEPTED);
            proxy.thaw();

            assertThat(stale.isHeld()).as("the cut-off holder learns it lost the lock").isFalse();
            assertThat(stale.extend(LEASE)).as("a lost lease cannot be extended").isFalse();
            try (LogCapture logs = LogCapture.start()) {
                stale.close();
                assertThat(logs.lines("ERROR")).as("the late release is reported, naming the key")
                        .anyMatch(line -> line.contains("'" + KEY + "'") && line.contains("expired before its release"));
            }
            assertThat(register.write(stale.fencingToken(), "stale")).as("the cut-off holder's late write")
                    .isEqualTo(FencedRegister.Write.REJECTED);
            assertThat(register.value()).isEqualTo("fresh");
            assertThat(fresh.isHeld()).as("the late release deleted nothing of the new holder's").isTrue();
            assertThat(Faults.lockToken(redis.address(), redisKey)).isEqualTo(fresh.fencingToken());
        } finally {
            fresh.close();
        }
        assertThat(Faults.lockExists(redis.address(), redisKey)).as("released, nothing left").isFalse();
    }

    @Test
    void aLockCallThroughAFrozenNetworkFailsWithinItsBoundedWait() {
        RedisAdapter cutOff = instanceThrough(proxy.address());
        Faults.warmUp(cutOff);
        String key = "stall:frozen-call";
        // a short lease: whatever the frozen attempts leave in Redis is gone soon after the thaw
        LockOptions oneSecond = LockOptions.defaults().withMaxWait(Duration.ofSeconds(1)).withLease(LEASE);

        proxy.freeze();
        long start = System.nanoTime();
        assertThatThrownBy(() -> cutOff.lock(key, oneSecond)).isInstanceOf(LockUnavailableException.class)
                .hasMessageContaining(key);
        long failedAfter = Faults.millisBetween(start, System.nanoTime());
        Faults.figure("lock() through a frozen network, maxWait 1000 ms, until LockUnavailableException", failedAfter);
        // the bound: a wait of 1 s is shorter than the 2 s every acquisition attempt gets (README)
        assertAbout("lock() with maxWait 1 s through a frozen network", failedAfter, MIN_ATTEMPT_TIME);

        long tryStart = System.nanoTime();
        assertThatThrownBy(() -> cutOff.tryLock(key, oneSecond.withMaxWait(Duration.ZERO)))
                .as("tryLock does not answer 'empty' either")
                .isInstanceOf(LockUnavailableException.class);
        long tryFailedAfter = Faults.millisBetween(tryStart, System.nanoTime());
        Faults.figure("tryLock(ZERO) through a frozen network, until LockUnavailableException", tryFailedAfter);
        assertAbout("tryLock(ZERO) through a frozen network", tryFailedAfter, MIN_ATTEMPT_TIME);

        // an instance that starts while the network is frozen fails within the bound as well
        RedisAdapter lateStarter = instanceThrough(proxy.address());
        long lateStart = System.nanoTime();
        assertThatThrownBy(() -> lateStarter.lock(key, oneSecond)).isInstanceOf(LockUnavailableException.class);
        long lateFailedAfter = Faults.millisBetween(lateStart, System.nanoTime());
        Faults.figure("lock() of an instance started behind a frozen network, until LockUnavailableException",
                lateFailedAfter);
        assertAbout("lock() of an instance started behind a frozen network", lateFailedAfter, FIRST_CONNECTION_TIME);

        proxy.thaw();
        // the two attempts held up by the stall (lock and tryLock of the first instance) reach Redis now
        await("the frozen attempts reach Redis after the thaw").atMost(SLACK).pollInterval(Duration.ofMillis(50))
                .until(() -> attemptsSeenByRedis(adapters.redisKey(key), LEASE) == 2);
        // nobody stuck: both instances work again without a restart, and the key is free again at the latest
        // when the lease of any attempt that reached Redis late runs out
        Faults.warmUp(cutOff);
        Faults.warmUp(lateStarter);
        await("the key is free again").atMost(LEASE.plus(SLACK)).pollInterval(Duration.ofMillis(50))
                .until(() -> !Faults.lockExists(redis.address(), adapters.redisKey(key)));
        try (Lease lease = lateStarter.lock(key, LockOptions.defaults().withMaxWait(Duration.ZERO))) {
            assertThat(lease.isHeld()).isTrue();
        }
    }

    @Test
    void anAttemptThatSucceedsAfterItsCallerGaveUpIsGivenBack() {
        // A client whose own response timeout (30 s) outlasts the stall, so the late answer reaches the library.
        Settings settings = adapters.settings().withRedisAddress(proxy.address());
        Config config = new Config();
        config.useSingleServer().setAddress(proxy.address()).setTimeout(30_000);
        RedisAdapter cutOff = adapters.register(new RedisAdapter(Redisson.create(config), settings, true));
        Faults.warmUp(cutOff);
        String key = "stall:late-grant";
        String lateKey = adapters.redisKey(key);

        try (LogCapture logs = LogCapture.start()) {
            proxy.freeze();
            assertThatThrownBy(() -> cutOff.lock(key, LockOptions.defaults().withMaxWait(Duration.ofSeconds(1))
                    .withLease(Duration.ofSeconds(60)))).isInstanceOf(LockUnavailableException.class);
            proxy.thaw(); // the attempt now reaches Redis and is granted, with nobody waiting for it
            await("the late grant is given back").atMost(SLACK).pollInterval(Duration.ofMillis(20))
                    .until(() -> !Faults.lockExists(redis.address(), lateKey)
                            && logs.lines("WARN").stream().anyMatch(line -> line.contains("'" + key + "'")
                            && line.contains("after the caller stopped waiting")));
        }
        assertThat(cutOff.heldLocks()).isZero();
    }

    /**
     * An acquisition attempt that reaches Redis only after the Redisson client's own response timeout (3 s by
     * default), when its future has long failed, leaves no lock behind: the library abandons every attempt
     * whose answer it did not get ({@code RedisAdapter.giveBackUnanswered}, {@code RedisLockStore.abandon}),
     * so the late attempt is either refused by the abandon marker or deleted by the abandon script, in whichever
     * order the two reach Redis. The test proves that the late attempt did reach Redis (its {@code SLOWLOG}),
     * so it cannot pass because the attempt was lost on the way.
     */
    @Test
    void anAttemptThatReachesRedisAfterTheClientTimedOutLeavesNoLockBehind() throws Exception {
        RedisAdapter cutOff = instanceThrough(proxy.address());
        Faults.warmUp(cutOff);
        String key = "stall:orphan";
        String orphanKey = adapters.redisKey(key);

        proxy.freeze();
        long start = System.nanoTime();
        assertThatThrownBy(() -> cutOff.lock(key, LockOptions.defaults().withMaxWait(Duration.ofSeconds(1))
                .withLease(Duration.ofSeconds(60)))).isInstanceOf(LockUnavailableException.class);
        // The stall under test: longer than Redisson's default response timeout of 3 s.
        Thread.sleep(Math.max(0, 4_500 - Faults.millisBetween(start, System.nanoTime())));
        proxy.thaw();
        await("the frozen attempt reaches Redis after the thaw").atMost(SLACK).pollInterval(Duration.ofMillis(50))
                .until(() -> attemptsSeenByRedis(orphanKey, Duration.ofSeconds(60)) == 1);
        Faults.warmUp(cutOff);

        await("no lock left behind by the abandoned attempt").atMost(SLACK).pollInterval(Duration.ofMillis(50))
                .until(() -> !Faults.lockExists(redis.address(), orphanKey));
    }

    @Test
    void aWatchdogLeaseFrozenPastItsLeaseIsReportedLostAfterTheThaw() throws Exception {
        RedisAdapter cutOff = instanceThrough(proxy.address());
        RedisAdapter direct = adapters.newInstance();
        Faults.warmUp(cutOff);
        Faults.warmUp(direct);

        try (LogCapture logs = LogCapture.start()) {
            Lease stale = cutOff.lock(KEY, LockOptions.defaults().withLease(LEASE).withWatchdog(true));
            proxy.freeze();
            long frozenAt = System.nanoTime();
            Lease fresh = direct.lock(KEY, LONG_WAIT);
            try {
                assertThat(fresh.fencingToken()).isGreaterThan(stale.fencingToken());
                Faults.assertTakenOverOnlyAfterTheLease("take-over from a watchdog holder cut off from Redis",
                        stale.fencingToken(), fresh.fencingToken(), LEASE);
                // The stall under test: keep the network frozen for longer than the whole lease.
                Thread.sleep(Math.max(0, LEASE.toMillis() + 500 - Faults.millisBetween(frozenAt, System.nanoTime())));
                proxy.thaw();
                long thawedAt = System.nanoTime();

                await("the watchdog reports the lost lease").atMost(LEASE.plus(SLACK)).pollInterval(Duration.ofMillis(20))
                        .until(() -> logs.lines("ERROR").stream().anyMatch(line -> line.contains("'" + KEY + "'")
                                && line.contains("was lost while held")));
                Faults.figure("watchdog reports the lost lease after the thaw, lease " + LEASE.toMillis() + " ms",
                        Faults.millisBetween(thawedAt, System.nanoTime()));
                assertThat(stale.isHeld()).isFalse();
                assertThat(stale.extend(LEASE)).isFalse();
                stale.close();
                assertThat(logs.lines("ERROR")).anyMatch(line -> line.contains("'" + KEY + "'")
                        && line.contains("expired before its release"));
                assertThat(fresh.isHeld()).as("nothing of the new holder's was touched").isTrue();
                assertThat(Faults.lockToken(redis.address(), redisKey)).isEqualTo(fresh.fencingToken());
                assertThat(register.write(fresh.fencingToken(), "fresh")).isEqualTo(FencedRegister.Write.ACCEPTED);
                assertThat(register.write(stale.fencingToken(), "stale")).isEqualTo(FencedRegister.Write.REJECTED);
            } finally {
                fresh.close();
            }
        }
        assertThat(Faults.lockExists(redis.address(), redisKey)).as("released, nothing left").isFalse();
    }

    /** Asserts that a call through the frozen network failed after its documented bound, not earlier, not much later. */
    private static void assertAbout(String what, long tookMillis, Duration documented) {
        assertThat(Duration.ofMillis(tookMillis)).as("%s: time until LockUnavailableException, documented: %d ms",
                what, documented.toMillis()).isBetween(documented.minus(TIMER_TOLERANCE), documented.plus(BUSY_MARGIN));
    }

    /**
     * @return how many distinct acquisition attempts of the library for {@code redisKey} with the lease {@code lease}
     *         (first attempts, not marked as waiting) Redis has run, read from its {@code SLOWLOG}, which records every
     *         command on this test's server. Each attempt has an owner id of its own; the acquisition script gets the
     *         lock key, the attempt's abandon marker, the owner, the lease and the waiting flag (the abandon script
     *         ends with the release channel instead). Redisson may send one attempt more than once: counted once.
     */
    private long attemptsSeenByRedis(String redisKey, Duration lease) {
        // ACQUIRE: the lock, the owner's marker, then its arguments; with fair hand-off (the default) the two queue
        // keys come between the marker and the arguments, and more arguments follow
        Pattern acquisition = Pattern.compile(Pattern.quote(redisKey) + ", " + Pattern.quote(redisKey)
                + ":abandoned:([^,\\]]+), (?:" + Pattern.quote(redisKey + ":queue") + ", "
                + Pattern.quote(redisKey + ":queue:expiry") + ", )?\\1, " + lease.toMillis() + ", 0, [01][,\\]]");
        return RedisCommands.callForList(redis.address(), "SLOWLOG", "GET", "-1").stream()
                .map(acquisition::matcher).filter(Matcher::find).map(matcher -> matcher.group(1)).distinct().count();
    }

    /** An application instance on its own client that reaches Redis at {@code address}, with the test's prefix. */
    private RedisAdapter instanceThrough(String address) {
        Settings settings = adapters.settings().withRedisAddress(address);
        return adapters.register(new RedisAdapter(RedissonClientFactory.connect(settings), settings));
    }
}
