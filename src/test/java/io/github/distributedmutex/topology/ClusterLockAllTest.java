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
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.SlowTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lockAll} on a real Redis Cluster (three masters): the keys of a set live on different slots and nodes, so
 * the set is taken slot after slot in the canonical order (each slot's keys in one script), holding the slots
 * already taken while waiting for the next. Opposite-order callers never deadlock, a failed set gives back the
 * slots it took, and a process killed while holding half a set blocks that half until its lease ends.
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
            assertThat(lease.fencingToken()).isEqualTo(tokens.get(tokens.size() - 1));
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

    /** Threads of two instances lock keys on three nodes, half of them in the reverse order: no deadlock, no overlap. */
    @Test
    void oppositeOrdersAcrossNodesNeitherDeadlockNorOverlap() throws Exception {
        List<String> keys = keysOnEveryMaster("opposite");
        List<String> reversed = new ArrayList<>(keys);
        Collections.reverse(reversed);
        ExecutorService threads = Executors.newFixedThreadPool(4);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger sections = new AtomicInteger();
        try {
            List<Future<?>> workers = new ArrayList<>();
            int worker = 0;
            for (RedisAdapter adapter : List.of(instanceA, instanceB, instanceA, instanceB)) {
                List<String> order = worker++ % 2 == 0 ? keys : reversed;
                workers.add(threads.submit(() -> {
                    for (int round = 0; round < 15; round++) {
                        try (Lease lease = adapter.lockAll(order, LockOptions.defaults()
                                .withMaxWait(Duration.ofSeconds(60)))) {
                            if (inside.incrementAndGet() != 1) {
                                overlaps.incrementAndGet();
                            }
                            Thread.yield(); // widen the window a missing exclusion would need
                            inside.decrementAndGet();
                            sections.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : workers) {
                future.get(150, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(sections.get()).isEqualTo(60);
        assertThat(overlaps.get()).isZero();
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
