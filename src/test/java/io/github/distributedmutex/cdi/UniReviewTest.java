package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Locked;
import io.github.distributedmutex.testing.CdiContainers;
import io.github.distributedmutex.testing.CdiTest;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.RequestScoped;
import jakarta.enterprise.context.control.RequestContextController;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hostile re-review's tests of {@code @Locked} methods returning a Mutiny {@code Uni} (issue 13, A.2).
 */
@CdiTest({UniReviewTest.Jobs.class, UniReviewTest.RequestData.class})
class UniReviewTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private static CdiContainers cdi;
    private static Jobs jobs;

    @BeforeAll
    static void select(CdiContainers started) {
        cdi = started;
        jobs = cdi.select(Jobs.class);
    }

    /**
     * A subscriber that leaves while the method body runs (the body runs synchronously on the thread that completed
     * the acquisition, before the method's {@code Uni} is subscribed): Mutiny's {@code transformToUni} then subscribes
     * the inner {@code Uni} after its own cancel and never cancels it. Expected: the method's {@code Uni} is cancelled
     * and the lock released, as for a cancel that comes a moment later.
     */
    @Test
    void aCancelWhileTheMethodBodyRunsCancelsTheMethodsUniAndReleasesTheLock() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        String key = "uni-review:" + id;
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
     * The method body of a {@code @Locked Uni} method runs on the library's completion thread, not in the context of
     * the subscriber: a request-scoped bean that the same body can use without {@code @Locked} is no longer
     * available. (On Quarkus the same hop loses the Vert.x duplicated context: Hibernate Reactive's
     * {@code @WithSession}/{@code @WithTransaction} and Panache need it.)
     */
    @Test
    void theMethodBodyRunsInTheSubscribersRequestContext() throws Exception {
        RequestContextController requests = cdi.select(RequestContextController.class);
        requests.activate();
        try {
            cdi.select(RequestData.class).set("tenant-7");
            String id = UUID.randomUUID().toString().substring(0, 8);
            AtomicReference<String> thread = new AtomicReference<>();

            String unlocked = jobs.runUnlocked(() -> Uni.createFrom().item(jobs.requestValue()))
                    .subscribeAsCompletionStage().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(unlocked).as("without @Locked the body sees the request").isEqualTo("tenant-7");

            CompletableFuture<String> locked = jobs.run(id, () -> {
                thread.set(Thread.currentThread().getName());
                return Uni.createFrom().item(jobs.requestValue());
            }).subscribeAsCompletionStage();
            assertThat(locked.handle((item, failure) -> failure == null ? item : "failed on thread " + thread.get()
                    + ": " + failure).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
                    .as("with @Locked the body sees the same request").isEqualTo("tenant-7");
        } finally {
            requests.deactivate();
        }
    }

    /**
     * A subscriber that leaves while the method's {@code Uni} runs: {@code onTermination().call(release)} releases the
     * lock first and cancels the method's {@code Uni} only once the release is done (Mutiny's
     * {@code UniOnTerminationCall.cancel}), so the work is still running, uncancelled, while the lock is already free
     * for the next holder (for the whole release round trip, up to 5 s when Redis does not answer). Expected: the work
     * is told to stop while the lock is still held.
     */
    @Test
    void aCancelledRunIsCancelledBeforeItsLockIsReleased() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        String key = "uni-review:" + id;
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
    }

    /** Request-scoped data of the caller (a tenant, a user, a trace id). */
    @RequestScoped
    public static class RequestData {
        private String value;

        public void set(String value) {
            this.value = value;
        }

        public String get() {
            return value;
        }
    }

    @ApplicationScoped
    public static class Jobs {

        @Inject
        RequestData request;

        @Locked(value = "uni-review:{0}", maxWait = "30s")
        public Uni<String> run(String id, Supplier<Uni<String>> body) {
            return body.get();
        }

        public Uni<String> runUnlocked(Supplier<Uni<String>> body) {
            return body.get();
        }

        public String requestValue() {
            return request.get();
        }
    }
}
