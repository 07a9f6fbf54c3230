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
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * A tiny application instance for fault tests, run in its own JVM by {@link JvmProcess}: it takes one
 * lock, says so, and then follows a fixed script given by system properties (it cannot read stdin).
 *
 * <p>The script:
 * <ol>
 *     <li>Build a plain {@link RedisAdapter} from the library's configuration
 *     ({@code distributedmutex.redis.address}, {@code distributedmutex.key-prefix}, ...), exactly as an
 *     application without CDI would.</li>
 *     <li>{@code lock(}{@value #KEY}{@code )} with the lease {@value #LEASE} (a duration such as {@code 3s}),
 *     the watchdog when {@value #WATCHDOG} is {@code true}, waiting at most {@value #MAX_WAIT} (default 30 s),
 *     then print {@code HOLDING token=<fencing token>}.</li>
 *     <li>Without {@value #PROCEED_LIST}: hold the lock until the process is killed.</li>
 *     <li>With {@value #PROCEED_LIST}: block on {@code BLPOP} of that Redis list (on the resource Redis,
 *     {@value #RESOURCE_ADDRESS}, by default the lock's Redis) until the test pushes an element; then print
 *     {@code PROCEEDING}; when {@value #REGISTER} names a {@link FencedRegister}, write this holder's name to
 *     it with the lease's token and print {@code WRITE ACCEPTED token=<t>} or {@code WRITE REJECTED token=<t>};
 *     print {@code HELD <isHeld()>}; close the lease and print {@code CLOSED}; close the adapter and exit
 *     with 0.</li>
 * </ol>
 * <p>The library's log lines (slf4j-simple on {@code System.err}) appear in the same output, so a test sees
 * the ERROR about an expired lease between {@code HELD} and {@code CLOSED}. Any failure prints
 * {@code FAILED: <exception>} and exits with 1.
 */
public final class LockHolderMain {

    /** System property: the lock key. Required. */
    public static final String KEY = "holder.key";
    /** System property: the lease of the lock, a duration such as {@code 3s}. Required. */
    public static final String LEASE = "holder.lease";
    /** System property: {@code true} to let the watchdog renew the lease. Default false. */
    public static final String WATCHDOG = "holder.watchdog";
    /** System property: the longest wait for the lock. Default {@code 30s}. */
    public static final String MAX_WAIT = "holder.max-wait";
    /** System property: a Redis list to {@code BLPOP} before writing and releasing; absent: hold until killed. */
    public static final String PROCEED_LIST = "holder.proceed-list";
    /** System property: the name of the {@link FencedRegister} to write to once told to proceed. Optional. */
    public static final String REGISTER = "holder.register";
    /** System property: the Redis of the proceed list and the register. Default: the lock's Redis. */
    public static final String RESOURCE_ADDRESS = "holder.resource-address";
    /** System property: the name written to the register. Default {@code holder-<pid>}. */
    public static final String NAME = "holder.name";

    /** The longest this holder blocks on the proceed list. */
    private static final Duration PROCEED_TIMEOUT = Duration.ofMinutes(5);

    private LockHolderMain() {
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
        // Redisson's threads are not all daemons: leave explicitly
        System.exit(status);
    }

    private static void run() throws InterruptedException {
        Settings settings = SettingsReader.read(ConfigLookup.detect());
        String key = required(KEY);
        LockOptions options = LockOptions.defaults()
                .withLease(DurationParser.parse(required(LEASE)))
                .withWatchdog(Boolean.parseBoolean(System.getProperty(WATCHDOG, "false")))
                .withMaxWait(DurationParser.parse(System.getProperty(MAX_WAIT, "30s")));
        RedisAdapter adapter = new RedisAdapter(RedissonClientFactory.connect(settings), settings);
        Lease lease = adapter.lock(key, options);
        System.out.println("HOLDING token=" + lease.fencingToken());

        String proceedList = System.getProperty(PROCEED_LIST);
        if (proceedList == null) {
            new CountDownLatch(1).await(); // hold until killed
            return;
        }
        String resource = System.getProperty(RESOURCE_ADDRESS, settings.redisAddress());
        RedisCommands.call(resource, PROCEED_TIMEOUT, "BLPOP", proceedList, "0");
        System.out.println("PROCEEDING");
        String register = System.getProperty(REGISTER);
        if (register != null) {
            String name = System.getProperty(NAME, "holder-" + ProcessHandle.current().pid());
            FencedRegister.Write write = new FencedRegister(resource, register).write(lease.fencingToken(), name);
            System.out.println("WRITE " + write + " token=" + lease.fencingToken());
        }
        System.out.println("HELD " + lease.isHeld());
        lease.close();
        System.out.println("CLOSED");
        adapter.close();
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("system property " + property + " is required");
        }
        return value;
    }

    /**
     * Starts a holder JVM.
     *
     * @param name         the process name (output prefix, and the name written to a register)
     * @param redisAddress the lock's Redis
     * @param keyPrefix    the key prefix, the same as the test's own adapters use
     * @param key          the lock key
     * @param lease        the lease
     * @param watchdog     whether the watchdog renews the lease
     * @param proceedList  the list to wait on before writing and releasing, or null to hold until killed
     * @param register     the fenced register to write to, or null
     * @return the started process; the caller closes it
     */
    static JvmProcess start(String name, String redisAddress, String keyPrefix, String key, Duration lease,
                            boolean watchdog, String proceedList, String register) {
        return start(name, redisAddress, keyPrefix, key, lease, watchdog, proceedList, register, Map.of());
    }

    /**
     * As {@link #start(String, String, String, String, Duration, boolean, String, String)}, with more system
     * properties, for example {@code distributedmutex.fairness} or {@value #MAX_WAIT}.
     *
     * @param more further system properties; they win over the ones set here
     */
    static JvmProcess start(String name, String redisAddress, String keyPrefix, String key, Duration lease,
                            boolean watchdog, String proceedList, String register, Map<String, String> more) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(SettingsReader.REDIS_ADDRESS, redisAddress);
        properties.put(SettingsReader.KEY_PREFIX, keyPrefix);
        properties.put(KEY, key);
        properties.put(LEASE, lease.toMillis() + "ms");
        properties.put(WATCHDOG, Boolean.toString(watchdog));
        properties.put(NAME, name);
        if (proceedList != null) {
            properties.put(PROCEED_LIST, proceedList);
        }
        if (register != null) {
            properties.put(REGISTER, register);
        }
        properties.putAll(more);
        return JvmProcess.start(name, LockHolderMain.class, properties);
    }

    /**
     * Waits for the {@code HOLDING} line of a holder started by {@link #start}.
     *
     * @param holder the holder process
     * @return its fencing token
     */
    static long awaitHolding(JvmProcess holder) throws InterruptedException {
        // a JVM with Redisson starts in a few seconds; a busy 2-core machine may need many more
        String line = holder.awaitLine(l -> l.startsWith("HOLDING token="), Duration.ofSeconds(90));
        return Long.parseLong(line.substring("HOLDING token=".length()).trim());
    }
}
