package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.internal.config.ReplicaAcks;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.redisson.api.RedissonClient;

/**
 * JMH: one uncontended {@code Lease} lock/close cycle on one thread against a master that has one replica on
 * loopback, with the policy off and with {@code distributedmutex.replica-acks=1} (timeout 1 s), both adapters on one
 * Redisson client. The difference is what waiting for the replica's acknowledgement costs per acquisition. Run by
 * {@link ReplicaAckRun}; the master's address comes from the system property {@value #ADDRESS_PROPERTY}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ReplicaAckBenchmarks {

    /** System property carrying the address of the master with a replica to the forks. */
    static final String ADDRESS_PROPERTY = "benchmark.acks.address";

    /** The policy {@code distributedmutex.replica-acks=1}, {@code distributedmutex.replica-ack-timeout=1s}. */
    static final ReplicaAcks ONE = new ReplicaAcks(1, Duration.ofSeconds(1));

    /** The client and the two adapters, one per fork. */
    @State(Scope.Benchmark)
    public static class Adapters {
        RedissonClient client;
        RedisAdapter off;
        RedisAdapter acks;

        /** Connects. */
        @Setup(Level.Trial)
        public void open() {
            String address = System.getProperty(ADDRESS_PROPERTY);
            String prefix = BenchmarkRedis.keyPrefix() + "acks:";
            client = BenchmarkRedis.newClient(address);
            Settings settings = Settings.defaults().withRedisAddress(address).withKeyPrefix(prefix);
            off = new RedisAdapter(client, settings, false);
            acks = new RedisAdapter(client, settings.withReplicaAcks(ONE), false);
        }

        /** Disconnects. */
        @TearDown(Level.Trial)
        public void close() {
            off.close();
            acks.close();
            BenchmarkRedis.shutdown(client);
        }
    }

    /** @return the fencing token: a lock/close cycle, grants not waited for */
    @Benchmark
    public long off(Adapters adapters) {
        try (Lease lease = adapters.off.lock("key:off")) {
            return lease.fencingToken();
        }
    }

    /** @return the fencing token: a lock/close cycle whose grant one replica must acknowledge ({@code WAIT 1 1000}) */
    @Benchmark
    public long acks1(Adapters adapters) {
        try (Lease lease = adapters.acks.lock("key:acks1")) {
            return lease.fencingToken();
        }
    }
}
