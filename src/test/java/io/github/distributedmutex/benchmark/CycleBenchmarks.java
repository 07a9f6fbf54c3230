package io.github.distributedmutex.benchmark;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.internal.config.Fairness;
import io.github.distributedmutex.internal.config.ObservabilitySettings;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.config.SettingsReader;
import io.github.distributedmutex.internal.metrics.MetricsBackends;
import io.github.distributedmutex.internal.redis.LockRecorder;
import io.github.distributedmutex.internal.redis.RedisConnection;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.CdiContainers;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Optional;
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
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisMaster;
import org.redisson.api.redisnode.RedisNodes;

/**
 * JMH: one uncontended lock+unlock cycle on one thread, for every contender, on one Redisson
 * client and one Redis. Each method is one cycle on a key of its own; the figure is the average
 * time per cycle. The floor ({@code PING}, {@code SET NX PX} + owner-checked delete) is measured
 * the same way. Run by {@link MicroBenchmarkRun}; the Redis address comes from
 * {@link BenchmarkRedis#address()}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CycleBenchmarks {

    /** The client and every contender built on it, one per fork. */
    @State(Scope.Benchmark)
    public static class Clients {
        RedissonClient client;
        RedisMaster node;
        GoPackageLock floor;
        RedisAdapter adapter;
        String rlockName;
        String floorToken;

        /** Connects. */
        @Setup(Level.Trial)
        public void open() {
            String address = BenchmarkRedis.address();
            String prefix = BenchmarkRedis.keyPrefix() + "cycle:";
            client = BenchmarkRedis.newClient(address);
            node = client.getRedisNodes(RedisNodes.SINGLE).getInstance();
            floor = new GoPackageLock(client, prefix + "floor:");
            floorToken = GoPackageLock.newToken();
            adapter = BenchmarkRedis.newAdapter(client, address, prefix);
            rlockName = prefix + "rlock:key";
        }

        /** Disconnects. */
        @TearDown(Level.Trial)
        public void close() {
            adapter.close();
            BenchmarkRedis.shutdown(client);
        }
    }

    /**
     * An adapter on the shared client that records metrics to Micrometer with nothing exporting them: the recorder
     * the library builds for a {@code SimpleMeterRegistry} bean ({@link MetricsBackends#detect}). Compared with
     * {@link #adapter}, which has no recorder (and no listener), in the same run.
     */
    @State(Scope.Benchmark)
    public static class Metered {
        RedisAdapter adapter;

        /** Builds it. */
        @Setup(Level.Trial)
        public void open(Clients clients) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            LockRecorder recorder = MetricsBackends.detect(ObservabilitySettings.Metrics.MICROMETER,
                    type -> type.isInstance(registry) ? Optional.of(registry) : Optional.empty());
            if (recorder == null) {
                throw new IllegalStateException("no Micrometer recorder");
            }
            String prefix = BenchmarkRedis.keyPrefix() + "cycle:";
            Settings settings = Settings.defaults().withRedisAddress(BenchmarkRedis.address()).withKeyPrefix(prefix)
                    .withFairness(Fairness.BARGING);
            adapter = new RedisAdapter(RedisConnection.of(clients.client, false), settings, null, null, recorder);
        }

        /** Closes it (not the shared client). */
        @TearDown(Level.Trial)
        public void close() {
            adapter.close();
        }
    }

    /**
     * A Weld SE container running the library and {@link LockedWork} on the shared client, with barging fairness like
     * every other adapter contender of this part.
     */
    @State(Scope.Benchmark)
    public static class Container {
        CdiContainers cdi;
        LockedWork bean;

        /** Starts the container. */
        @Setup(Level.Trial)
        public void start(Clients clients) {
            ApplicationRedisson.share(clients.client);
            cdi = CdiContainers.builder().beans(LockedWork.class, ApplicationRedisson.class)
                    .redisAddress(BenchmarkRedis.address())
                    .keyPrefix(BenchmarkRedis.keyPrefix() + "cycle:cdi:")
                    .property(SettingsReader.FAIRNESS, Fairness.Mode.BARGING.value())
                    .start();
            bean = cdi.select(LockedWork.class);
        }

        /** Stops it. */
        @TearDown(Level.Trial)
        public void stop() {
            cdi.close();
        }
    }

    /** @return the reply: one round trip, nothing else */
    @Benchmark
    public boolean ping(Clients clients) {
        return clients.node.ping();
    }

    /** @return whether the release found the lock: {@code SET NX PX 60000}, then the owner-checked delete */
    @Benchmark
    public boolean floor(Clients clients) {
        if (!clients.floor.tryOnce("key", clients.floorToken)) {
            throw new IllegalStateException("the floor's key was taken");
        }
        return clients.floor.release("key", clients.floorToken);
    }

    /** Redisson's RLock as an application would use it: {@code getLock(name)}, {@code tryLock(5 s, 60 s)}, {@code unlock()}. */
    @Benchmark
    public void rlock(Clients clients) throws InterruptedException {
        RLock lock = clients.client.getLock(clients.rlockName);
        if (!lock.tryLock(LockStrategy.WAIT.toMillis(), LockStrategy.LEASE.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("uncontended RLock not acquired");
        }
        lock.unlock();
    }

    /** The thread-owned style. */
    @Benchmark
    public void adapter(Clients clients) {
        clients.adapter.acquire("key:adapter");
        clients.adapter.release("key:adapter");
    }

    /** The thread-owned style on an adapter recording to Micrometer ({@link Metered}); its own key. */
    @Benchmark
    public void adapterMicrometer(Metered metered) {
        metered.adapter.acquire("key:metered");
        metered.adapter.release("key:metered");
    }

    /** @return the fencing token: the handle style, with try-with-resources */
    @Benchmark
    public long lease(Clients clients) {
        try (Lease lease = clients.adapter.lock("key:lease")) {
            return lease.fencingToken();
        }
    }

    /** @return the method's result: the interceptor renders {@code bench:{id}} and locks around the call */
    @Benchmark
    public long locked(Container container) {
        return container.bean.work(42L);
    }
}
