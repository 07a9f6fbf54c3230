package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.internal.redis.RedissonClientFactory;
import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.TcpProxy;
import io.github.distributedmutex.testing.TestAdapters;
import io.github.distributedmutex.testing.TestRedis;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Stages the library hands to application code complete off Redisson's I/O threads, so a
 * blocking or lock-taking continuation cannot stall the connection every lock shares.
 */
class CompletionThreadTest {

    /**
     * A synchronous release waits for Redis, not for a thread of the completion executor: on an EE
     * server that executor is the application's, and its threads may all be busy, for example with
     * the very task that releases.
     */
    @Test
    void aSynchronousReleaseDoesNotWaitForTheCompletionExecutor() throws Exception {
        ExecutorService managed = Executors.newSingleThreadExecutor(runnable -> new Thread(runnable, "managed-1"));
        try (TestAdapters adapters = TestAdapters.onSharedRedis();
             LogCapture logs = LogCapture.start()) {
            RedisAdapter adapter = adapters.register(new RedisAdapter(
                    RedissonClientFactory.connect(adapters.settings()), adapters.settings(), managed));
            // acquire and release on the executor's only thread: a release waiting for that thread never ends in time
            managed.submit(() -> {
                adapter.acquire("released-on-the-executor");
                adapter.release("released-on-the-executor");
            }).get(60, TimeUnit.SECONDS);
            assertThat(RedisCommands.callForLong(TestRedis.address(), "EXISTS",
                    adapters.redisKey("released-on-the-executor"))).isZero();
            assertThat(logs.lines("ERROR")).noneMatch(line -> line.contains("did not finish in time"));
        } finally {
            managed.shutdownNow();
        }
    }

    @Test
    void closeAsyncCompletesOffRedissonThreads() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start();
             TcpProxy proxy = TcpProxy.start(redis.port());
             TestAdapters adapters = TestAdapters.on(proxy.address())) {
            Adapter adapter = adapters.newInstance();
            Lease lease = adapter.lock("closed-async");

            // hold the release's reply back, so the dependent below is attached before the release completes
            proxy.freeze();
            CompletableFuture<String> dependentThread = lease.closeAsync().toCompletableFuture()
                    .thenApply(ignored -> Thread.currentThread().getName());
            assertThat(dependentThread).isNotDone();
            proxy.thaw();

            assertThat(dependentThread.get(30, TimeUnit.SECONDS)).as("thread of a dependent action of closeAsync()")
                    .doesNotContain("redisson").isNotEqualTo(Thread.currentThread().getName());
            assertThat(adapter.tryLock("closed-async", Duration.ZERO)).isPresent().get()
                    .satisfies(Lease::close);
        }
    }
}
