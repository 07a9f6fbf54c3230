package io.github.distributedmutex.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.RedisVersion;
import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * What a replica (the next master after a Sentinel or Cluster failover) holds of a lock, when it applies the
 * grant late: the grant script's effects are replicated, not the script, so the replica keeps the master's
 * fencing token on every version; how the lease's end travels differs.
 *
 * <ul>
 *     <li>Redis 7 replicates the {@code PEXPIRE} of the grant as {@code PEXPIREAT} (redis/redis#8474): the replica
 *     ends the lease at the master's deadline, read on its own clock, however late it applied the grant.</li>
 *     <li>Redis 6.2 replicates {@code PEXPIRE} with the lease itself: the replica's lease runs from the moment it
 *     applies the grant, so it ends later than on the master by the replica's lag.</li>
 * </ul>
 */
@SlowTest
class LeaseOnReplicaTest {

    private static final Duration LEASE = Duration.ofSeconds(60);
    /** How late the replica applies the grant: it is paused that long after the grant. */
    private static final Duration REPLICA_LAG = Duration.ofMillis(1_500);
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @Test
    void theReplicaKeepsTheTokenAndEndsTheLeaseAtTheMastersDeadlineOnRedis7AndLaterOnRedis62() throws Exception {
        RedisVersion version = RedisServerProcess.binaryVersion();
        // no 5 s wait before the first full sync (Redis 7's diskless default); the option exists on 6.2 too
        try (RedisServerProcess master = RedisServerProcess.start("--repl-diskless-sync-delay", "0");
             RedisServerProcess replica = RedisServerProcess.start("--replicaof", "127.0.0.1",
                     Integer.toString(master.port()));
             TestAdapters adapters = TestAdapters.on(master.address())) {
            await("replica in sync").atMost(PATIENCE).pollInterval(Duration.ofMillis(50))
                    .until(() -> RedisCommands.call(replica.address(), "INFO", "replication")
                            .contains("master_link_status:up"));
            RedisAdapter app = adapters.newInstance();
            String key = adapters.redisKey("job");

            replica.pause();
            Lease lease;
            try {
                lease = app.lock("job", LockOptions.defaults().withLease(LEASE));
                // The pause is the behaviour: the replica receives the grant now and applies it REPLICA_LAG later.
                LockSupport.parkNanos(REPLICA_LAG.toNanos());
            } finally {
                replica.resume();
            }
            await("grant applied on the replica").atMost(PATIENCE).pollInterval(Duration.ofMillis(20))
                    .until(() -> RedisCommands.call(replica.address(), "HGET", key, "token") != null);

            assertThat(RedisCommands.call(replica.address(), "HGET", key, "token"))
                    .as("the token on the replica (the script's effects were replicated, not the script)")
                    .isEqualTo(Long.toString(lease.fencingToken()));
            if (version.major() >= 7) {
                long masterDeadline = RedisCommands.callForLong(master.address(), "PEXPIRETIME", key);
                long replicaDeadline = RedisCommands.callForLong(replica.address(), "PEXPIRETIME", key);
                long grantMillis = TimeUnit.MICROSECONDS.toMillis(lease.fencingToken());
                assertThat(masterDeadline).as("the master's deadline: grant + lease, on its clock")
                        .isBetween(grantMillis + LEASE.toMillis(), grantMillis + LEASE.toMillis() + 1_000);
                assertThat(replicaDeadline).as("the replica's deadline on Redis %s, %s after the grant", version,
                        REPLICA_LAG).isEqualTo(masterDeadline);
            } else {
                long replicaRemaining = RedisCommands.callForLong(replica.address(), "PTTL", key);
                long masterRemaining = RedisCommands.callForLong(master.address(), "PTTL", key);
                assertThat(replicaRemaining - masterRemaining)
                        .as("how much later the lease ends on the replica on Redis %s, which applied the grant %s late",
                                version, REPLICA_LAG)
                        .isGreaterThanOrEqualTo(REPLICA_LAG.toMillis() - 100);
            }
            lease.close();
        }
    }
}
