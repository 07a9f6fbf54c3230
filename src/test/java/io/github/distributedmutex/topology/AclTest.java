package io.github.distributedmutex.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.internal.config.Settings;
import io.github.distributedmutex.internal.key.LockKey;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.RedisVersion;
import io.github.distributedmutex.testing.SlowTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.Redisson;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.redisson.config.Config;

/**
 * The library as a Redis ACL user restricted to its own keys, its release channel and the
 * commands it needs ({@link #COMMANDS}, the minimal set found by trial; the rule is documented in
 * the README). The adapters are configured like production with
 * {@code distributedmutex.redis.address=redis://locker:<password>@host:port}.
 *
 * <p>The server starts open (the {@link RedisServerProcess} fixture probes readiness without
 * credentials); the test then creates the user and gives the default user a password, so every
 * later connection must authenticate.
 */
@SlowTest
class AclTest {

    /**
     * The commands the library needs: Redisson 4.7 runs the scripts with SCRIPT LOAD and EVALSHA
     * (EVAL as fallback), the scripts call TIME, EXISTS, HSET, HGET, HMGET, HDEL,
     * PEXPIRE, PTTL, DEL, SET, PUBLISH and, for the waiter queue of fair hand-off, ZADD, ZRANGE, ZRANGEBYSCORE, ZREM,
     * ZREMRANGEBYSCORE and ZSCORE, and the release notifications SUBSCRIBE/UNSUBSCRIBE. Redisson
     * itself sends PING on idle connections. AUTH is always allowed.
     */
    static final String COMMANDS = "-@all +eval +evalsha +script|load +time +exists +hset +hget +hmget +hdel +pexpire +pttl +del"
            + " +set +zadd +zrange +zrangebyscore +zrem +zremrangebyscore +zscore +publish +subscribe +unsubscribe +ping";

    private static final String PASSWORD = "L0cker-" + UUID.randomUUID();
    private static final String ADMIN_PASSWORD = "Adm1n-" + UUID.randomUUID();
    private static final String PREFIX = "acl-" + UUID.randomUUID().toString().substring(0, 8) + ":";

    private static RedisServerProcess server;
    private static String admin;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @BeforeAll
    static void startRedisWithAcl() {
        server = RedisServerProcess.start();
        String open = server.address();
        List<String> rule = new ArrayList<>(List.of("ACL", "SETUSER", "locker", "reset", "resetchannels", "on", ">" + PASSWORD,
                "~" + PREFIX + "*", "&distributedmutex:released:*"));
        rule.addAll(List.of(COMMANDS.split(" ")));
        RedisCommands.call(open, rule.toArray(String[]::new));
        RedisCommands.call(open, "ACL", "SETUSER", "default", "resetpass", ">" + ADMIN_PASSWORD);
        admin = "redis://default:" + ADMIN_PASSWORD + "@127.0.0.1:" + server.port();
        assertThat(RedisCommands.ping(open, Duration.ofSeconds(5))).as("PING without credentials").isFalse();
    }

    @AfterAll
    static void stopRedis() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void resetAclLog() {
        RedisCommands.call(admin, "ACL", "LOG", "RESET");
    }

