package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.Locked;
import io.github.distributedmutex.testing.CdiContainers;
import io.github.distributedmutex.testing.CdiTest;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code @Locked} methods returning a Mutiny {@code Uni}: a subscriber that leaves at any moment of the run cancels
 * the method's {@code Uni} before the lock is released; a {@code Uni} that fails with a
 * {@link CancellationException} failed (freed at once); a skipped {@code Uni<Optional<T>>} emits
 * {@code Optional.empty()}.
 */
@CdiTest(LockedUniCancellationTest.Jobs.class)
class LockedUniCancellationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private static CdiContainers cdi;
    private static Jobs jobs;
    private static Adapter adapter;

    @BeforeAll
    static void select(CdiContainers started) {
        cdi = started;
        jobs = cdi.select(Jobs.class);
        adapter = cdi.select(Adapter.class);
    }

    /**
     * A subscriber that leaves while the method body runs (before the method's {@code Uni} is subscribed): the
     * method's {@code Uni} is cancelled as soon as it is subscribed, and the lock released, as for a cancel that
     * comes a moment later.
     */
    @Test
    void aCancelWhileTheMethodBodyRunsCancelsTheMethodsUniAndReleasesTheLock() throws Exception {
        String id = unique();
        String key = "uni-cancel:" + id;
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch leave = new CountDownLatch(1);
        AtomicBoolean cancelled = new AtomicBoolean();
        Supplier<Uni<String>> body = () -> {
            entered.countDown();
            try {
                leave.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS); // eager work in the body, e.g. building a query
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // work that ends only when cancelled (a long poll, a stream, a slow remote call)
            return Uni.createFrom().<String>nothing().onCancellation().invoke(() -> cancelled.set(true));
        };

        Cancellable subscription = jobs.run(id, body).subscribe().with(item -> { }, failure -> { });
        assertThat(entered.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("the body runs").isTrue();
        subscription.cancel(); // the HTTP client hangs up just as the lock was granted
        leave.countDown();

        await("the method's Uni is cancelled").atMost(TIMEOUT).untilTrue(cancelled);
        await("the lock is released").atMost(TIMEOUT).until(() -> !cdi.redisKeyExists(key));
    }

    /**
     * A subscriber that leaves while the method's {@code Uni} runs: the work is told to stop while the lock is still
     * held, and only then is the lock released.
     */
    @Test
    void aCancelledRunIsCancelledBeforeItsLockIsReleased() throws Exception {
        String id = unique();
        String key = "uni-cancel:" + id;
        CompletableFuture<Boolean> heldWhenCancelled = new CompletableFuture<>();
        CountDownLatch running = new CountDownLatch(1);
        Supplier<Uni<String>> body = () -> {
            running.countDown();
            return Uni.createFrom().<String>nothing()
                    .onCancellation().invoke(() -> heldWhenCancelled.complete(cdi.redisKeyExists(key)));
        };
        Cancellable subscription = jobs.run(id, body).subscribe().with(item -> { }, failure -> { });
        assertThat(running.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        await().atMost(TIMEOUT).until(() -> cdi.redisKeyExists(key));
        subscription.cancel();
        assertThat(heldWhenCancelled.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                .as("the lock was still held when the method's Uni was cancelled").isTrue();
        await("then the lock is released").atMost(TIMEOUT).until(() -> !cdi.redisKeyExists(key));
    }

    /** A {@code Uni} that fails with a {@link CancellationException} failed: the lock is freed at once. */
    @Test
    void aUniFailingWithACancellationExceptionFailedAndFreesAtOnce() throws Exception {
        String id = unique();
        String key = "uni-cancel:" + id;
        CancellationException gaveUp = new CancellationException("the remote call gave up");

        CompletableFuture<Boolean> heldWhenTheFailureArrived = jobs.runHoldingAtLeast(id,
                        () -> Uni.createFrom().failure(gaveUp))
                .onItemOrFailure().transform((item, failure) -> {
                    assertThat(failure).isSameAs(gaveUp);
                    return cdi.redisKeyExists(key);
                }).subscribeAsCompletionStage();

        assertThat(heldWhenTheFailureArrived.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                .as("freed at once, not held for its 20 s minimum hold").isFalse();
    }

    /** A skipped {@code Uni<Optional<T>>} emits {@code Optional.empty()}, as a skipped {@code Optional} method. */
    @Test
    void aSkippedUniOfOptionalEmitsAnEmptyOptional() throws Exception {
        String id = unique();
        String key = "uni-cancel:" + id;
        AtomicBoolean ran = new AtomicBoolean();
        try (Lease holder = adapter.lock(key)) {
            Optional<String> item = jobs.maybe(id, ran).subscribeAsCompletionStage()
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(item).as("the item of a skipped run").isEqualTo(Optional.empty());
            assertThat(holder.isHeld()).isTrue();
        }
        assertThat(ran).isFalse();
        assertThat(jobs.maybe(id, ran).subscribeAsCompletionStage().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                .contains("ran");
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    @ApplicationScoped
    public static class Jobs {

        @Locked(value = "uni-cancel:{0}", maxWait = "30s")
        public Uni<String> run(String id, Supplier<Uni<String>> body) {
            return body.get();
        }

        @Locked(value = "uni-cancel:{0}", holdAtLeast = "20s", lease = "30s")
        public Uni<String> runHoldingAtLeast(String id, Supplier<Uni<String>> body) {
            return body.get();
        }

        @Locked(value = "uni-cancel:{0}", maxWait = "0s", onContention = Locked.OnContention.SKIP)
        public Uni<Optional<String>> maybe(String id, AtomicBoolean ran) {
            ran.set(true);
            return Uni.createFrom().item(Optional.of("ran"));
        }
    }
}
