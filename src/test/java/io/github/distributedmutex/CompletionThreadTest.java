package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.TcpProxy;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Stages the library hands to application code complete off Redisson's I/O threads, so a
 * blocking or lock-taking continuation cannot stall the connection every lock shares.
 */
class CompletionThreadTest {

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