    @AfterEach
    void closeResources() throws Exception {
        pool.shutdownNow();
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void theRestrictedUserLocksWaitsAndIsWokenAndItsPasswordIsNeverShown() throws Exception {
        String address = "redis://locker:" + PASSWORD + "@127.0.0.1:" + server.port();
        Settings settings = Settings.defaults().withRedisAddress(address).withKeyPrefix(PREFIX);
        String channel = LockKey.releaseChannel(PREFIX);
        String redisKey = PREFIX + "{job}";
        try (LogCapture logs = LogCapture.start()) {
            RedisAdapter first = instance(settings);
            RedisAdapter second = instance(settings);

            // a plain Redisson client as the same user listens on the release channel
            Config config = new Config();
            config.useSingleServer().setAddress(address);
            RedissonClient listener = Redisson.create(config);
            resources.add(listener::shutdown);
            BlockingQueue<String> released = new LinkedBlockingQueue<>();
            RTopic topic = listener.getTopic(channel, StringCodec.INSTANCE);
            topic.addListener(String.class, (ch, message) -> released.add(message));

            Lease held = first.lock("job");
            CompletableFuture<Lease> waiting = CompletableFuture.supplyAsync(
                    () -> second.lock("job", LockOptions.defaults().withMaxWait(Duration.ofSeconds(30))), pool);
            await().atMost(Duration.ofSeconds(15))
                    .until(() -> "1".equals(RedisCommands.call(admin, "HGET", redisKey, "waiters")));
            assertThat(waiting).isNotDone();
            long firstToken = held.fencingToken();
            assertThat(held.isHeld()).isTrue();
            assertThat(held.extend(Duration.ofSeconds(30))).isTrue();
            held.close();
            Lease next = waiting.get(15, TimeUnit.SECONDS);
            assertThat(next.fencingToken()).isGreaterThan(firstToken);
            // the default fair hand-off names the waiter it handed the lock to: "<redis key>\n<owner>"
            assertThat(released.poll(15, TimeUnit.SECONDS)).startsWith(redisKey + "\n");
            next.close();
            // re-entrant acquire/release and a tryLock that finds the lock free
            first.acquire("job");
            first.acquire("job");
            first.release("job");
            first.release("job");
            assertThat(second.tryLock("job", Duration.ZERO)).hasValueSatisfying(Lease::close);
            await().atMost(Duration.ofSeconds(15)).until(() -> subscribers(channel) >= 3);

            // the only denial: on connect Redisson 4.7 probes with an EVAL on the key "test1" (outside the
            // pattern); it is harmless, as the locking above shows, and needs no permission
            assertThat(RedisCommands.callForList(admin, "ACL", "LOG")).as("commands denied to locker")
                    .allMatch(entry -> entry.contains("reason, key") && entry.contains("object, test1,"));
            assertThat(logs.lines()).noneMatch(line -> line.contains(PASSWORD));
        }
    }

    @Test
    void aWrongPasswordFailsLockCallsBoundedWithoutShowingThePassword() throws Exception {
        String wrong = "Wr0ng-" + UUID.randomUUID();
        Settings settings = Settings.defaults().withRedisAddress("redis://locker:" + wrong + "@127.0.0.1:" + server.port())
                .withKeyPrefix(PREFIX);
        try (LogCapture logs = LogCapture.start()) {
            RedisAdapter adapter = instance(settings);
            String thrown = ConnectionFailureCheck.failsBoundedThenNamesTheCause(adapter,
                    Pattern.compile("WRONGPASS|auth", Pattern.CASE_INSENSITIVE));
            String everything = String.join("\n", logs.lines()) + "\n" + thrown;
            assertThat(everything).doesNotContain(wrong).doesNotContain(PASSWORD);
        }
    }

    @Test
    void theUserIsDeniedKeysChannelsAndCommandsOutsideTheRule() {
        String locker = "redis://locker:" + PASSWORD + "@127.0.0.1:" + server.port();
        assertThat(RedisCommands.call(locker, "SET", PREFIX + "inside", "1")).isEqualTo("OK");
        assertThatThrownBy(() -> RedisCommands.call(locker, "SET", "other:key", "1"))
                .hasMessageContaining("NOPERM");
        assertThatThrownBy(() -> RedisCommands.call(locker, "EVAL", "return redis.call('set', KEYS[1], '1')", "1",
                "other:key")).hasMessageContaining("NOPERM");
        assertThatThrownBy(() -> RedisCommands.call(locker, "PUBLISH", "other-channel", "x"))
                .hasMessageContaining("NOPERM");
        assertThatThrownBy(() -> RedisCommands.call(locker, "KEYS", "*")).hasMessageContaining("NOPERM");
        assertThatThrownBy(() -> RedisCommands.call(locker, "FLUSHALL")).hasMessageContaining("NOPERM");
    }

    /**
     * Why the rule names the release channel: a user created without a channel rule may use every channel on
     * Redis 6.2 ({@code acl-pubsub-default allchannels}) and none on Redis 7 (the default became
     * {@code resetchannels}), so there the release script's {@code PUBLISH} and the waiters' {@code SUBSCRIBE}
     * would be refused. The documented rule ({@code resetchannels &distributedmutex:released:*}) means the same on
     * both.
     */
    @Test
    void aUserWithoutAChannelRuleMayPublishOnRedis62ButNotOnRedis7() {
        RedisVersion version = RedisServerProcess.binaryVersion();
        String password = "N0channels-" + UUID.randomUUID();
        RedisCommands.call(admin, "ACL", "SETUSER", "nochannels", "on", ">" + password, "~" + PREFIX + "*",
                "-@all", "+publish");
        try {
            String user = "redis://nochannels:" + password + "@127.0.0.1:" + server.port();
            String channel = LockKey.releaseChannel(PREFIX);
            if (version.major() >= 7) {
                assertThat(RedisCommands.callForList(admin, "CONFIG", "GET", "acl-pubsub-default"))
                        .containsExactly("acl-pubsub-default", "resetchannels");
                assertThatThrownBy(() -> RedisCommands.call(user, "PUBLISH", channel, PREFIX + "{job}"))
                        .as("PUBLISH on the release channel on Redis %s", version).hasMessageContaining("NOPERM");
            } else {
                assertThat(RedisCommands.callForList(admin, "CONFIG", "GET", "acl-pubsub-default"))
                        .containsExactly("acl-pubsub-default", "allchannels");
                assertThat(RedisCommands.callForLong(user, "PUBLISH", channel, PREFIX + "{job}"))
                        .as("PUBLISH on the release channel on Redis %s (receivers)", version).isNotNegative();
            }
        } finally {
            RedisCommands.call(admin, "ACL", "DELUSER", "nochannels");
        }
    }

    private long subscribers(String channel) {
        return Long.parseLong(RedisCommands.callForList(admin, "PUBSUB", "NUMSUB", channel).get(1));
    }

    private RedisAdapter instance(Settings settings) {
        RedisAdapter adapter = new RedisAdapter(RedissonClientFactory.connect(settings), settings);
        resources.add(adapter);
        return adapter;
    }
}
