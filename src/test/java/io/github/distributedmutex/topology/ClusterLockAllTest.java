package io.github.distributedmutex.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockNotAcquiredException;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.faults.SetLockerMain;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.config.SettingsReader;
import io.github.distributedmutex.internal.key.LockKey;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import io.github.distributedmutex.testing.JvmProcess;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.OppositeOrders;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.SlowTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lockAll} on a real Redis Cluster (three masters): the keys of a set live on different slots and nodes, so
 * the set is taken slot after slot in the canonical order (each slot's keys in one script), holding the slots
 * already taken while waiting for the next. Opposite-order callers (threads, and two JVMs) never deadlock, a
 * failed set gives back the slots it took, every key of a returned set holds a whole lease, a key that ran out
 * meanwhile is taken again without a false lost-lease ERROR, a set over several slots has no single fencing token,
 * and a process killed while holding half a set blocks that half until its lease ends.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@SlowTest
class ClusterLockAllTest {

    private ClusterServers cluster;
    private Path yaml;
    private Settings settings;
    private RedisAdapter instanceA;
    private RedisAdapter instanceB;

    @BeforeAll
    void startCluster(@TempDir Path directory) throws IOException {
        cluster = ClusterServers.start(Files.createDirectories(directory.resolve("cluster")), false);
        yaml = cluster.writeRedissonYaml(directory.resolve("redisson-cluster.yaml"));
        String prefix = "set-" + UUID.randomUUID().toString().substring(0, 8) + ":";
        settings = new Settings(Settings.DEFAULT_ADDRESS, Optional.of(yaml), Duration.ofSeconds(20),
                Duration.ofSeconds(30), prefix).withInstanceName("cluster-a");
        instanceA = new RedisAdapter(RedissonClientFactory.connect(settings), settings);
        Settings settingsB = settings.withInstanceName("cluster-b");
        instanceB = new RedisAdapter(RedissonClientFactory.connect(settingsB), settingsB);
        for (RedisAdapter adapter : List.of(instanceA, instanceB)) {
            await("connected").atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                adapter.lock("warm-up").close();
                return true;
            });
        }
    }

    @AfterAll
    void stopCluster() throws Exception {
        try (ClusterServers killed = cluster; RedisAdapter a = instanceA; RedisAdapter b = instanceB) {
            // closed in reverse order
        }
    }

    /** The library's slot is the cluster's, and the keys are taken in slot order: each grant after the one before. */
    @Test
    void keysOnDifferentNodesAreTakenInSlotOrder() {
        List<String> keys = keysOnEveryMaster("order");
        for (String key : keys) {
            LockKey lockKey = lockKey(key);
            assertThat(lockKey.slot()).as("slot of %s", key).isEqualTo(cluster.slotOf(lockKey.redisKey()));
        }
        List<String> reversed = new ArrayList<>(keys);
        reversed.sort(Comparator.comparingInt((String key) -> lockKey(key).slot()).reversed());
        try (Lease lease = instanceA.lockAll(reversed, LockOptions.defaults())) {
            assertThat(lease.keys()).as("lock order").isEqualTo(inSlotOrder(keys));
            List<Long> tokens = lease.keys().stream().map(lease::fencingToken).toList();
            assertThat(tokens).as("grant times (tokens) in lock order: one node after the other").isSorted()
                    .doesNotHaveDuplicates();
            assertThatThrownBy(lease::fencingToken).as("one token for keys granted by different nodes")
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("fencingToken(key)");
            for (String key : keys) {
                LockKey lockKey = lockKey(key);
                assertThat(RedisCommands.callForLong(cluster.masterOfSlot(lockKey.slot()).address(), "EXISTS",
                        lockKey.redisKey())).as("%s held on the master of its slot", key).isEqualTo(1);
            }
        }
    }

    /** Keys that share a slot are taken by one script on that slot's master. */
    @Test
    void keysSharingASlotAreTakenByOneScript() {
        String first = "same-slot:0";
        int slot = lockKey(first).slot();
        String second = null;
        for (int i = 1; second == null; i++) {
            if (lockKey("same-slot:" + i).slot() == slot) {
                second = "same-slot:" + i;
            }
        }
        assertThat(cluster.slotOf(lockKey(second).redisKey())).isEqualTo(slot);
        ClusterServers.Node master = cluster.masterOfSlot(slot);
        instanceA.lockAll(List.of(first, second), LockOptions.defaults()).close(); // the node learns the script
        RedisCommands.call(master.address(), "CONFIG", "RESETSTAT");
        try (Lease lease = instanceA.lockAll(List.of(second, first), LockOptions.defaults())) {
            assertThat(scriptCalls(master)).as("script calls on the slot's master to take both keys").isEqualTo(1);
            assertThat(lease.fencingToken(first)).isEqualTo(lease.fencingToken(second));
            assertThat(lease.fencingToken()).as("the one token of a set granted by one script")
                    .isEqualTo(lease.fencingToken(first));
        }
    }

    /**
     * The last slot of the set is held by another instance: the slots taken before it are given back when the wait
     * runs out, so nothing of the set is held.
     */
    @Test
    void aFailedSetGivesBackTheSlotsItTook() {
        List<String> keys = inSlotOrder(keysOnEveryMaster("give-back"));
        String last = keys.get(keys.size() - 1);
        try (Lease held = instanceB.lock(last)) {
            assertThatThrownBy(() -> instanceA.lockAll(keys, LockOptions.defaults()
                    .withMaxWait(Duration.ofMillis(500))))
                    .isInstanceOfSatisfying(LockNotAcquiredException.class, e -> {
                        assertThat(e.key()).isEqualTo(last);
                        assertThat(e.holderInstance()).contains("cluster-b");
                    });
            for (String key : keys.subList(0, keys.size() - 1)) {
                LockKey lockKey = lockKey(key);
                assertThat(RedisCommands.callForLong(cluster.masterOfSlot(lockKey.slot()).address(), "EXISTS",
                        lockKey.redisKey())).as("%s given back", key).isZero();
            }
            assertThat(held.isHeld()).isTrue();
        }
    }

    /**
     * The first slot of a set is taken, the second waits for another holder: once the set is returned, every key
     * holds at least the whole lease from then (the first one is extended, whatever was left of it), so no other
     * instance can take it while the set's holder works within its lease.
     */
    @Test
    void everyKeyOfASetHoldsAWholeLeaseFromItsReturn() throws Exception {
        List<String> keys = inSlotOrder(keysOnEveryMaster("whole-lease")).subList(0, 2);
        LockKey low = lockKey(keys.get(0));
        LockKey high = lockKey(keys.get(1));
        String lowMaster = cluster.masterOfSlot(low.slot()).address();
        String highMaster = cluster.masterOfSlot(high.slot()).address();
        Duration lease = Duration.ofSeconds(6);
        Lease blocker = instanceB.lock(keys.get(1));
        CompletableFuture<Lease> set = CompletableFuture.supplyAsync(() -> instanceA.lockAll(keys,
                LockOptions.defaults().withLease(lease).withMaxWait(Duration.ofSeconds(20))));
        try {
            // let the first key's lease run down by a sixth (still over two thirds) while the second is waited for
            await("the first key held and a second of its lease used").atMost(Duration.ofSeconds(30))
                    .until(() -> RedisCommands.callForLong(lowMaster, "PTTL", low.redisKey()),
                            pttl -> pttl > 0 && pttl < lease.toMillis() - 1_000);
        } finally {
            blocker.close();
        }
        try (Lease held = set.get(30, TimeUnit.SECONDS)) {
            long pttlLow = RedisCommands.callForLong(lowMaster, "PTTL", low.redisKey());
            long pttlHigh = RedisCommands.callForLong(highMaster, "PTTL", high.redisKey());
            assertThat(pttlLow).as("PTTL of the early key right after lockAll returned, lease %s ms", lease.toMillis())
                    .isGreaterThan(lease.toMillis() - 500);
            assertThat(pttlHigh).as("PTTL of the last key right after lockAll returned")
                    .isGreaterThan(lease.toMillis() - 500);
            assertThat(held.isHeld()).isTrue();
        }
    }

    /**
     * The first key of a set runs out (lease 1 s) while the second is waited for: the set is not handed out with a
     * lost part. It is taken again within the wait that is left, and no ERROR claims that mutual exclusion may have
     * been broken for a part that was never handed out.
     */
    @Test
    void aSetWhoseFirstKeyRanOutWhileWaitingIsTakenAgainWithinItsWait() throws Exception {
        List<String> keys = inSlotOrder(keysOnEveryMaster("ran-out")).subList(0, 2);
        LockKey low = lockKey(keys.get(0));
        String lowMaster = cluster.masterOfSlot(low.slot()).address();
        Lease blocker = instanceB.lock(keys.get(1));
        try (LogCapture logs = LogCapture.start()) {
            CompletableFuture<Lease> set = CompletableFuture.supplyAsync(() -> instanceA.lockAll(keys,
                    LockOptions.defaults().withLease(Duration.ofSeconds(1)).withMaxWait(Duration.ofSeconds(20))));
            try {
                await("the first key taken").atMost(Duration.ofSeconds(30))
                        .until(() -> RedisCommands.callForLong(lowMaster, "EXISTS", low.redisKey()) == 1);
                await("the first key's lease ran out while the second is waited for").atMost(Duration.ofSeconds(30))
                        .until(() -> RedisCommands.callForLong(lowMaster, "EXISTS", low.redisKey()) == 0);
            } finally {
                blocker.close();
            }
            try (Lease held = set.get(30, TimeUnit.SECONDS)) {
                assertThat(held.keys()).isEqualTo(keys);
                assertThat(held.isHeld()).as("every key of the set handed out is held").isTrue();
            }
            assertThat(logs.lines("ERROR")).as("ERRORs about a part never handed out")
                    .noneMatch(line -> line.contains("expired before its release") || line.contains("utual exclusion"));
        }
        assertThat(instanceA.heldLocks()).isZero();
    }

    /**
     * The first key of a set runs out while the second is waited for, and another instance takes it: the set is
     * given back and waited for again; when the wait ends, the exception names that key and its new holder, and
     * no ERROR claims that a lease of the set's caller expired before its release (it was never handed out).
     */
    @Test
    void aSetWhoseFirstKeyWasTakenMeanwhileFailsNamingThatKey() throws Exception {
        List<String> keys = inSlotOrder(keysOnEveryMaster("taken-meanwhile")).subList(0, 2);
        LockKey low = lockKey(keys.get(0));
        String lowMaster = cluster.masterOfSlot(low.slot()).address();
        Lease blocker = instanceB.lock(keys.get(1));
        Lease taker = null;
        try (LogCapture logs = LogCapture.start()) {
            CompletableFuture<Lease> set = CompletableFuture.supplyAsync(() -> instanceA.lockAll(keys,
                    LockOptions.defaults().withLease(Duration.ofSeconds(1)).withMaxWait(Duration.ofSeconds(5))));
            try {
                await("the first key taken").atMost(Duration.ofSeconds(30))
                        .until(() -> RedisCommands.callForLong(lowMaster, "EXISTS", low.redisKey()) == 1);
                await("the first key's lease ran out while the second is waited for").atMost(Duration.ofSeconds(30))
                        .until(() -> RedisCommands.callForLong(lowMaster, "EXISTS", low.redisKey()) == 0);
                taker = instanceB.lock(keys.get(0), LockOptions.defaults().withLease(Duration.ofSeconds(30)));
            } finally {
                blocker.close();
            }
            assertThat(set).failsWithin(Duration.ofSeconds(30)).withThrowableOfType(Exception.class)
                    .havingCause().isInstanceOfSatisfying(LockNotAcquiredException.class, e -> {
                        assertThat(e.key()).isEqualTo(keys.get(0));
                        assertThat(e.holderInstance()).contains("cluster-b");
                    });
            assertThat(logs.lines("ERROR")).as("ERRORs about a part never handed out")
                    .noneMatch(line -> line.contains("expired before its release") || line.contains("utual exclusion"));
        } finally {
            if (taker != null) {
                taker.close();
            }
        }
        assertThat(instanceA.heldLocks()).isZero();
        assertThat(RedisCommands.callForLong(cluster.masterOfSlot(lockKey(keys.get(1)).slot()).address(), "EXISTS",
                lockKey(keys.get(1)).redisKey())).as("the second key given back").isZero();
    }

    /**
     * Two application instances (JVMs) lock the same keys on different masters in opposite orders, many times:
     * without the canonical order each would hold the key the other waits for (a deadlock until the wait runs
     * out, which this test reports as a failure); with it, neither deadlocks and they never overlap.
     */
    @Test
    void twoProcessesLockingOppositeOrdersAcrossMastersNeverDeadlock() throws Exception {
        List<String> keys = inSlotOrder(keysOnEveryMaster("processes")).subList(0, 2);
        int rounds = 25;
        try (RedisServerProcess resource = RedisServerProcess.start()) {
            String prefix = settings.keyPrefix();
            String go = prefix + "go";
            Map<String, String> common = new LinkedHashMap<>();
            common.put(SettingsReader.REDIS_CONFIG_FILE, yaml.toString());
            common.put(SettingsReader.KEY_PREFIX, prefix);
            common.put(SetLockerMain.ROUNDS, Integer.toString(rounds));
            common.put(SetLockerMain.GO_LIST, go);
            common.put(SetLockerMain.INSIDE, prefix + "inside");
            common.put(SetLockerMain.COUNTER, prefix + "counter");
            common.put(SetLockerMain.RESOURCE_ADDRESS, resource.address());
            common.put(SetLockerMain.MAX_WAIT, "15s");
            Map<String, String> forward = new LinkedHashMap<>(common);
            forward.put(SetLockerMain.KEYS, keys.get(0) + "," + keys.get(1));
            Map<String, String> backward = new LinkedHashMap<>(common);
            backward.put(SetLockerMain.KEYS, keys.get(1) + "," + keys.get(0));
            try (JvmProcess first = JvmProcess.start("forward", SetLockerMain.class, withInstance(forward, "forward"));
                 JvmProcess second = JvmProcess.start("backward", SetLockerMain.class,
                         withInstance(backward, "backward"))) {
                first.awaitLine("READY"::equals, Duration.ofSeconds(90));
                second.awaitLine("READY"::equals, Duration.ofSeconds(90));
                RedisCommands.call(resource.address(), "RPUSH", go, "go", "go");
                for (Map.Entry<String, JvmProcess> named : Map.of("forward", first, "backward", second).entrySet()) {
                    JvmProcess process = named.getValue();
                    process.awaitLine(line -> line.startsWith("DONE") || line.startsWith("FAILED"),
                            Duration.ofMinutes(2));
                    assertThat(process.lines()).as("output of %s", named.getKey())
                            .noneMatch(line -> line.startsWith("OVERLAP") || line.startsWith("FAILED"))
                            .contains("DONE rounds=" + rounds);
                    assertThat(process.awaitExit(Duration.ofSeconds(60))).as("exit status of %s", named.getKey())
                            .isZero();
                }
                assertThat(RedisCommands.call(resource.address(), "GET", prefix + "counter"))
                        .as("non-atomic increments under the set: none lost").isEqualTo(Integer.toString(2 * rounds));
            }
        }
    }

    /** Threads of two instances lock keys on three nodes, half of them in the reverse order: no deadlock, no overlap. */
    @Test
    void oppositeOrdersAcrossNodesNeitherDeadlockNorOverlap() throws Exception {
        OppositeOrders.neitherDeadlockNorOverlap(instanceA, instanceB, keysOnEveryMaster("opposite"), 15,
                Duration.ofSeconds(60), Duration.ofSeconds(150));
    }

    /**
     * A process that holds the first slot of a set and waits for the second (held here) is killed: the second is
     * ours to release, the first frees itself when the dead process's lease ends, and then the set can be taken.
     */
    @Test
    void aProcessKilledHoldingHalfASetBlocksThatHalfOnlyUntilItsLeaseEnds() throws Exception {
        List<String> keys = inSlotOrder(keysOnEveryMaster("killed")).subList(0, 2);
        LockKey low = lockKey(keys.get(0));
        Duration lease = Duration.ofSeconds(3);
        String lowMaster = cluster.masterOfSlot(low.slot()).address();
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(SettingsReader.REDIS_CONFIG_FILE, yaml.toString());
        properties.put(SettingsReader.KEY_PREFIX, settings.keyPrefix());
        properties.put(SetLockerMain.KEYS, keys.get(1) + "," + keys.get(0));
        properties.put(SetLockerMain.LEASE, lease.toMillis() + "ms");
        Lease high = instanceB.lock(keys.get(1));
        try (JvmProcess holder = JvmProcess.start("half-set", SetLockerMain.class,
                withInstance(properties, "half-set"))) {
            await("the killed process holds the first key of the set").atMost(Duration.ofSeconds(90))
                    .until(() -> {
                        String owner = RedisCommands.call(lowMaster, "HGET", low.redisKey(), "owner");
                        return owner != null && owner.startsWith("half-set#");
                    });
            long holderToken = Long.parseLong(RedisCommands.call(lowMaster, "HGET", low.redisKey(), "token"));
            holder.kill();
            high.close();
            try (Lease set = instanceA.lockAll(keys, LockOptions.defaults().withMaxWait(Duration.ofSeconds(30)))) {
                assertThat(set.fencingToken(keys.get(0)) - holderToken)
                        .as("microseconds the dead process kept the first key, on the Redis clock: its whole lease")
                        .isGreaterThanOrEqualTo(lease.toNanos() / 1000 - 50_000);
            }
        } finally {
            high.close();
        }
    }

    private static Map<String, String> withInstance(Map<String, String> properties, String name) {
        Map<String, String> all = new LinkedHashMap<>(properties);
        all.put(SettingsReader.INSTANCE_NAME, name);
        return all;
    }

    /** @return one key per master, named {@code <stem>:<n>} */
    private List<String> keysOnEveryMaster(String stem) {
        List<String> keys = new ArrayList<>();
        List<String> mastersSeen = new ArrayList<>();
        for (int i = 0; keys.size() < ClusterServers.MASTERS; i++) {
            String key = stem + ":" + i;
            String master = cluster.masterOfSlot(lockKey(key).slot()).address();
            if (!mastersSeen.contains(master)) {
                mastersSeen.add(master);
                keys.add(key);
            }
        }
        return keys;
    }

    private List<String> inSlotOrder(List<String> keys) {
        return keys.stream().map(this::lockKey).sorted(LockKey.CANONICAL_ORDER).map(LockKey::name).toList();
    }

    private LockKey lockKey(String key) {
        return LockKey.of(key, settings.keyPrefix());
    }

    private static long scriptCalls(ClusterServers.Node node) {
        long calls = 0;
        for (String line : RedisCommands.call(node.address(), "INFO", "commandstats").split("\r?\n")) {
            for (String command : List.of("eval", "evalsha")) {
                String prefix = "cmdstat_" + command + ":calls=";
                if (line.startsWith(prefix)) {
                    calls += Long.parseLong(line.substring(prefix.length(), line.indexOf(',')));
                }
            }
        }
        return calls;
    }
}
