package io.github.distributedmutex.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.config.ReplicaAcks;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.key.LockKey;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.topology.ClusterServers.Node;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replica-acknowledged grants ({@code distributedmutex.replica-acks}) on a real Redis Cluster of three masters, the
 * first with two replicas and the others with one: {@code all} counts the replicas of the master that granted the
 * lock, not those of the last master an instance locked on; and a grant that a stale slot map sent to the wrong
 * master (redirected by {@code MOVED}) is not counted as acknowledged by the old master's replicas.
 */
@SlowTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterReplicaAcksTest {

    private static final Duration SETTLE = Duration.ofSeconds(30);

    private ClusterServers cluster;
    private Path directory;
    private String prefix;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @BeforeAll
    void startCluster(@TempDir Path tempDir) throws IOException {
        directory = tempDir;
        Path nodes = Files.createDirectories(directory.resolve("cluster"));
        cluster = ClusterServers.start(nodes, true);
        cluster.addReplica(cluster.masters().get(0), nodes);
        prefix = "cluster-acks-" + UUID.randomUUID().toString().substring(0, 8) + ":";
    }

    @AfterAll
    void stopCluster() {
        try {
            for (int i = resources.size() - 1; i >= 0; i--) {
                try {
                    resources.get(i).close();
                } catch (Exception e) {
                    // keep closing the others; the servers are killed below in any case
                }
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    /**
     * {@code all} asks each grant's own master for its replicas: locks alternating between a master with two replicas
     * and one with one each return as soon as those replicas have the grant (a 10 s timeout, never run into), and
     * with one of the two replicas paused, a lock on the first master is refused while one on the other is granted.
     */
    @Test
    @Order(1)
    void allCountsTheReplicasOfTheMasterThatGrantedTheLock() {
        Node two = cluster.masters().get(0);
        Node one = cluster.masters().get(1);
        assertThat(cluster.replicasOf(two)).hasSize(2);
        assertThat(cluster.replicasOf(one)).hasSize(1);
        RedisAdapter all = newInstance(cluster.writeRedissonYaml(directory.resolve("all.yaml")),
                new ReplicaAcks(ReplicaAcks.ALL, Duration.ofSeconds(10)));
        String onTwo = keyOn(two, "two");
        String onOne = keyOn(one, "one");
        await("the instance connected").atMost(SETTLE).ignoreExceptions().until(() -> {
            all.lock(onOne).close();
            return true;
        });

        for (int round = 0; round < 3; round++) {
            for (String key : List.of(onTwo, onOne)) {
                Node master = key.equals(onTwo) ? two : one;
                long started = System.nanoTime();
                try (Lease lease = all.lock(key)) {
                    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                    assertThat(tookMillis).as("lock on %s (round %d): no WAIT for more replicas than it has", master,
                            round).isLessThan(5_000L);
                    for (Node replica : cluster.replicasOf(master)) {
                        // KEYS, not a keyed command: a cluster replica redirects those to the master
                        assertThat(RedisCommands.callForList(replica.address(), "KEYS", redisKey(key)))
                                .as("lock %s on replica %s when lock() returned", key, replica)
                                .containsExactly(redisKey(key));
                    }
                    assertThat(lease.isHeld()).isTrue();
                }
            }
        }

        RedisAdapter allShort = newInstance(cluster.writeRedissonYaml(directory.resolve("all-short.yaml")),
                new ReplicaAcks(ReplicaAcks.ALL, Duration.ofMillis(500)));
        await("the instance connected").atMost(SETTLE).ignoreExceptions().until(() -> {
            allShort.lock(onOne).close();
            return true;
        });
        Node paused = cluster.replicasOf(two).get(1);
        paused.process().pause();
        try {
            assertThatThrownBy(() -> allShort.lock(onTwo))
                    .isInstanceOf(LockUnavailableException.class)
                    .hasMessageContaining("only 1 replica(s) acknowledged it")
                    .hasMessageContaining("requires all 2 connected replica(s)")
                    .hasMessageContaining("it was given back");
            assertThat(RedisCommands.callForLong(two.address(), "EXISTS", redisKey(onTwo))).isZero();
            try (Lease lease = allShort.lock(onOne)) {
                assertThat(lease.isHeld()).isTrue();
            }
        } finally {
            paused.process().resume();
        }
    }

    /**
     * The client's slot map is stale (a slot moved to another master, and the instance's topology scan is an hour
     * away): the grant is sent to the old master, redirected ({@code MOVED}) and made on the new one, whose replicas
     * are paused. The old master's replicas acknowledge whatever that connection wrote there, which does not include
     * the grant: the acquisition must fail and leave nothing held.
     */
    @Test
    @Order(2)
    void aGrantRedirectedByAStaleSlotMapIsNotCountedAsAcknowledged() {
        Node oldMaster = cluster.masters().get(2);
        Node newMaster = cluster.masters().get(1);
        RedisAdapter stale = newInstance(cluster.writeRedissonYaml(directory.resolve("stale.yaml"), 3_600_000),
                new ReplicaAcks(1, Duration.ofMillis(500)));
        RedisAdapter plain = newInstance(cluster.writeRedissonYaml(directory.resolve("plain.yaml")), ReplicaAcks.OFF);
        for (Node master : cluster.masters()) {
            String key = keyOn(master, "warm-up");
            await("the instance locks on " + master).atMost(SETTLE).ignoreExceptions().until(() -> {
                stale.lock(key).close();
                return true;
            });
        }
        String key = keyOn(oldMaster, "moved");
        String slot = Long.toString(cluster.slotOf(redisKey(key)));
        assertThat(RedisCommands.callForLong(oldMaster.address(), "CLUSTER", "COUNTKEYSINSLOT", slot)).isZero();

        // move the empty slot: the new owner first, then the other masters (replicas follow their masters)
        List<Node> order = new ArrayList<>(List.of(newMaster));
        cluster.masters().stream().filter(node -> node != newMaster).forEach(order::add);
        for (Node node : order) {
            RedisCommands.call(node.address(), "CLUSTER", "SETSLOT", slot, "NODE", newMaster.id());
        }
        await("every master sends slot " + slot + " to " + newMaster).atMost(SETTLE)
                .pollInterval(Duration.ofMillis(50)).until(() -> cluster.masters().stream().allMatch(master ->
                        answersOrRedirects(master, key, newMaster)));

        List<Node> pausedReplicas = cluster.replicasOf(newMaster);
        pausedReplicas.forEach(replica -> replica.process().pause());
        try {
            assertThatThrownBy(() -> stale.lock(key))
                    .isInstanceOf(LockUnavailableException.class)
                    .hasMessageContaining("Lock 'moved-")
                    // the WAIT answered on the old master; the barrier, redirected, on the new one
                    .hasMessageContaining("ran on another")
                    .hasMessageContaining("slot map is stale")
                    .hasMessageContaining("it was given back");
            assertThat(RedisCommands.callForList(newMaster.address(), "KEYS", prefix + "*"))
                    .as("nothing left on the master that granted it").isEmpty();
            assertThat(RedisCommands.callForList(oldMaster.address(), "KEYS", prefix + "*"))
                    .as("nothing on the old master either").isEmpty();
        } finally {
            pausedReplicas.forEach(replica -> replica.process().resume());
        }
        // nothing is held: an instance without the policy gets the key at once
        await("a plain instance gets the key").atMost(SETTLE).ignoreExceptions().until(() -> {
            Optional<Lease> lease = plain.tryLock(key, Duration.ZERO);
            lease.ifPresent(Lease::close);
            return lease.isPresent();
        });
    }

    /**
     * A Redisson batch sends the barrier and the keyless NODE as {@code EVALSHA} once it loaded them on a node, and
     * forgets that only when the connection drops: after {@code SCRIPT FLUSH} (what a restart without persistence
     * behind a kept address looks like) both are unknown there, and reloading only the barrier by its key left NODE
     * failing with {@code NOSCRIPT} on every acquisition. Both are loaded on every node and the step sent once more.
     */
    @Test
    @Order(3)
    void afterAScriptFlushOnAMasterAcknowledgedAcquisitionsThereWorkAgain() {
        Node master = cluster.masters().get(0);
        RedisAdapter acknowledged = newInstance(cluster.writeRedissonYaml(directory.resolve("flush.yaml")),
                new ReplicaAcks(1, Duration.ofSeconds(2)));
        String key = keyOn(master, "flushed");
        await("the instance connected").atMost(SETTLE).ignoreExceptions().until(() -> {
            acknowledged.lock(key).close();
            return true;
        });

        RedisCommands.call(master.address(), "SCRIPT", "FLUSH");
        for (int i = 0; i < 3; i++) {
            try (Lease lease = acknowledged.lock(key)) {
                assertThat(lease.isHeld()).as("acquisition %d after SCRIPT FLUSH", i).isTrue();
            }
        }
    }

    /**
     * A stale slot map, and the new master never ran the barrier for this client (its scripts flushed): the barrier,
     * redirected there, is an {@code EVALSHA} it does not know. The scripts are loaded on every node (not only on the
     * key's node by the stale map, the old master) and the step sent once more, so the acquisition fails for the
     * reason that matters, the stale slot map, not with {@code NOSCRIPT}.
     */
    @Test
    @Order(4)
    void aStaleSlotMapIsReportedEvenWhenTheNewMasterDoesNotKnowTheBarrier() {
        Node oldMaster = cluster.masters().get(2);
        Node newMaster = cluster.masters().get(1);
        RedisAdapter stale = newInstance(cluster.writeRedissonYaml(directory.resolve("stale-flushed.yaml"), 3_600_000),
                new ReplicaAcks(1, Duration.ofMillis(500)));
        String warm = keyOn(oldMaster, "warm-stale");
        await("the instance locks on " + oldMaster).atMost(SETTLE).ignoreExceptions().until(() -> {
            stale.lock(warm).close();
            return true;
        });
        String key = keyOn(oldMaster, "moved-unloaded");
        String slot = Long.toString(cluster.slotOf(redisKey(key)));
        assertThat(answersOrRedirects(oldMaster, key, oldMaster)).as("slot %s still on %s", slot, oldMaster).isTrue();
        assertThat(RedisCommands.callForLong(oldMaster.address(), "CLUSTER", "COUNTKEYSINSLOT", slot)).isZero();

        List<Node> order = new ArrayList<>(List.of(newMaster));
        cluster.masters().stream().filter(node -> node != newMaster).forEach(order::add);
        for (Node node : order) {
            RedisCommands.call(node.address(), "CLUSTER", "SETSLOT", slot, "NODE", newMaster.id());
        }
        await("every master sends slot " + slot + " to " + newMaster).atMost(SETTLE)
                .pollInterval(Duration.ofMillis(50)).until(() -> cluster.masters().stream().allMatch(master ->
                        answersOrRedirects(master, key, newMaster)));
        RedisCommands.call(newMaster.address(), "SCRIPT", "FLUSH");

        assertThatThrownBy(() -> stale.lock(key))
                .isInstanceOf(LockUnavailableException.class)
                .hasMessageContaining("slot map is stale")
                .hasMessageNotContaining("NOSCRIPT")
                .hasMessageContaining("it was given back");
        assertThat(RedisCommands.callForList(newMaster.address(), "KEYS", prefix + "*"))
                .as("nothing left on the master that granted it").isEmpty();
    }

    /**
     * A policy that asks for more replicas than a master has (here 2 of a master with 1) makes every grant there fail
     * after the whole timeout; on a Cluster the barrier reads the master's connected replicas anyway, so the message
     * says so, and one WARN (not one per grant) names the misconfiguration.
     */
    @Test
    @Order(5)
    void aPolicyAskingForMoreReplicasThanTheMasterHasIsNamedOnceInAWarning() {
        Node one = cluster.masters().get(1);
        Node two = cluster.masters().get(0);
        assertThat(cluster.replicasOf(one)).hasSize(1);
        RedisAdapter tooMany = newInstance(cluster.writeRedissonYaml(directory.resolve("too-many.yaml")),
                new ReplicaAcks(2, Duration.ofMillis(300)));
        String warm = keyOn(two, "warm-too-many");
        await("the instance connected").atMost(SETTLE).ignoreExceptions().until(() -> {
            tooMany.lock(warm).close();
            return true;
        });
        String key = keyOn(one, "too-many");
        try (LogCapture logs = LogCapture.start()) {
            for (int i = 0; i < 3; i++) {
                assertThatThrownBy(() -> tooMany.lock(key))
                        .isInstanceOf(LockUnavailableException.class)
                        .hasMessageContaining("requires 2 replica(s), and the master had only 1 connected")
                        .hasMessageContaining("it was given back");
            }
            assertThat(logs.lines("WARN")).filteredOn(line -> line.contains("replica-acks=2"))
                    .as("one warning for three grants").hasSize(1).first().asString()
                    .contains("only 1 replica(s) connected");
        }
    }

    /** Whether {@code master} serves {@code key} itself when it is {@code owner}, or redirects it there. */
    private boolean answersOrRedirects(Node master, String key, Node owner) {
        try {
            RedisCommands.call(master.address(), "EXISTS", redisKey(key));
            return master == owner;
        } catch (IllegalStateException e) {
            return master != owner && e.getMessage().contains("MOVED")
                    && e.getMessage().contains(":" + owner.process().port());
        }
    }

    private RedisAdapter newInstance(Path yaml, ReplicaAcks acks) {
        Settings settings = new Settings(Settings.DEFAULT_ADDRESS, Optional.of(yaml), Duration.ofSeconds(5),
                Duration.ofSeconds(30), prefix).withReplicaAcks(acks);
        RedisAdapter adapter = new RedisAdapter(RedissonClientFactory.connect(settings), settings);
        resources.add(adapter);
        return adapter;
    }

    private String redisKey(String key) {
        return LockKey.of(key, prefix).redisKey();
    }

    /** A lock key whose slot was on {@code master} when the cluster was built. */
    private String keyOn(Node master, String stem) {
        for (int i = 0; ; i++) {
            String key = stem + "-" + i;
            if (master.servesSlot(cluster.slotOf(redisKey(key)))) {
                return key;
            }
        }
    }
}
