package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.TestAdapters;
import io.github.distributedmutex.testing.TestRedis;
import io.github.distributedmutex.testing.SlowTest;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The watchdog renews on the schedule of the lease as it is now (after {@link Lease#extend}), and
 * never keeps alive the thread-owned hold of a thread that has ended.
 */
@SlowTest
class WatchdogTest {

    private final TestAdapters adapters = TestAdapters.onSharedRedis();

    @AfterEach
    void tearDown() throws Exception {
        adapters.close();
    }

    /**
     * Lease 15 s with watchdog, then {@code extend(2s)}: renewing every third of the FIRST lease
     * (5 s) while each renewal sets the new 2 s lease would leave the lock free 3 s out of every 5.
     * Another instance samples the lock for 6 s, which spans the first lease's renewal point, and
     * must never get it.
     */
    @Test
    void afterExtendTheWatchdogRenewsOnTheScheduleOfTheNewLease() {
        Adapter holder = adapters.newInstance();
        Adapter sampler = adapters.newInstance();
        LockOptions watched = LockOptions.defaults().withLease(Duration.ofSeconds(15)).withWatchdog(true);
        try (Lease lease = holder.lock("extended-watchdog", watched)) {
            assertThat(lease.extend(Duration.ofSeconds(2))).isTrue();
            await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> sampledFree(sampler, "extended-watchdog").isEmpty());
            assertThat(lease.isHeld()).isTrue();
        }
        assertThat(exists("extended-watchdog")).isFalse();
    }

    /**
     * A thread takes a watchdog lock through {@code acquire} and ends without releasing it. The
     * watchdog must not renew it forever: at its next renewal (a third of the 24 s lease) it finds
     * the thread gone, releases the lock (long before the lease would have run out) and logs an
     * ERROR naming the key and the thread.
     */
    @Test
    void theWatchdogReleasesTheHoldOfAThreadThatEndedWithoutReleasing() throws Exception {
        RedisAdapter adapter = adapters.newInstance();
        LockOptions watched = LockOptions.defaults().withLease(Duration.ofSeconds(24)).withWatchdog(true);
        try (LogCapture logs = LogCapture.start()) {
            Thread forgetful = new Thread(() -> adapter.acquire("orphaned", watched), "forgetful-job-thread");
            forgetful.start();
            forgetful.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(forgetful.isAlive()).isFalse();
            assertThat(exists("orphaned")).as("taken by the thread").isTrue();

            await().atMost(Duration.ofSeconds(20)).until(() -> !exists("orphaned"));
            assertThat(logs.lines("ERROR")).anySatisfy(line -> assertThat(line)
                    .contains("'orphaned'").contains("forgetful-job-thread").contains("released"));
        }
        assertThat(adapter.perKeyState()).as("nothing of the dead thread's hold is kept").isZero();
    }

    private static Optional<String> sampledFree(Adapter sampler, String key) {
        Optional<Lease> taken = sampler.tryLock(key, Duration.ZERO);
        taken.ifPresent(Lease::close);
        return taken.map(Lease::key);
    }

    private boolean exists(String key) {
        return RedisCommands.callForLong(TestRedis.address(), "EXISTS", adapters.redisKey(key)) == 1;
    }
}
