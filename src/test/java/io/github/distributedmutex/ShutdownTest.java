package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.TcpProxy;
import io.github.distributedmutex.testing.TestAdapters;
import io.github.distributedmutex.testing.TestRedis;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Closing the adapter (the container shutting down, for example in a rolling deploy) never deletes
 * a lock whose holder may still be running: it waits up to {@code distributedmutex.shutdown-grace}
 * for holders to release, then stops renewing what is left, which expires within its lease as after
 * a crash, and names it in a WARN.
 */
class ShutdownTest {

    private static final long TIMEOUT_SECONDS = 30;

    private final TestAdapters adapters = TestAdapters.onSharedRedis();
    private final ExecutorService jobThread = Executors.newSingleThreadExecutor(
            runnable -> new Thread(runnable, "still-running-job"));

    @AfterEach
    void tearDown() throws Exception {
        jobThread.shutdownNow();
        adapters.close();
    }

    @Test
    void withoutGraceTheLocksOfRunningHoldersAreLeftToExpireNotDeleted() throws Exception {
        RedisAdapter adapter = adapters.withShutdownGrace(Duration.ZERO).newInstance();
        CountDownLatch finish = new CountDownLatch(1);
        Future<?> job = holdOnTheJobThread(adapter, "running-job", finish);
        Lease open = adapter.lock("open-lease", LockOptions.defaults().withLease(Duration.ofSeconds(60)));

        try (LogCapture logs = LogCapture.start()) {
            adapter.close();
            assertThat(exists("running-job")).as("the running job's lock survives the shutdown").isTrue();
            assertThat(exists("open-lease")).as("an open lease's lock survives the shutdown").isTrue();
            assertThat(logs.lines("WARN")).anySatisfy(line -> assertThat(line)
                    .contains("'running-job'").contains("still-running-job").contains("expire"));
            assertThat(logs.lines("WARN")).anySatisfy(line -> assertThat(line)
                    .contains("'open-lease'").contains("expire"));
        }
        // the watchdog stopped: the 3 s watchdog lease runs out although its holder still runs
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> !exists("running-job"));
        assertThat(RedisCommands.callForLong(TestRedis.address(), "PTTL", adapters.redisKey("open-lease")))
                .as("left to expire within its lease").isBetween(1L, 60_000L);
        assertThatThrownBy(() -> adapter.lock("after-close")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");

        // the holders end later: their releases neither throw nor harm anyone
        finish.countDown();
        job.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        open.close();
    }

    @Test
    void withGraceCloseWaitsForRunningHoldersAndThenReleasesNormally() throws Exception {
        RedisAdapter adapter = adapters.withShutdownGrace(Duration.ofSeconds(120)).newInstance();
        CountDownLatch finish = new CountDownLatch(1);
        Future<?> job = holdOnTheJobThread(adapter, "graceful-job", finish);

        try (LogCapture logs = LogCapture.start()) {
            CompletableFuture<Void> closing = CompletableFuture.runAsync(adapter::close);
            await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(adapter::isClosed);
            assertThat(closing).as("close waits while the holder runs").isNotDone();
            assertThat(exists("graceful-job")).as("and leaves its lock alone meanwhile").isTrue();

            finish.countDown();
            job.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            // well inside the 120 s grace: close returns once the last holder released
            closing.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(exists("graceful-job")).as("released by its holder").isFalse();
            assertThat(logs.lines("WARN")).noneMatch(line -> line.contains("expire"));
            assertThat(logs.lines("ERROR")).isEmpty();
        }
    }

    /**
     * An acquisition under way when the adapter closes may still be granted in Redis: close waits
     * for it, and the late grant is given back before the client shuts down, so no lock is left
     * behind that nobody holds.
     */
    @Test
    void anAcquisitionUnderWayAtShutdownLeavesNoOrphanLock() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start();
             TcpProxy proxy = TcpProxy.start(redis.port());
             TestAdapters proxied = TestAdapters.on(proxy.address()).withShutdownGrace(Duration.ofSeconds(2))) {
            RedisAdapter adapter = proxied.newInstance();
            adapter.lock("warm-up").close();
            proxy.freeze();
            CompletableFuture<Lease> attempt = CompletableFuture.supplyAsync(() -> adapter.lock("in-flight",
                    LockOptions.defaults().withMaxWait(Duration.ofSeconds(5)).withLease(Duration.ofSeconds(60))));
            await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> adapter.acquisitionsUnderWay() == 1);

            CompletableFuture<Void> closing = CompletableFuture.runAsync(adapter::close);
            await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(adapter::isClosed);
            proxy.thaw(); // the grant arrives after the shutdown began
            closing.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);

            assertThat(attempt).failsWithin(Duration.ofSeconds(TIMEOUT_SECONDS));
            assertThat(RedisCommands.callForLong(redis.address(), "EXISTS", proxied.redisKey("in-flight")))
                    .as("a lock granted during the shutdown is given back, not left for its 60 s lease").isZero();
        }
    }

    /**
     * The set version of {@link #anAcquisitionUnderWayAtShutdownLeavesNoOrphanLock()}: a set granted by one script
     * after the shutdown began is given back whole, not one key given back and the others left for their lease.
     */
    @Test
    void aSetGrantedDuringShutdownLeavesNoOrphanLock() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start();
             TcpProxy proxy = TcpProxy.start(redis.port());
             TestAdapters proxied = TestAdapters.on(proxy.address()).withShutdownGrace(Duration.ofSeconds(2))) {
            RedisAdapter adapter = proxied.newInstance();
            await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).ignoreExceptions().until(() -> {
                adapter.lockAll(List.of("warm-up:1", "warm-up:2"), LockOptions.defaults()).close();
                return true;
            });
            proxy.freeze();
            List<String> keys = List.of("in-flight:a", "in-flight:b", "in-flight:c");
            CompletableFuture<Lease> attempt = CompletableFuture.supplyAsync(() -> adapter.lockAll(keys,
                    LockOptions.defaults().withMaxWait(Duration.ofSeconds(5)).withLease(Duration.ofSeconds(60))));
            await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> adapter.acquisitionsUnderWay() == 1);

            CompletableFuture<Void> closing = CompletableFuture.runAsync(adapter::close);
            await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(adapter::isClosed);
            proxy.thaw(); // the grant of the whole set arrives after the shutdown began
            closing.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);

            assertThat(attempt).failsWithin(Duration.ofSeconds(TIMEOUT_SECONDS));
            for (String key : keys) {
                assertThat(RedisCommands.callForLong(redis.address(), "EXISTS", proxied.redisKey(key)))
                        .as("%s of a set granted during the shutdown is given back, not left for its 60 s lease", key)
                        .isZero();
            }
        }
    }

    /** Takes {@code key} through {@code acquire} (watchdog lease 3 s) on the job thread and holds it until {@code finish}. */
    private Future<?> holdOnTheJobThread(Adapter adapter, String key, CountDownLatch finish) throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        Future<?> job = jobThread.submit(() -> {
            adapter.acquire(key, LockOptions.defaults().withLease(Duration.ofSeconds(3)).withWatchdog(true));
            try {
                held.countDown();
                finish.await();
            } finally {
                adapter.release(key);
            }
            return null;
        });
        assertThat(held.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
        return job;
    }

    private boolean exists(String key) {
        return RedisCommands.callForLong(TestRedis.address(), "EXISTS", adapters.redisKey(key)) == 1;
    }
}
