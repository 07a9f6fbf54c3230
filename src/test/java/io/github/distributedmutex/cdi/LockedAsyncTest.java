package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockNotAcquiredException;
import io.github.distributedmutex.Locked;
import io.github.distributedmutex.testing.CdiContainers;
import io.github.distributedmutex.testing.CdiTest;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.TcpProxy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code @Locked} methods returning {@code CompletableFuture} / {@code CompletionStage} hold the
 * lock until the returned stage completes, release it from whichever thread completes it, and
 * complete the caller's stage only after the release.
 */
@CdiTest(LockedAsyncTest.AsyncJobs.class)
class LockedAsyncTest {

    private static final long TIMEOUT_SECONDS = 30;

    private static CdiContainers cdi;
    private static AsyncJobs jobs;
    private static Adapter adapter;

    @BeforeAll
    static void select(CdiContainers started) {
        cdi = started;
        jobs = cdi.select(AsyncJobs.class);
        adapter = cdi.select(Adapter.class);
    }

    /** Completes {@code action} on a thread of its own, which is neither the caller nor a pool thread. */
    private static void onAnotherThread(Runnable action) throws InterruptedException {
        Thread thread = new Thread(action, "completer-" + UUID.randomUUID());
        thread.start();
        thread.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
        assertThat(thread.isAlive()).isFalse();
    }

    @Test
    void aCompletableFutureKeepsTheLockUntilItCompletesOnAnotherThread() throws Exception {
        String id = unique();
        String key = "async:" + id;
        CompletableFuture<String> work = new CompletableFuture<>();

        CompletableFuture<String> result = jobs.future(id, work);
        // the caller's stage must observe the release: probe Redis the moment it completes
        CompletableFuture<Boolean> keyWhenCallerCompleted = result.handle((value, failure) -> cdi.redisKeyExists(key));

        assertThat(result).isNotDone();
        assertThat(cdi.redisKeyExists(key)).as("held while the stage is pending").isTrue();
        assertThat(tryOnce(key)).as("nobody else gets it while the stage is pending").isEmpty();
        assertThatThrownBy(() -> jobs.futureShortWait(id, CompletableFuture.completedFuture("x")))
                .isInstanceOf(LockNotAcquiredException.class);
        assertThat(cdi.redisKeyExists(key)).as("still held after the method returned").isTrue();

        onAnotherThread(() -> work.complete("done"));

        assertThat(result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo("done");
        assertThat(keyWhenCallerCompleted.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                .as("Redis key exists when the caller's stage completes").isFalse();
        assertThat(cdi.redisKeyExists(key)).isFalse();
        try (Lease again = tryOnce(key).orElseThrow()) {
            assertThat(again.isHeld()).isTrue();
        }
    }

    /**
     * The caller's dependent actions must not run on Redisson's I/O threads (the release's reply
     * arrives there): a blocking callback would stall every lock on that connection. The release's
     * reply is held back by a frozen proxy until the dependent is attached, so the dependent runs on
     * whichever thread completes the caller's stage once the reply arrives.
     */
    @Test
    void theCallersDependentActionsDoNotRunOnRedissonThreads() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.start();
             TcpProxy proxy = TcpProxy.start(redis.port());
             CdiContainers proxied = CdiContainers.builder().beans(AsyncJobs.class).redisAddress(proxy.address())
                     .start()) {
            AsyncJobs proxiedJobs = proxied.select(AsyncJobs.class);
            CompletableFuture<String> work = new CompletableFuture<>();
            CompletableFuture<String> dependentThread = proxiedJobs.future(unique(), work)
                    .thenApply(value -> Thread.currentThread().getName());

            proxy.freeze();
            onAnotherThread(() -> work.complete("done"));
            assertThat(dependentThread).as("the release has no answer yet").isNotDone();
            proxy.thaw();

            assertThat(dependentThread.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                    .as("thread of the caller's dependent action").doesNotContain("redisson");
            assertThat(proxied.redisKeys()).isEmpty();
        }
    }

    @Test
    void aCompletionStageKeepsTheLockUntilItCompletes() throws Exception {
        String id = unique();
        String key = "async:" + id;
        CompletableFuture<String> work = new CompletableFuture<>();

        CompletionStage<String> result = jobs.stage(id, work);
        CompletableFuture<Boolean> keyWhenCallerCompleted = result
                .handle((value, failure) -> cdi.redisKeyExists(key)).toCompletableFuture();

        assertThat(result.toCompletableFuture()).isNotDone();
        assertThat(cdi.redisKeyExists(key)).isTrue();

        onAnotherThread(() -> work.complete("done"));

        assertThat(result.toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo("done");
        assertThat(keyWhenCallerCompleted.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isFalse();
    }

    @Test
    void anExceptionalCompletionReleasesAndReachesTheCaller() throws Exception {
        String id = unique();
        String key = "async:" + id;
        CompletableFuture<String> work = new CompletableFuture<>();

        CompletableFuture<String> result = jobs.future(id, work);
        CompletableFuture<Boolean> keyWhenCallerCompleted = result.handle((value, failure) -> cdi.redisKeyExists(key));
        assertThat(cdi.redisKeyExists(key)).isTrue();

        IllegalStateException boom = new IllegalStateException("async boom");
        onAnotherThread(() -> work.completeExceptionally(boom));

        assertThatThrownBy(() -> result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseReference(boom);
        assertThat(keyWhenCallerCompleted.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isFalse();
        assertThat(cdi.redisKeyExists(key)).isFalse();
    }

    @Test
    void aSynchronousThrowReleasesTheLock() throws Exception {
        String id = unique();
        String key = "async:" + id;
        IllegalStateException boom = new IllegalStateException("sync boom");

        assertThatThrownBy(() -> jobs.throwsBeforeReturning(id, () -> {
            assertThat(cdi.redisKeyExists(key)).as("held while the method runs").isTrue();
            throw boom;
        })).isSameAs(boom);

        assertThat(cdi.redisKeyExists(key)).isFalse();
        try (Lease again = tryOnce(key).orElseThrow()) {
            assertThat(again.isHeld()).isTrue();
        }
    }

    @Test
    void aStageThatIsAlreadyCompletedReleasesAtOnce() throws Exception {
        String id = unique();
        CompletableFuture<String> result = jobs.future(id, CompletableFuture.completedFuture("done"));
        assertThat(result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo("done");
        assertThat(cdi.redisKeyExists("async:" + id)).isFalse();
    }

    private static Optional<Lease> tryOnce(String key) throws Exception {
        // from another thread, so nothing thread-owned could help
        return CompletableFuture.supplyAsync(() -> adapter.tryLock(key, Duration.ZERO))
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    // ---- the beans ---------------------------------------------------------------------------------

    @ApplicationScoped
    public static class AsyncJobs {

        @Locked("async:{0}")
        public CompletableFuture<String> future(String id, CompletableFuture<String> work) {
            return work;
        }

        @Locked(value = "async:{0}", maxWait = "300ms")
        public CompletableFuture<String> futureShortWait(String id, CompletableFuture<String> work) {
            return work;
        }

        @Locked("async:{0}")
        public CompletionStage<String> stage(String id, CompletionStage<String> work) {
            return work;
        }

        @Locked("async:{0}")
        public CompletableFuture<String> throwsBeforeReturning(String id, Runnable body) {
            body.run();
            return CompletableFuture.completedFuture("unreachable");
        }
    }
}
