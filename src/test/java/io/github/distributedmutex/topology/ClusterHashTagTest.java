package io.github.distributedmutex.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.key.LockKey;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.SlowTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Lock keys with braces on a real Redis Cluster (three masters): the lock and its companion key
 * ({@code <lock key>:abandoned:<owner>}, written by every acquisition) hash to one slot whatever
 * braces the key contains, so no call fails with {@code CROSSSLOT}, and the lock excludes for real
 * between two application instances.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@SlowTest
class ClusterHashTagTest {

    private static final int ROUNDS = 20;

    private ClusterServers cluster;
    private LogCapture logs;
    private Settings settings;
    private RedisAdapter instanceA;
    private RedisAdapter instanceB;
    private ExecutorService threads;

    @BeforeAll
    void startCluster(@TempDir Path directory) throws IOException {
        logs = LogCapture.start();
        cluster = ClusterServers.start(Files.createDirectories(directory.resolve("cluster")), false);
        Path yaml = cluster.writeRedissonYaml(directory.resolve("redisson-cluster.yaml"));
        String prefix = "braces-" + UUID.randomUUID().toString().substring(0, 8) + ":";
        settings = new Settings(Settings.DEFAULT_ADDRESS, Optional.of(yaml), Duration.ofSeconds(20),
                Duration.ofSeconds(30), prefix);
        instanceA = new RedisAdapter(RedissonClientFactory.connect(settings), settings);
        instanceB = new RedisAdapter(RedissonClientFactory.connect(settings), settings);
        threads = Executors.newFixedThreadPool(4);
    }

    @AfterAll
    void stopCluster() throws Exception {
        try (LogCapture closedLast = logs; ClusterServers killed = cluster; RedisAdapter a = instanceA;
             RedisAdapter b = instanceB) {
            if (threads != null) {
                threads.shutdownNow();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"}x", "}", "}}", "a}b{c", "{x}", "{}", "}{", "job:{42}", "x{"})
    void aKeyWithBracesLocksInOneSlotAndExcludes(String name) throws Exception {
        int logged = logs.lines().size();
        try (Lease held = instanceA.lock(name)) {
            assertThat(held.isHeld()).isTrue();
            assertThat(instanceB.tryLock(name, Duration.ZERO)).as("B while A holds '%s'", name).isEmpty();
        }
        String redisKey = LockKey.of(name, settings.keyPrefix()).redisKey();
        assertThat(cluster.slotOf(redisKey + ":abandoned:some-owner")).as("slot of the companion key of %s", redisKey)
                .isEqualTo(cluster.slotOf(redisKey));

        long[] counter = new long[1];
        List<Long> tokens = new ArrayList<>();
        List<Future<?>> workers = new ArrayList<>();
        for (RedisAdapter instance : List.of(instanceA, instanceB, instanceA, instanceB)) {
            workers.add(threads.submit(() -> {
                for (int round = 0; round < ROUNDS; round++) {
                    try (Lease lease = instance.lock(name)) {
                        long seen = counter[0];
                        Thread.yield(); // widen the window a missing exclusion would need
                        counter[0] = seen + 1;
                        tokens.add(lease.fencingToken());
                    }
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get(60, TimeUnit.SECONDS);
        }
        assertThat(counter[0]).as("increments under lock '%s'", name).isEqualTo(4L * ROUNDS);
        assertThat(tokens).as("fencing tokens of '%s' in lock order", name).hasSize(4 * ROUNDS).isSorted()
                .doesNotHaveDuplicates();
        List<String> lines = logs.lines();
        assertThat(lines.subList(logged, lines.size())).as("log lines").noneMatch(line -> line.contains("CROSSSLOT"));
    }
}
