package io.github.distributedmutex.testing;

import io.github.distributedmutex.internal.config.Fairness;
import io.github.distributedmutex.internal.config.ReplicaAcks;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.key.LockKey;
import io.github.distributedmutex.internal.redis.LockListener;
import io.github.distributedmutex.internal.redis.LockRecorder;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * Builds adapters the way separate application instances would have them: each on its own
 * Redisson client, all against the given Redis, sharing one key prefix that is unique to the
 * test (so tests on the shared server never see each other's keys). Closing the fixture closes
 * every adapter and client it built.
 */
public final class TestAdapters implements AutoCloseable {

    private final String address;
    private final Settings settings;
    private final List<AutoCloseable> resources = new ArrayList<>();

    private TestAdapters(String address, Settings settings) {
        this.address = address;
        this.settings = settings;
    }

    /** @return adapters against the shared test Redis with a fresh prefix and the default wait and lease */
    public static TestAdapters onSharedRedis() {
        return on(TestRedis.address());
    }

    /** @return adapters against {@code address} with a fresh prefix and the default wait and lease */
    public static TestAdapters on(String address) {
        Settings settings = Settings.defaults().withRedisAddress(address)
                .withKeyPrefix("test-" + UUID.randomUUID().toString().substring(0, 8) + ":");
        return new TestAdapters(address, settings);
    }

    /** @return a copy of this fixture's settings with another default wait (affects adapters built afterwards) */
    public TestAdapters withMaxWait(Duration wait) {
        TestAdapters copy = new TestAdapters(address, settings.withMaxWait(wait));
        resources.add(copy);
        return copy;
    }

    /** @return a copy of this fixture's settings with another default lease */
    public TestAdapters withLease(Duration lease) {
        TestAdapters copy = new TestAdapters(address, settings.withLease(lease));
        resources.add(copy);
        return copy;
    }

    /** @return a copy of this fixture's settings with another shutdown grace */
    public TestAdapters withShutdownGrace(Duration grace) {
        TestAdapters copy = new TestAdapters(address, settings.withShutdownGrace(grace));
        resources.add(copy);
        return copy;
    }

    /** @return a copy of this fixture's settings with another instance name ({@code distributedmutex.instance-name}) */
    public TestAdapters withInstanceName(String name) {
        TestAdapters copy = new TestAdapters(address, settings.withInstanceName(name));
        resources.add(copy);
        return copy;
    }

    /** @return a copy of this fixture's settings with another fairness ({@code distributedmutex.fairness}) */
    public TestAdapters withFairness(Fairness fairness) {
        TestAdapters copy = new TestAdapters(address, settings.withFairness(fairness));
        resources.add(copy);
        return copy;
    }

    /** @return a copy of this fixture's settings with another replica acknowledgement policy */
    public TestAdapters withReplicaAcks(ReplicaAcks acks) {
        TestAdapters copy = new TestAdapters(address, settings.withReplicaAcks(acks));
        resources.add(copy);
        return copy;
    }

    /** @return the settings adapters are built with */
    public Settings settings() {
        return settings;
    }

    /** @return the Redis key of a lock key under this fixture's prefix */
    public String redisKey(String key) {
        return LockKey.of(key, settings.keyPrefix()).redisKey();
    }

    /** @return a new client (Redis must be up), closed with the fixture */
    public RedissonClient newClient() {
        Config config = new Config();
        config.useSingleServer().setAddress(address);
        RedissonClient client = Redisson.create(config);
        resources.add(client::shutdown);
        return client;
    }

    /**
     * @return a new adapter on its own private client, built exactly as the CDI producer builds it
     *         (connecting in the background, so Redis may be down): one "application instance"
     */
    public RedisAdapter newInstance() {
        RedisAdapter adapter = new RedisAdapter(RedissonClientFactory.connect(settings), settings);
        resources.add(adapter);
        return adapter;
    }

    /**
     * @param listener where the adapter's lock events go (as the CDI producer plugs in its CDI one)
     * @return a new adapter like {@link #newInstance()}, reporting its lock events to {@code listener}
     */
    public RedisAdapter newInstance(LockListener listener) {
        RedisAdapter adapter = new RedisAdapter(RedissonClientFactory.connect(settings), settings, null, listener);
        resources.add(adapter);
        return adapter;
    }

    /**
     * @param recorder where the adapter's measurements go (as the CDI producer plugs in the metrics
     *                 library's recorder)
     * @return a new adapter like {@link #newInstance()}, recording its metrics to {@code recorder}
     */
    public RedisAdapter newInstance(LockRecorder recorder) {
        RedisAdapter adapter = new RedisAdapter(RedissonClientFactory.connect(settings), settings, null, null, recorder);
        resources.add(adapter);
        return adapter;
    }

    /**
     * @param adapter an adapter built by the test
     * @return the adapter, now closed with the fixture
     */
    public <A extends AutoCloseable> A register(A adapter) {
        resources.add(adapter);
        return adapter;
    }

    /** @return a new adapter on the given client (which the adapter does not own) */
    public RedisAdapter newAdapter(RedissonClient client) {
        RedisAdapter adapter = new RedisAdapter(client, settings, false);
        resources.add(adapter);
        return adapter;
    }

    @Override
    public void close() throws Exception {
        Exception first = null;
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        resources.clear();
        if (first != null) {
            throw first;
        }
    }
}
