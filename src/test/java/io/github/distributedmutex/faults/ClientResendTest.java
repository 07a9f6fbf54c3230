package io.github.distributedmutex.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.LockUnavailableException;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.TcpProxy;
import io.github.distributedmutex.testing.TestAdapters;
import io.github.distributedmutex.testing.SlowTest;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * Redisson resends a command after its response timeout and after a connection drops; a command
 * that already ran in Redis then runs again. The library's scripts must not be resent behind its
 * back, and an attempt whose outcome is unknown must be given back: otherwise a resent ACQUIRE
 * answers "held" for the caller's own lock (the caller fails and the key stays blocked for the
 * whole lease) and a resent RELEASE reports a false expiry.
 *
 * <p>The application's client goes through a {@link TcpProxy}, with a response timeout of 1 s and
 * Redisson's default of 4 retries set explicitly.
 */
@SlowTest
class ClientResendTest {

    private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(1);
    private static final LockOptions LONG_LEASE = LockOptions.defaults().withLease(Duration.ofSeconds(60))
            .withMaxWait(Duration.ofSeconds(5));

    private RedisServerProcess redis;
    private TcpProxy proxy;
    private TestAdapters adapters;
    private RedisAdapter adapter;

    @BeforeEach
    void start() {
        redis = RedisServerProcess.start();
        proxy = TcpProxy.start(redis.port());
        adapters = TestAdapters.on(proxy.address());
        Config config = new Config();
        config.useSingleServer().setAddress(proxy.address()).setTimeout((int) RESPONSE_TIMEOUT.toMillis())
                .setRetryAttempts(4);
        RedissonClient client = Redisson.create(config);
        adapters.register(client::shutdown);
        adapter = adapters.newAdapter(client);
        adapter.lock("warm-up").close();
    }

    @AfterEach
    void stop() throws Exception {
        adapters.close();
        proxy.close();
        redis.close();
    }

    /** The network stalls 1.5 s: the ACQUIRE reaches Redis after the client's 1 s timeout, and its reply is late. */
    @Test
    void anAcquireAnsweredAfterTheClientTimeoutIsNotResentAndNotLeftHeld() throws Exception {
        proxy.freeze();
        CompletableFuture<Optional<Lease>> attempt = CompletableFuture.supplyAsync(
                () -> adapter.tryLock("late-reply", LONG_LEASE));
        // the fault itself: a stall of 1.5 s, longer than the response timeout
        CompletableFuture.delayedExecutor(1500, TimeUnit.MILLISECONDS).execute(proxy::thaw);

        assertThatTheCallerWasNotRefusedByItsOwnLock("late-reply", attempt);
    }

    /** The ACQUIRE reaches Redis, then the connection is reset before the reply comes back. */
    @Test
    void anAcquireWhoseConnectionWasResetAfterTheWriteIsNotResentAndNotLeftHeld() throws Exception {
        proxy.resetAfterRequestContaining("EVAL");
        CompletableFuture<Optional<Lease>> attempt = CompletableFuture.supplyAsync(
                () -> adapter.tryLock("reset-after-write", LONG_LEASE));

        assertThatTheCallerWasNotRefusedByItsOwnLock("reset-after-write", attempt);
        assertThat(proxy.resets()).as("the fault fired").isEqualTo(1);
    }

    /** The RELEASE reaches Redis (and deletes the lock), then the connection is reset before the reply. */
    @Test
    void aReleaseWhoseConnectionWasResetAfterTheWriteReportsNoFalseExpiry() throws Exception {
        Lease lease = adapter.lock("released-then-reset", LONG_LEASE);
        try (LogCapture logs = LogCapture.start()) {
            proxy.resetAfterRequestContaining("EVAL");
            lease.close();
            assertThat(proxy.resets()).as("the fault fired").isEqualTo(1);
            assertThat(exists("released-then-reset")).as("the release ran in Redis").isFalse();
            assertThat(logs.lines()).as("a resent release would report the lock as expired or taken")
                    .noneMatch(line -> line.contains("expired before its release"));
        }
    }

    private void assertThatTheCallerWasNotRefusedByItsOwnLock(String key, CompletableFuture<Optional<Lease>> attempt)
            throws Exception {
        Object outcome = attempt.handle((lease, failure) -> failure == null ? lease
                : failure instanceof CompletionException ? failure.getCause() : failure).get(60, TimeUnit.SECONDS);
        if (outcome instanceof Optional<?> lease && lease.isPresent()) {
            // the library tried again under a new owner id: then it must really hold the lock, and the
            // unanswered attempt's owner was given back (its refusal marker stops a later delivery)
            Lease held = (Lease) lease.get();
            assertThat(held.isHeld()).isTrue();
            held.close();
            assertThat(RedisCommands.callForList(redis.address(), "KEYS", adapters.redisKey(key) + ":abandoned:*"))
                    .as("refusal marker of the owner whose attempt went unanswered").isNotEmpty();
        } else {
            assertThat(outcome).as("the caller must not be told its own lock is somebody else's")
                    .isInstanceOf(LockUnavailableException.class);
        }
        // whatever the caller saw, the key is not blocked for the 60 s lease by a grant nobody holds
        await().atMost(Duration.ofSeconds(15)).until(() -> !exists(key));
        try (Lease next = adapter.lock(key, LockOptions.defaults().withMaxWait(Duration.ofSeconds(15)))) {
            assertThat(next.isHeld()).isTrue();
        }
    }

    private boolean exists(String key) {
        return RedisCommands.callForLong(redis.address(), "EXISTS", adapters.redisKey(key)) == 1;
    }
}
