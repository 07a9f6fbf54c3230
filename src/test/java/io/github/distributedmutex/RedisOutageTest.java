package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Redis down at startup, or killed while running: calls fail within their bound and recover without a restart. */
@SlowTest
class RedisOutageTest {

    private static final LockOptions ONE_SECOND = LockOptions.defaults().withMaxWait(Duration.ofSeconds(1));

    @Test
    void anAdapterCreatedWhileRedisIsDownWorksOnceRedisIsUp() throws Exception {
        int port = RedisServerProcess.freePort();
        try (TestAdapters adapters = TestAdapters.on("redis://127.0.0.1:" + port)) {
            Adapter adapter = adapters.newInstance();
            assertFailsWithinBound(adapter);
            try (RedisServerProcess redis = RedisServerProcess.startOnPort(port)) {
                await().atMost(Duration.ofSeconds(60)).ignoreException(LockUnavailableException.class)
                        .until(() -> lockAndRelease(adapter, "after-start"));
                assertThat(redis.isAlive()).isTrue();
            }
        }
    }

    @Test
    void aRedisRestartIsSurvivedWithoutRestartingTheClient() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start();
             TestAdapters adapters = TestAdapters.on(redis.address())) {
            Adapter adapter = adapters.newInstance();
            await().atMost(Duration.ofSeconds(30)).ignoreException(LockUnavailableException.class)
                    .until(() -> lockAndRelease(adapter, "before"));
            Lease heldDuringCrash = adapter.lock("held-during-crash");

            redis.kill();
            assertFailsWithinBound(adapter);

            try (RedisServerProcess restarted = RedisServerProcess.startOnPort(redis.port())) {
                await().atMost(Duration.ofSeconds(60)).ignoreException(LockUnavailableException.class)
                        .until(() -> lockAndRelease(adapter, "after-restart"));
                // a server without persistence forgot the lock: a new holder gets it, with a higher token
                try (Lease next = adapter.lock("held-during-crash")) {
                    assertThat(next.fencingToken()).isGreaterThan(heldDuringCrash.fencingToken());
                    assertThat(heldDuringCrash.isHeld()).isFalse();
                }
                heldDuringCrash.close();
                assertThat(restarted.isAlive()).isTrue();
            }
        }
    }

    private static void assertFailsWithinBound(Adapter adapter) {
        long start = System.nanoTime();
        assertThatThrownBy(() -> adapter.lock("during-outage", ONE_SECOND)).isInstanceOf(LockUnavailableException.class)
                .hasMessageContaining("during-outage");
        // bound: the 2 s minimum per Redis call, with generous slack for a busy machine
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    }

    private static boolean lockAndRelease(Adapter adapter, String key) {
        Optional<Lease> lease = adapter.tryLock(key, Duration.ofSeconds(1));
        lease.ifPresent(Lease::close);
        return lease.isPresent();
    }
}
