package io.github.distributedmutex.faults;

import static io.github.distributedmutex.faults.Faults.CLOCK_TOLERANCE_MICROS;
import static io.github.distributedmutex.faults.Faults.SLACK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.internal.config.SettingsReader;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.JvmProcess;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code lockAll} between separate application instances (JVMs) on one Redis server: callers that give the same
 * two keys in opposite orders never deadlock and never overlap, and a holder of half a set that dies with
 * {@code kill -9} blocks the set only until its lease ends, while the other half stays free. On one server the
 * whole set is taken by one script, so the opposite-order test proves all-or-nothing in one script across JVMs,
 * not the canonical order (removing the sort cannot make it fail); the two-JVM test of the order is
 * {@code ClusterLockAllTest.twoProcessesLockingOppositeOrdersAcrossMastersNeverDeadlock}, whose keys are on
 * different masters.
 */
@SlowTest
class LockAllAcrossProcessesTest {

    private static final int ROUNDS = 40;

    @Test
    void twoProcessesLockingOppositeOrdersNeverDeadlockNorOverlap() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start();
             TestAdapters adapters = TestAdapters.on(redis.address())) {
            String prefix = adapters.settings().keyPrefix();
            String go = prefix + "go";
            Map<String, String> common = Map.of(SettingsReader.REDIS_ADDRESS, redis.address(),
                    SettingsReader.KEY_PREFIX, prefix, SetLockerMain.ROUNDS, Integer.toString(ROUNDS),
                    SetLockerMain.GO_LIST, go, SetLockerMain.INSIDE, prefix + "inside",
                    SetLockerMain.COUNTER, prefix + "counter", SetLockerMain.MAX_WAIT, "60s");
            try (JvmProcess ab = SetLockerMain.start("locks-a-b", with(common, "account:A,account:B"));
                 JvmProcess ba = SetLockerMain.start("locks-b-a", with(common, "account:B,account:A"))) {
                ab.awaitLine("READY"::equals, Duration.ofSeconds(90));
                ba.awaitLine("READY"::equals, Duration.ofSeconds(90));
                RedisCommands.call(redis.address(), "RPUSH", go, "go", "go");
                for (Map.Entry<String, JvmProcess> named : Map.of("locks-a-b", ab, "locks-b-a", ba).entrySet()) {
                    JvmProcess process = named.getValue();
                    process.awaitLine(line -> line.startsWith("DONE") || line.startsWith("FAILED"),
                            Duration.ofMinutes(3));
                    assertThat(process.awaitExit(Duration.ofSeconds(60))).as("exit status of %s", named.getKey())
                            .isZero();
                    assertThat(process.lines()).as("output of %s", named.getKey())
                            .noneMatch(line -> line.startsWith("OVERLAP") || line.startsWith("FAILED"))
                            .contains("DONE rounds=" + ROUNDS);
                }
                assertThat(RedisCommands.call(redis.address(), "GET", prefix + "counter"))
                        .as("non-atomic increments under the set: none lost").isEqualTo(Integer.toString(2 * ROUNDS));
                assertThat(RedisCommands.callForList(redis.address(), "KEYS", prefix + "{*"))
                        .as("no lock left behind").isEmpty();
            }
        }
    }

    /**
     * A holder of {@code half:a} is killed: a caller of {@code lockAll([half:a, half:b])} waits for it without
     * taking {@code half:b} meanwhile (it stays free for everyone), and gets the set when the dead holder's lease
     * ends, not before.
     */
    @Test
    void aKilledHolderOfHalfTheSetBlocksItOnlyUntilItsLeaseEndsAndTheOtherHalfStaysFree() throws Exception {
        Duration lease = Duration.ofSeconds(3);
        ExecutorService waiting = Executors.newSingleThreadExecutor();
        try (RedisServerProcess redis = RedisServerProcess.start();
             TestAdapters adapters = TestAdapters.on(redis.address())) {
            RedisAdapter waiter = adapters.newInstance();
            RedisAdapter bystander = adapters.newInstance();
            Faults.warmUp(waiter);
            Faults.warmUp(bystander);
            String halfA = adapters.redisKey("half:a");
            try (JvmProcess holder = LockHolderMain.start("half-holder", redis.address(),
                    adapters.settings().keyPrefix(), "half:a", lease, false, null, null)) {
                long holderToken = LockHolderMain.awaitHolding(holder);
                Future<Lease> set = waiting.submit(() -> waiter.lockAll(List.of("half:b", "half:a"),
                        LockOptions.defaults().withMaxWait(Duration.ofSeconds(60))));
                await("the set's caller waits for half:a").atMost(Duration.ofSeconds(30))
                        .until(() -> "1".equals(Faults.lockField(redis.address(), halfA, "waiters")));
                assertThat(Faults.lockExists(redis.address(), adapters.redisKey("half:b")))
                        .as("half:b is not taken while the set waits").isFalse();
                try (Lease other = bystander.tryLock("half:b", Duration.ZERO).orElseThrow()) {
                    assertThat(other.isHeld()).as("another caller gets half:b meanwhile").isTrue();
                }
                assertThat(set).isNotDone();
                long killed = System.nanoTime();
                holder.kill();
                try (Lease both = set.get(lease.plus(SLACK).toMillis(), TimeUnit.MILLISECONDS)) {
                    Faults.figure("set acquired after kill -9 of half its holder, lease " + lease.toMillis() + " ms",
                            Faults.millisBetween(killed, System.nanoTime()));
                    assertThat(both.fencingToken("half:a") - holderToken)
                            .as("microseconds the dead holder kept half:a, on the Redis clock: its whole lease")
                            .isGreaterThanOrEqualTo(lease.toNanos() / 1000 - CLOCK_TOLERANCE_MICROS);
                    assertThat(both.isHeld()).isTrue();
                }
                assertThat(RedisCommands.callForList(redis.address(), "KEYS", adapters.settings().keyPrefix() + "{half*"))
                        .as("nothing left after the close").isEmpty();
            }
        } finally {
            Faults.shutdown(waiting);
        }
    }

    private static Map<String, String> with(Map<String, String> common, String keys) {
        Map<String, String> properties = new LinkedHashMap<>(common);
        properties.put(SetLockerMain.KEYS, keys);
        return properties;
    }
}
