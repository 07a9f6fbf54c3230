package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.config.SettingsReader;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.TestAdapters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public entry point rejects bad input with the documented exception and a message that names
 * the problem, before any Redis call (product contract, behaviour 10; docs/design.md).
 *
 * <p>The table covers {@link Adapter} ({@code acquire}, {@code acquiref}, {@code acquire(key,
 * options)}, {@code tryAcquire}, {@code release}, {@code releasef}, {@code fencingToken},
 * {@code lock} twice, {@code tryLock} three times, the asynchronous and several-key forms) with null, empty, blank, overlong (over
 * {@link Adapter#MAX_KEY_LENGTH}), control-character and format-mismatch keys, null, negative and
 * zero durations and null options; {@link Lease#extend(Duration)}; {@link LockOptions#withMaxWait}
 * and {@link LockOptions#withLease}; and bad configuration values through
 * {@link SettingsReader#read} (bad durations, zero lease, a non-Redis address, a missing or
 * unreadable configuration file, bad key prefixes, braces in the key prefix, bad instance names).
 *
 * <p><b>Redis is untouched.</b> The adapter calls run against two adapters:
 * <ul>
 *   <li>one connected to a Redis server of this test's own, warmed up by successful calls (so the
 *   connection, the release subscription and the script cache exist, and a real {@link Lease} is
 *   held for the {@code extend} cases). After the whole table, {@code INFO commandstats} shows no
 *   new script or data command ({@code eval}, {@code evalsha}, {@code hset}, {@code del},
 *   {@code publish}, ...) compared with a snapshot taken after the warm-up (connection
 *   housekeeping such as Redisson's background {@code PING} is ignored), and Redis holds exactly
 *   the keys it held after the warm-up; once the held lease is closed, {@code DBSIZE} is 0;</li>
 *   <li>one whose Redis address has no server behind it (kept from the earlier version of this
 *   test): a call that tried Redis would have failed with {@link LockUnavailableException} after
 *   the documented 2 s, not with the expected exception; so rejection does not even wait for a
 *   connection.</li>
 * </ul>
 * The table also logs nothing: no "not acquired"/"unavailable" error, no "release of a lock not
 * held" warning.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BadInputTest {

    private static final String LONG_KEY = "k".repeat(Adapter.MAX_KEY_LENGTH + 1);
    private static final String CONNECTED = "connected adapter";
    private static final String WITHOUT_REDIS = "adapter without Redis";
    /** Commands that may run while the table runs: connection housekeeping and this test's own probes. */
    private static final Set<String> HOUSEKEEPING = Set.of("ping", "info", "keys", "dbsize", "client", "hello",
            "select", "auth", "command", "subscribe", "psubscribe", "readonly");
    private static final Pattern COMMAND_STAT = Pattern.compile("cmdstat_([^:]+):calls=(\\d+)");

    private static RedisServerProcess redis;
    private static TestAdapters connectedAdapters;
    private static TestAdapters offlineAdapters;
    private static RedisAdapter connected;
    private static Adapter withoutRedis;
    private static Lease held;
    private static Map<String, Long> commandsAfterWarmUp;
    private static List<String> keysAfterWarmUp;
    private static LogCapture logs;

    @BeforeAll
    static void startAdapters() {
        redis = RedisServerProcess.start();
        connectedAdapters = TestAdapters.on(redis.address());
        connected = connectedAdapters.newInstance();
        // warm-up: successful calls, so the connection, the subscription and the script cache exist
        await().atMost(Duration.ofSeconds(60)).ignoreException(LockUnavailableException.class)
                .until(() -> connected.tryLock("warm-up", Duration.ofSeconds(1)).map(lease -> {
                    lease.close();
                    return true;
                }).orElse(false));
        // the edges of what is accepted: a key of exactly the maximum length, non-ASCII, formatted keys
        connected.lock("k".repeat(Adapter.MAX_KEY_LENGTH)).close();
        connected.acquiref("tenant:%s:job:%d", "café ✓", 42);
        assertThat(connected.fencingToken("tenant:café ✓:job:42")).isPresent();
        connected.releasef("tenant:%s:job:%d", "café ✓", 42);
        held = connected.lock("held-for-extend", LockOptions.defaults().withLease(Duration.ofMinutes(5)));

        offlineAdapters = TestAdapters.on("redis://127.0.0.1:" + RedisServerProcess.freePort());
        withoutRedis = offlineAdapters.newInstance();

        commandsAfterWarmUp = commandCalls();
        keysAfterWarmUp = RedisCommands.callForList(redis.address(), "KEYS", "*");
        assertThat(keysAfterWarmUp).containsExactly(connectedAdapters.redisKey("held-for-extend"));
        logs = LogCapture.start();
    }

    @AfterAll
    static void close() throws Exception {
        if (logs != null) {
            logs.close();
        }
        try {
            if (offlineAdapters != null) {
                offlineAdapters.close();
            }
            if (connectedAdapters != null) {
                connectedAdapters.close();
            }
        } finally {
            if (redis != null) {
                redis.close();
            }
        }
    }

    // ---- the table -------------------------------------------------------------------------------

    /** The calls that take a plain key, with everything else valid. */
    private static final Map<String, BiConsumer<Adapter, String>> KEYED_CALLS = keyedCalls();

    private static Map<String, BiConsumer<Adapter, String>> keyedCalls() {
        Map<String, BiConsumer<Adapter, String>> calls = new LinkedHashMap<>();
        calls.put("acquire(key)", Adapter::acquire);
        calls.put("acquire(key, options)", (a, key) -> a.acquire(key, LockOptions.defaults()));
        calls.put("tryAcquire(key, options)", (a, key) -> a.tryAcquire(key, LockOptions.defaults()));
        calls.put("release(key)", Adapter::release);
        calls.put("fencingToken(key)", Adapter::fencingToken);
        calls.put("lock(key)", Adapter::lock);
        calls.put("lock(key, options)", (a, key) -> a.lock(key, LockOptions.defaults()));
        calls.put("tryLock(key, maxWait)", (a, key) -> a.tryLock(key, Duration.ZERO));
        calls.put("tryLock(key, maxWait, lease)", (a, key) -> a.tryLock(key, Duration.ZERO, Duration.ofSeconds(1)));
        calls.put("tryLock(key, options)", (a, key) -> a.tryLock(key, LockOptions.defaults()));
        calls.put("inspect(key)", Adapter::inspect);
        calls.put("lockAsync(key, options)", (a, key) -> a.lockAsync(key, LockOptions.defaults()));
        calls.put("tryLockAsync(key, options)", (a, key) -> a.tryLockAsync(key, LockOptions.defaults()));
        return calls;
    }

    /** Bad keys, the exception each must raise, and what its message must say. */
    private static Stream<Arguments> badKeys() {
        return Stream.of(
                Arguments.of("null key", null, NullPointerException.class, List.of("lock key must not be null")),
                Arguments.of("empty key", "", IllegalArgumentException.class, List.of("lock key must not be blank")),
                Arguments.of("blank key", "   ", IllegalArgumentException.class, List.of("lock key must not be blank")),
                Arguments.of("tab-only key", "\t", IllegalArgumentException.class, List.of("must not be blank")),
                Arguments.of("overlong key", LONG_KEY, IllegalArgumentException.class,
                        List.of("lock key is 513 characters long", "the maximum is 512")),
                Arguments.of("key with newline", "job\n42", IllegalArgumentException.class,
                        List.of("control character U+000A at index 3")),
                Arguments.of("key with NUL", "job\u000042", IllegalArgumentException.class,
                        List.of("control character U+0000 at index 3")),
                Arguments.of("key with DEL", "job\u007f", IllegalArgumentException.class,
                        List.of("control character U+007F")),
                Arguments.of("key with C1 control", "job\u0085x", IllegalArgumentException.class,
                        List.of("control character U+0085")),
                Arguments.of("key with an unpaired high surrogate", "acct:\uD800", IllegalArgumentException.class,
                        List.of("unpaired surrogate U+D800 at index 5", "not well-formed UTF-16")),
                Arguments.of("key with an unpaired low surrogate", "acct:\uDC00x", IllegalArgumentException.class,
                        List.of("unpaired surrogate U+DC00 at index 5", "not well-formed UTF-16")),
                Arguments.of("key with surrogates in the wrong order", "\uDC00\uD800", IllegalArgumentException.class,
                        List.of("unpaired surrogate U+DC00 at index 0")));
    }

    static Stream<Arguments> badAdapterCalls() {
        List<Arguments> rows = new ArrayList<>();
        // every key-taking entry point x every bad key
        KEYED_CALLS.forEach((call, invocation) -> badKeys().forEach(badKey -> {
            Object[] key = badKey.get();
            rows.add(row(call.replace("key", (String) key[0]), a -> invocation.accept(a, (String) key[1]),
                    castType(key[2]), castMessages(key[3])));
        }));
        // format entry points
        for (String name : List.of("acquiref", "releasef")) {
            FormatCall call = name.equals("acquiref") ? Adapter::acquiref : Adapter::releasef;
            rows.add(row(name + "(null format)", a -> call.invoke(a, null, 1), NullPointerException.class,
                    List.of("key format must not be null")));
            rows.add(row(name + "(format, null argument array)", a -> call.invoke(a, "job:%s", (Object[]) null),
                    NullPointerException.class, List.of("key format arguments must not be null")));
            rows.add(row(name + "(too few arguments)", a -> call.invoke(a, "job:%s:%s", "1"),
                    IllegalArgumentException.class,
                    List.of("key format 'job:%s:%s' does not match its 1 argument(s)")));
            rows.add(row(name + "(too many arguments)", a -> call.invoke(a, "job:%s", "1", "2"),
                    IllegalArgumentException.class,
                    List.of("key format 'job:%s' uses 1 argument(s) but 2 were given")));
            rows.add(row(name + "(arguments but no specifier)", a -> call.invoke(a, "job", 1),
                    IllegalArgumentException.class, List.of("uses 0 argument(s) but 1 were given")));
            rows.add(row(name + "(wrong argument type)", a -> call.invoke(a, "job:%d", "x"),
                    IllegalArgumentException.class, List.of("key format 'job:%d' does not match")));
            rows.add(row(name + "(unknown conversion)", a -> call.invoke(a, "job:%q", 1),
                    IllegalArgumentException.class, List.of("key format 'job:%q' does not match")));
            rows.add(row(name + "(formats to a blank key)", a -> call.invoke(a, "%s", " "),
                    IllegalArgumentException.class, List.of("lock key must not be blank")));
            rows.add(row(name + "(formats to an overlong key)", a -> call.invoke(a, "%s", LONG_KEY),
                    IllegalArgumentException.class, List.of("the maximum is 512")));
            rows.add(row(name + "(%n: formats to a control character)", a -> call.invoke(a, "job%n"),
                    IllegalArgumentException.class, List.of("control character")));
            rows.add(row(name + "(argument with a control character)", a -> call.invoke(a, "job:%s", "4\u00002"),
                    IllegalArgumentException.class, List.of("control character U+0000")));
        }
        // durations and options
        rows.add(row("tryLock(key, null maxWait)", a -> a.tryLock("k", (Duration) null), NullPointerException.class,
                List.of("maxWait must not be null")));
        rows.add(row("tryLock(key, negative maxWait)", a -> a.tryLock("k", Duration.ofMillis(-1)),
                IllegalArgumentException.class, List.of("maxWait must not be negative", "PT-0.001S")));
        rows.add(row("tryLock(key, null maxWait, lease)", a -> a.tryLock("k", null, Duration.ofSeconds(1)),
                NullPointerException.class, List.of("maxWait must not be null")));
        rows.add(row("tryLock(key, negative maxWait, lease)", a -> a.tryLock("k", Duration.ofSeconds(-1),
                Duration.ofSeconds(1)), IllegalArgumentException.class, List.of("maxWait must not be negative")));
        rows.add(row("tryLock(key, maxWait, null lease)", a -> a.tryLock("k", Duration.ZERO, null),
                NullPointerException.class, List.of("lease must not be null")));
        rows.add(row("tryLock(key, maxWait, zero lease)", a -> a.tryLock("k", Duration.ZERO, Duration.ZERO),
                IllegalArgumentException.class, List.of("lease must be positive", "PT0S")));
        rows.add(row("tryLock(key, maxWait, negative lease)", a -> a.tryLock("k", Duration.ZERO,
                Duration.ofSeconds(-5)), IllegalArgumentException.class, List.of("lease must be positive", "PT-5S")));
        rows.add(row("acquire(key, null options)", a -> a.acquire("k", null), NullPointerException.class,
                List.of("options must not be null")));
        rows.add(row("tryAcquire(key, null options)", a -> a.tryAcquire("k", null), NullPointerException.class,
                List.of("options must not be null")));
        rows.add(row("lock(key, null options)", a -> a.lock("k", null), NullPointerException.class,
                List.of("options must not be null")));
        rows.add(row("tryLock(key, null options)", a -> a.tryLock("k", (LockOptions) null),
                NullPointerException.class, List.of("options must not be null")));

        // several keys at once: every entry point x every bad set
        Map<String, BiConsumer<Adapter, Collection<String>>> setCalls = new LinkedHashMap<>();
        setCalls.put("lockAll", (a, keys) -> a.lockAll(keys, LockOptions.defaults()));
        setCalls.put("tryLockAll", (a, keys) -> a.tryLockAll(keys, LockOptions.defaults()));
        setCalls.put("acquireAll", (a, keys) -> a.acquireAll(keys, LockOptions.defaults()));
        setCalls.put("tryAcquireAll", (a, keys) -> a.tryAcquireAll(keys, LockOptions.defaults()));
        setCalls.put("releaseAll", Adapter::releaseAll);
        setCalls.put("lockAllAsync", (a, keys) -> a.lockAllAsync(keys, LockOptions.defaults()));
        setCalls.put("tryLockAllAsync", (a, keys) -> a.tryLockAllAsync(keys, LockOptions.defaults()));
        setCalls.forEach((call, invocation) -> {
            rows.add(row(call + "(null keys)", a -> invocation.accept(a, null), NullPointerException.class,
                    List.of("keys must not be null")));
            rows.add(row(call + "(no keys)", a -> invocation.accept(a, List.of()), IllegalArgumentException.class,
                    List.of("keys must not be empty")));
            rows.add(row(call + "(a null key)", a -> invocation.accept(a, Arrays.asList("a", null, "b")),
                    NullPointerException.class, List.of("keys must not contain null, found at position 1 of 3")));
            rows.add(row(call + "(a blank key)", a -> invocation.accept(a, List.of("a", " ")),
                    IllegalArgumentException.class, List.of("lock key must not be blank")));
            rows.add(row(call + "(a key twice)", a -> invocation.accept(a, List.of("a", "b", "a")),
                    IllegalArgumentException.class, List.of("keys must be distinct, 'a' is given twice")));
            rows.add(row(call + "(an overlong key)", a -> invocation.accept(a, List.of("a", LONG_KEY)),
                    IllegalArgumentException.class, List.of("the maximum is 512")));
        });
        for (String call : List.of("lockAll", "tryLockAll", "acquireAll", "tryAcquireAll", "lockAllAsync",
                "tryLockAllAsync")) {
            rows.add(row(call + "(keys, null options)", a -> {
                switch (call) {
                    case "lockAll" -> a.lockAll(List.of("a", "b"), null);
                    case "tryLockAll" -> a.tryLockAll(List.of("a", "b"), null);
                    case "acquireAll" -> a.acquireAll(List.of("a", "b"), null);
                    case "tryAcquireAll" -> a.tryAcquireAll(List.of("a", "b"), null);
                    case "lockAllAsync" -> a.lockAllAsync(List.of("a", "b"), null);
                    default -> a.tryLockAllAsync(List.of("a", "b"), null);
                }
            }, NullPointerException.class, List.of("options must not be null")));
        }
        rows.add(row("lockAsync(key, null options)", a -> a.lockAsync("k", null), NullPointerException.class,
                List.of("options must not be null")));
        rows.add(row("tryLockAsync(key, null options)", a -> a.tryLockAsync("k", null), NullPointerException.class,
                List.of("options must not be null")));

        List<Arguments> both = new ArrayList<>();
        for (String target : List.of(CONNECTED, WITHOUT_REDIS)) {
            rows.forEach(row -> {
                Object[] values = row.get();
                both.add(Arguments.of(target, values[0], values[1], values[2], values[3]));
            });
        }
        return both.stream();
    }

    @Order(1)
    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("badAdapterCalls")
    void badAdapterCallsAreRejectedBeforeAnyRedisCall(String target, String call, Consumer<Adapter> invocation,
                                                      Class<? extends Exception> type, List<String> message) {
        Adapter adapter = target.equals(CONNECTED) ? connected : withoutRedis;
        assertThatThrownBy(() -> invocation.accept(adapter)).isExactlyInstanceOf(type)
                .hasMessageContainingAll(message.toArray(String[]::new));
    }

    static Stream<Arguments> badLeaseCalls() {
        return Stream.of(
                Arguments.of("extend(null)", (Consumer<Lease>) lease -> lease.extend(null), NullPointerException.class,
                        List.of("duration must not be null")),
                Arguments.of("extend(zero)", (Consumer<Lease>) lease -> lease.extend(Duration.ZERO),
                        IllegalArgumentException.class, List.of("extend duration must be positive", "PT0S")),
                Arguments.of("extend(negative)", (Consumer<Lease>) lease -> lease.extend(Duration.ofMillis(-1)),
                        IllegalArgumentException.class, List.of("extend duration must be positive", "PT-0.001S")));
    }

    @Order(2)
    @ParameterizedTest(name = "held lease: {0}")
    @MethodSource("badLeaseCalls")
    void badLeaseCallsAreRejectedBeforeAnyRedisCall(String call, Consumer<Lease> invocation,
                                                    Class<? extends Exception> type, List<String> message) {
        assertThatThrownBy(() -> invocation.accept(held)).isExactlyInstanceOf(type)
                .hasMessageContainingAll(message.toArray(String[]::new));
    }

    static Stream<Arguments> badOptions() {
        return Stream.of(
                Arguments.of("withMaxWait(null)", (Runnable) () -> LockOptions.defaults().withMaxWait(null),
                        NullPointerException.class, List.of("maxWait must not be null")),
                Arguments.of("withMaxWait(negative)",
                        (Runnable) () -> LockOptions.defaults().withMaxWait(Duration.ofSeconds(-1)),
                        IllegalArgumentException.class, List.of("maxWait must not be negative", "PT-1S")),
                Arguments.of("withLease(null)", (Runnable) () -> LockOptions.defaults().withLease(null),
                        NullPointerException.class, List.of("lease must not be null")),
                Arguments.of("withLease(zero)", (Runnable) () -> LockOptions.defaults().withLease(Duration.ZERO),
                        IllegalArgumentException.class, List.of("lease must be positive", "PT0S")),
                Arguments.of("withLease(negative)",
                        (Runnable) () -> LockOptions.defaults().withLease(Duration.ofMinutes(-1)),
                        IllegalArgumentException.class, List.of("lease must be positive", "PT-1M")),
                Arguments.of("withMetricName(null)", (Runnable) () -> LockOptions.defaults().withMetricName(null),
                        NullPointerException.class, List.of("metricName must not be null")),
                Arguments.of("withMetricName(blank)", (Runnable) () -> LockOptions.defaults().withMetricName(" "),
                        IllegalArgumentException.class, List.of("metricName must not be blank")),
                Arguments.of("withMetricName(too long)",
                        (Runnable) () -> LockOptions.defaults().withMetricName("x".repeat(256)),
                        IllegalArgumentException.class, List.of("at most 255 characters", "had 256")),
                Arguments.of("withMetricName(control character)",
                        (Runnable) () -> LockOptions.defaults().withMetricName("job\n"),
                        IllegalArgumentException.class, List.of("control characters")));
    }

    @Order(3)
    @ParameterizedTest(name = "LockOptions.{0}")
    @MethodSource("badOptions")
    void badOptionsAreRejected(String call, Runnable invocation, Class<? extends Exception> type,
                               List<String> message) {
        assertThatThrownBy(invocation::run).isExactlyInstanceOf(type)
                .hasMessageContainingAll(message.toArray(String[]::new));
    }

    static Stream<Arguments> badConfiguration() {
        String tmp = System.getProperty("java.io.tmpdir");
        return Stream.of(
                config("wait without unit", SettingsReader.WAIT, "5", "distributedmutex.wait=5", "a unit is missing"),
                config("wait not a duration", SettingsReader.WAIT, "five seconds",
                        "distributedmutex.wait=five seconds", "it is not a duration"),
                config("wait negative", SettingsReader.WAIT, "-5s", "distributedmutex.wait=-5s", "it is negative"),
                config("wait negative ISO-8601", SettingsReader.WAIT, "PT-5S", "distributedmutex.wait=PT-5S",
                        "it is negative"),
                config("wait bad ISO-8601", SettingsReader.WAIT, "PT5X", "distributedmutex.wait=PT5X",
                        "not a valid ISO-8601 duration"),
                config("wait fractional", SettingsReader.WAIT, "1.5s", "distributedmutex.wait=1.5s",
                        "not a duration"),
                config("wait too large", SettingsReader.WAIT, "99999999999999999d",
                        "distributedmutex.wait=99999999999999999d", "too large"),
                config("lease zero", SettingsReader.LEASE, "0", "distributedmutex.lease=0", "longer than zero"),
                config("lease zero ms", SettingsReader.LEASE, "0ms", "distributedmutex.lease=0ms", "longer than zero"),
                config("lease zero ISO-8601", SettingsReader.LEASE, "PT0S", "distributedmutex.lease=PT0S",
                        "longer than zero"),
                config("lease negative", SettingsReader.LEASE, "-1s", "distributedmutex.lease=-1s", "it is negative"),
                config("lease without unit", SettingsReader.LEASE, "60", "distributedmutex.lease=60",
                        "a unit is missing"),
                config("http address", SettingsReader.REDIS_ADDRESS, "http://cache:6379",
                        "distributedmutex.redis.address=http://cache:6379", "must start with redis:// or rediss://"),
                config("address without scheme", SettingsReader.REDIS_ADDRESS, "127.0.0.1:6379",
                        "distributedmutex.redis.address=127.0.0.1:6379", "must start with redis://"),
                config("missing config file", SettingsReader.REDIS_CONFIG_FILE, "/does/not/exist/redisson.yaml",
                        "distributedmutex.redis.config-file=/does/not/exist/redisson.yaml",
                        "no readable file exists at that path"),
                config("config file is a directory", SettingsReader.REDIS_CONFIG_FILE, tmp,
                        "distributedmutex.redis.config-file=" + tmp, "no readable file exists at that path"),
                config("config file path with NUL", SettingsReader.REDIS_CONFIG_FILE, "redisson\u0000.yaml",
                        "distributedmutex.redis.config-file=", "not a valid path"),
                config("prefix with a space", SettingsReader.KEY_PREFIX, "my app:",
                        "distributedmutex.key-prefix=my app:", "whitespace or control characters"),
                config("prefix with a tab", SettingsReader.KEY_PREFIX, "app\t:", "distributedmutex.key-prefix=",
                        "whitespace or control characters"),
                config("blank prefix", SettingsReader.KEY_PREFIX, " ", "distributedmutex.key-prefix=",
                        "whitespace or control characters"),
                config("overlong prefix", SettingsReader.KEY_PREFIX, "p".repeat(129), "distributedmutex.key-prefix=",
                        "longer than 128 characters"),
                config("prefix with a brace", SettingsReader.KEY_PREFIX, "app{1}:",
                        "distributedmutex.key-prefix=app{1}:", "must not contain braces"),
                config("empty instance name", SettingsReader.INSTANCE_NAME, "", "distributedmutex.instance-name=",
                        "must not be blank"),
                config("blank instance name", SettingsReader.INSTANCE_NAME, "   ", "distributedmutex.instance-name=",
                        "must not be blank"),
                config("instance name with a space", SettingsReader.INSTANCE_NAME, "web 1",
                        "distributedmutex.instance-name=web 1", "whitespace character U+0020 at index 3"),
                config("instance name with a newline", SettingsReader.INSTANCE_NAME, "web\n1",
                        "distributedmutex.instance-name=", "control character U+000A at index 3"),
                config("instance name with a C1 control", SettingsReader.INSTANCE_NAME, "web\u00851",
                        "distributedmutex.instance-name=", "control character U+0085"),
                config("instance name with a no-break space", SettingsReader.INSTANCE_NAME, "web\u00a01",
                        "distributedmutex.instance-name=", "whitespace character U+00A0"),
                config("overlong instance name", SettingsReader.INSTANCE_NAME, "w".repeat(256),
                        "distributedmutex.instance-name=" + "w".repeat(64) + "...",
                        "256 characters long, the maximum is 255"));
    }

    private static Arguments config(String name, String key, String value, String... message) {
        return Arguments.of(name, key, value, List.of(message));
    }

    @Order(4)
    @ParameterizedTest(name = "configuration: {0}")
    @MethodSource("badConfiguration")
    void badConfigurationFailsNamingTheKeyAndTheValue(String name, String key, String value, List<String> message) {
        assertThatThrownBy(() -> SettingsReader.read(k -> Optional.ofNullable(k.equals(key) ? value : null)))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Invalid configuration " + key + "=")
                .hasMessageContainingAll(message.toArray(String[]::new));
    }

    @Order(5)
    @Test
    void aBadAddressWithCredentialsIsReportedWithoutThePassword() {
        assertThatThrownBy(() -> SettingsReader.read(k -> Optional.ofNullable(
                k.equals(SettingsReader.REDIS_ADDRESS) ? "http://app:s3cr3t@cache:6379" : null)))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("distributedmutex.redis.address=")
                .hasMessageContaining("must start with redis://")
                .hasMessageNotContaining("s3cr3t");
    }

    @Order(6)
    @Test
    void aConfigFileThatIsNotRedissonYamlFailsWhenTheClientIsBuilt(@TempDir Path dir) throws IOException {
        Path yaml = Files.writeString(dir.resolve("redisson.yaml"), "singleServerConfig: [password: hunter2\n");
        Settings settings = SettingsReader.read(k -> Optional.ofNullable(
                k.equals(SettingsReader.REDIS_CONFIG_FILE) ? yaml.toString() : null));
        assertThatThrownBy(() -> RedissonClientFactory.connect(settings))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContainingAll("distributedmutex.redis.config-file=" + yaml,
                        "not a valid Redisson YAML configuration")
                .hasMessageNotContaining("hunter2");
    }

    /**
     * A lease longer than {@link LockOptions#MAX_LEASE} is bad input too, wherever it comes from:
     * Redis refuses expiry times that overflow, and a lock whose {@code PEXPIRE} failed after its
     * {@code HSET} would stay in Redis without TTL. {@link #redisWasNotTouchedByAnyBadCall()} then
     * also proves nothing reached Redis.
     */
    @Order(7)
    @Test
    void anOverlongLeaseIsRejectedBeforeAnyRedisCall() {
        for (Duration lease : List.of(Duration.ofMillis(Long.MAX_VALUE), ChronoUnit.FOREVER.getDuration())) {
            assertThatThrownBy(() -> connected.tryLock("overlong-lease", Duration.ZERO, lease))
                    .isExactlyInstanceOf(IllegalArgumentException.class).hasMessageContaining("lease");
            assertThatThrownBy(() -> LockOptions.defaults().withLease(lease))
                    .isExactlyInstanceOf(IllegalArgumentException.class).hasMessageContaining("lease");
            assertThatThrownBy(() -> held.extend(lease))
                    .isExactlyInstanceOf(IllegalArgumentException.class).hasMessageContaining("duration");
        }
        assertThatThrownBy(() -> SettingsReader.read(k -> Optional.ofNullable(
                k.equals(SettingsReader.LEASE) ? "106751991000d" : null)))
                .isExactlyInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("distributedmutex.lease=106751991000d");
    }

    /**
     * A lease or extension under 1 ms is bad input wherever it comes from: Redis counts expiry in
     * milliseconds, and {@code PEXPIRE key 0} deletes the lock, so such a lease would "succeed"
     * with no lock in Redis and every caller would hold it at once.
     * {@link #redisWasNotTouchedByAnyBadCall()} then also proves nothing reached Redis, and that
     * the held lease survived the rejected extensions.
     */
    @Order(7)
    @Test
    void aLeaseUnderOneMillisecondIsRejectedBeforeAnyRedisCall() {
        for (Duration lease : List.of(Duration.ofNanos(1), Duration.ofNanos(500_000), Duration.ofNanos(999_999))) {
            assertThatThrownBy(() -> connected.tryLock("sub-millisecond-lease", Duration.ZERO, lease))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessageContainingAll("lease", "at least 1 ms", lease.toString());
            assertThatThrownBy(() -> LockOptions.defaults().withLease(lease))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessageContainingAll("lease", "at least 1 ms", lease.toString());
            assertThatThrownBy(() -> held.extend(lease))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessageContainingAll("extend duration", "at least 1 ms", lease.toString());
        }
        for (String value : List.of("PT0.0005S", "PT0.000999S")) {
            assertThatThrownBy(() -> SettingsReader.read(k -> Optional.ofNullable(
                    k.equals(SettingsReader.LEASE) ? value : null)))
                    .isExactlyInstanceOf(IllegalArgumentException.class)
                    .hasMessageContainingAll("distributedmutex.lease=" + value, "at least 1 ms");
            assertThatThrownBy(() -> Settings.defaults().withLease(Duration.parse(value)))
                    .isExactlyInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1 ms");
        }
    }

    @Order(8)
    @Test
    void redisWasNotTouchedByAnyBadCall() {
        Map<String, Long> now = commandCalls();
        Map<String, String> changed = new TreeMap<>();
        now.forEach((command, calls) -> {
            long before = commandsAfterWarmUp.getOrDefault(command, 0L);
            if (calls != before && !HOUSEKEEPING.contains(command)) {
                changed.put(command, before + " -> " + calls);
            }
        });
        assertThat(changed).as("commands Redis ran after the warm-up, other than connection housekeeping").isEmpty();
        for (String command : List.of("eval", "evalsha", "hset", "del", "publish")) {
            assertThat(now.getOrDefault(command, 0L)).as("calls of " + command)
                    .isEqualTo(commandsAfterWarmUp.getOrDefault(command, 0L));
        }
        assertThat(commandsAfterWarmUp.getOrDefault("evalsha", 0L) + commandsAfterWarmUp.getOrDefault("eval", 0L))
                .as("scripts run by the warm-up (so the probe can see them)").isPositive();
        assertThat(RedisCommands.callForList(redis.address(), "KEYS", "*")).as("keys after the table")
                .isEqualTo(keysAfterWarmUp);
        assertThat(logs.lines()).as("lock errors or release warnings logged by the bad calls")
                .noneMatch(line -> line.contains("Lock '") || line.contains("Release of lock"));

        // the lease survived the bad extends; once it is closed, Redis is empty
        assertThat(held.isHeld()).isTrue();
        held.close();
        assertThat(RedisCommands.callForLong(redis.address(), "DBSIZE")).isZero();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** {@code acquiref} or {@code releasef}. */
    @FunctionalInterface
    private interface FormatCall {
        void invoke(Adapter adapter, String format, Object... args);
    }

    private static Arguments row(String call, Consumer<Adapter> invocation, Class<? extends Exception> type,
                                 List<String> message) {
        return Arguments.of(call, invocation, type, message);
    }

    @SuppressWarnings("unchecked")
    private static Class<? extends Exception> castType(Object type) {
        return (Class<? extends Exception>) type;
    }

    @SuppressWarnings("unchecked")
    private static List<String> castMessages(Object messages) {
        return (List<String>) messages;
    }

    /** INFO commandstats of the dedicated server: command name to number of calls. */
    private static Map<String, Long> commandCalls() {
        Map<String, Long> calls = new TreeMap<>();
        Matcher matcher = COMMAND_STAT.matcher(RedisCommands.call(redis.address(), "INFO", "commandstats"));
        while (matcher.find()) {
            calls.put(matcher.group(1).toLowerCase(Locale.ROOT), Long.parseLong(matcher.group(2)));
        }
        return calls;
    }
}
