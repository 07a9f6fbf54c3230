package io.github.distributedmutex.faults;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.internal.config.ConfigLookup;
import io.github.distributedmutex.internal.config.DurationParser;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.config.SettingsReader;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import io.github.distributedmutex.testing.JvmProcess;
import io.github.distributedmutex.testing.RedisCommands;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * An application instance that locks a set of keys with {@code lockAll}, run in its own JVM by {@link JvmProcess}
 * for the multi-key tests. Configured by the library's own properties ({@code distributedmutex.redis.address} or
 * {@code distributedmutex.redis.config-file}, {@code distributedmutex.key-prefix},
 * {@code distributedmutex.instance-name}) and these:
 * <ul>
 *     <li>{@value #KEYS}: the keys, comma-separated, in the order this instance gives them to {@code lockAll};</li>
 *     <li>{@value #LEASE}: the lease (default {@code 30s}); the wait is {@value #MAX_WAIT} (default {@code 60s});</li>
 *     <li>{@value #ROUNDS}: without it, lock the set once, print {@code HOLDING tokens=[<key>=<token>, ...]} and
 *     hold it until killed (printing {@code LOCKING} just before the call). With it: print {@code READY}, wait for
 *     an element on the Redis list {@value #GO_LIST}, then lock and release the set that many times; inside each
 *     critical section {@code INCR} the counter {@value #INSIDE} (anything but 1 prints {@code OVERLAP}), increment
 *     the counter {@value #COUNTER} non-atomically ({@code GET}, then {@code SET}), {@code DECR} {@value #INSIDE};
 *     then print {@code DONE rounds=<n>} and exit.</li>
 * </ul>
 * Any failure prints {@code FAILED: <exception>} and exits with 1.
 */
public final class SetLockerMain {

    /** System property: the keys, comma-separated. */
    public static final String KEYS = "locker.keys";
    /** System property: the lease of every key. */
    public static final String LEASE = "locker.lease";
    /** System property: the longest wait for the set. */
    public static final String MAX_WAIT = "locker.max-wait";
    /** System property: how many times to lock the set; absent: once, held until killed. */
    public static final String ROUNDS = "locker.rounds";
    /** System property: the list to {@code BLPOP} before the rounds start. */
    public static final String GO_LIST = "locker.go-list";
    /** System property: the Redis key counting holders inside the critical section. */
    public static final String INSIDE = "locker.inside";
    /** System property: the Redis key incremented non-atomically in each critical section. */
    public static final String COUNTER = "locker.counter";
    /** System property: a Redis address for the counters (default: the lock's, when it has one). */
    public static final String RESOURCE_ADDRESS = "locker.resource-address";

    private SetLockerMain() {
    }

    /**
     * Runs the script of the class documentation.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        int status;
        try {
            run();
            status = 0;
        } catch (Throwable e) {
            System.out.println("FAILED: " + e);
            e.printStackTrace(System.out);
            status = 1;
        }
        System.out.flush();
        System.err.flush();
        System.exit(status); // Redisson's threads are not all daemons
    }

    private static void run() throws InterruptedException {
        Settings settings = SettingsReader.read(ConfigLookup.detect());
        List<String> keys = List.of(System.getProperty(KEYS).split(","));
        LockOptions options = LockOptions.defaults()
                .withLease(DurationParser.parse(System.getProperty(LEASE, "30s")))
                .withMaxWait(DurationParser.parse(System.getProperty(MAX_WAIT, "60s")));
        RedisAdapter adapter = new RedisAdapter(RedissonClientFactory.connect(settings), settings);
        String rounds = System.getProperty(ROUNDS);
        if (rounds == null) {
            System.out.println("LOCKING " + keys);
            Lease lease = adapter.lockAll(keys, options);
            System.out.println("HOLDING tokens=" + lease.keys().stream().map(key -> key + "=" + lease.fencingToken(key))
                    .toList());
            new CountDownLatch(1).await(); // hold until killed
            return;
        }
        String resource = System.getProperty(RESOURCE_ADDRESS, settings.redisAddress());
        String inside = System.getProperty(INSIDE);
        String counter = System.getProperty(COUNTER);
        System.out.println("READY");
        RedisCommands.call(resource, Duration.ofMinutes(5), "BLPOP", System.getProperty(GO_LIST), "0");
        int n = Integer.parseInt(rounds);
        for (int round = 0; round < n; round++) {
            try (Lease lease = adapter.lockAll(keys, options)) {
                if (RedisCommands.callForLong(resource, "INCR", inside) != 1) {
                    System.out.println("OVERLAP in round " + round);
                }
                String seen = RedisCommands.call(resource, "GET", counter);
                RedisCommands.call(resource, "SET", counter, Long.toString(seen == null ? 1 : Long.parseLong(seen) + 1));
                RedisCommands.call(resource, "DECR", inside);
            }
        }
        System.out.println("DONE rounds=" + n);
        adapter.close();
    }

    /**
     * @param name       the process name (output prefix and instance name)
     * @param properties the library's settings and this class's properties
     * @return the started process; the caller closes it
     */
    static JvmProcess start(String name, Map<String, String> properties) {
        Map<String, String> all = new LinkedHashMap<>(properties);
        all.put(SettingsReader.INSTANCE_NAME, name);
        return JvmProcess.start(name, SetLockerMain.class, all);
    }
}
