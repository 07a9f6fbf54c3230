package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockInfo;
import io.github.distributedmutex.LockNotAcquiredException;
import io.github.distributedmutex.Locked;
import io.github.distributedmutex.testing.CdiContainers;
import io.github.distributedmutex.testing.CdiTest;
import io.github.distributedmutex.testing.LogCapture;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * {@code @Locked} methods returning Mutiny's {@code Uni}: the lock is taken, without blocking, when the {@code Uni} is
 * subscribed (not when the method is called), the method body runs only once it is held, the lock is held until the
 * {@code Uni} terminates and released before the subscriber sees the item or failure (at once on failure, even with a
 * minimum hold), on cancellation too, also while still waiting; every subscription locks again, and subscriptions on
 * one key never overlap.
 */
@CdiTest(LockedUniTest.UniJobs.class)
class LockedUniTest {

    private static final long TIMEOUT_SECONDS = 30;
    private static final Duration TIMEOUT = Duration.ofSeconds(TIMEOUT_SECONDS);

    private static CdiContainers cdi;
    private static UniJobs jobs;
    private static Adapter adapter;

    @BeforeAll
    static void select(CdiContainers started) {
        cdi = started;
        jobs = cdi.select(UniJobs.class);
        adapter = cdi.select(Adapter.class);
    }

    @Test
    void theLockIsTakenWhenTheUniIsSubscribedNotWhenTheMethodIsCalled() throws Exception {
        String id = unique();
        String key = "uni:" + id;
        Body body = new Body();

        Uni<String> uni = jobs.run(id, body);

        assertThat(body.runs).as("the method body has not run yet").hasValue(0);
        assertThat(cdi.redisKeyExists(key)).as("nothing held before the subscription").isFalse();
        try (Lease elsewhere = tryOnce(key).orElseThrow()) {
            assertThat(elsewhere.isHeld()).isTrue();
        }

        CompletableFuture<String> result = uni.subscribeAsCompletionStage();
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(body.runs).hasValue(1));
        assertThat(body.keyHeldInside).containsExactly(true);
        body.work.complete("done");
        assertThat(result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo("done");
    }

    @Test
    void theLockIsHeldUntilTheUniTerminatesAndReleasedBeforeTheItemArrives() throws Exception {
        String id = unique();
        String key = "uni:" + id;
        Body body = new Body();

        CompletableFuture<Boolean> heldWhenTheItemArrived = jobs.run(id, body)
                .map(item -> cdi.redisKeyExists(key)).subscribeAsCompletionStage();

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(body.runs).hasValue(1));
        assertThat(cdi.redisKeyExists(key)).as("held while the Uni is pending").isTrue();
        assertThat(tryOnce(key)).as("nobody else gets it while the Uni is pending").isEmpty();

        body.work.complete("done");

        assertThat(heldWhenTheItemArrived.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                .as("Redis key exists when the subscriber gets the item").isFalse();
        try (Lease again = tryOnce(key).orElseThrow()) {
            assertThat(again.isHeld()).isTrue();
        }
    }

    @Test
    void subscribingDoesNotBlockAndTheBodyRunsOnlyOnceTheLockIsHeld() throws Exception {
        String id = unique();
        String key = "uni:" + id;
        Body body = new Body();
        CompletableFuture<String> result;
        try (Lease holder = adapter.lock(key)) {
            // returns at once although the lock is taken: the subscribing thread (this one) must release it
            result = jobs.run(id, body).subscribeAsCompletionStage();
            await().atMost(TIMEOUT).until(() -> waiters(key) == 1);
            assertThat(body.runs).as("the body waits for the lock").hasValue(0);
            assertThat(holder.isHeld()).isTrue();
        }
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(body.runs).hasValue(1));
        assertThat(body.keyHeldInside).containsExactly(true);
        body.work.complete("done");
        assertThat(result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo("done");
        assertThat(cdi.redisKeyExists(key)).isFalse();
    }

    @Test
    void contentionFailsTheSubscriptionNotTheCall() throws Exception {
        String id = unique();
        String key = "uni:" + id;
        Body body = new Body();
        try (Lease holder = adapter.lock(key)) {
            Uni<String> uni = jobs.runShortWait(id, body);
            CompletableFuture<String> result = uni.subscribeAsCompletionStage();
            assertThatThrownBy(() -> result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(LockNotAcquiredException.class);
            assertThat(holder.isHeld()).isTrue();
        }
        assertThat(body.runs).hasValue(0);
    }

    @Test
    void aFailingUniReleasesAtOnceEvenWithAMinimumHold() throws Exception {
        String id = unique();
        String key = "uni:" + id;
        Body body = new Body();
        IllegalStateException boom = new IllegalStateException("uni boom");

        CompletableFuture<Boolean> heldWhenTheFailureArrived = jobs.runHoldingAtLeast(id, body)
                .onItemOrFailure().transform((item, failure) -> {
                    assertThat(failure).isSameAs(boom);
                    return cdi.redisKeyExists(key);
                }).subscribeAsCompletionStage();
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(body.runs).hasValue(1));
        assertThat(cdi.redisKeyExists(key)).isTrue();

        body.work.completeExceptionally(boom);

        assertThat(heldWhenTheFailureArrived.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                .as("Redis key exists when the subscriber gets the failure").isFalse();
        try (Lease again = tryOnce(key).orElseThrow()) {
            assertThat(again.isHeld()).isTrue();
        }
    }

    @Test
    void anItemKeepsTheMinimumHold() throws Exception {
        String id = unique();
        String key = "uni:" + id;
        Body body = new Body();
        body.work.complete("done");

        assertThat(jobs.runHoldingAtLeast(id, body).subscribeAsCompletionStage().get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                .isEqualTo("done");

        // freed by itself when the 20 s hold has passed (the lease on the annotation bounds it)
        assertThat(adapter.inspect(key)).as("held on after success until holdAtLeast has passed")
                .hasValueSatisfying(info -> assertThat(info.releasedEarly()).isTrue());
    }

    @Test
    void aMethodThatThrowsUnderTheLockFailsTheSubscriberAfterTheRelease() throws Exception {
        String id = unique();
        String key = "uni:" + id;
        IllegalStateException boom = new IllegalStateException("sync boom");
        AtomicBoolean heldInside = new AtomicBoolean();

        CompletableFuture<Boolean> heldWhenTheFailureArrived = jobs.runHoldingAtLeast(id, () -> {
            heldInside.set(cdi.redisKeyExists(key));
            throw boom;
        }).onItemOrFailure().transform((item, failure) -> {
            assertThat(failure).isSameAs(boom);
            return cdi.redisKeyExists(key);
        }).subscribeAsCompletionStage();

        assertThat(heldWhenTheFailureArrived.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isFalse();
        assertThat(heldInside).as("the body ran under the lock").isTrue();
    }

    @Test
    void cancellingWhileTheUniRunsReleasesTheLockAndCancelsTheMethodsUni() throws Exception {
        String id = unique();
        String key = "uni:" + id;
        Body body = new Body();
        try (LogCapture logs = LogCapture.start()) {
            Cancellable subscription = jobs.run(id, body).subscribe().with(item -> { }, failure -> { });
            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(body.runs).hasValue(1));
            assertThat(cdi.redisKeyExists(key)).isTrue();

            subscription.cancel();

            await().atMost(TIMEOUT).until(() -> !cdi.redisKeyExists(key));
            assertThat(body.cancelled).as("the method's Uni was cancelled").isTrue();
            // a hung-up client is routine for a reactive endpoint: a DEBUG line, no WARN flood
            assertThat(logs.lines("WARN")).noneMatch(line -> line.contains(key));
        }
        try (Lease again = tryOnce(key).orElseThrow()) {
            assertThat(again.isHeld()).isTrue();
        }
    }

    @Test
    void cancellingWhileWaitingGivesUpTheWaitAndTheMethodNeverRuns() throws Exception {
        String id = unique();
        String key = "uni:" + id;
        Body body = new Body();
        try (Lease holder = adapter.lock(key)) {
            // waits far longer than this test: only the cancellation can end the wait in time
            Cancellable subscription = jobs.runWaitingLong(id, body).subscribe().with(item -> { }, failure -> { });
            await().atMost(TIMEOUT).until(() -> waiters(key) == 1);

            subscription.cancel();

            await("the wait ends with the cancellation").atMost(TIMEOUT).until(() -> waiters(key) == 0);
            assertThat(holder.isHeld()).isTrue();
        }
        assertThat(adapter.inspect(key)).as("nobody took it after the holder").isEmpty();
        assertThat(body.runs).hasValue(0);
    }

    @Test
    void everySubscriptionLocksAgainAndRunsTheMethodAgain() throws Exception {
        String id = unique();
        Body body = new Body();
        body.work.complete("done");
        Uni<String> uni = jobs.run(id, body);

        assertThat(uni.subscribeAsCompletionStage().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo("done");
        assertThat(uni.subscribeAsCompletionStage().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo("done");

        assertThat(body.runs).hasValue(2);
        assertThat(body.keyHeldInside).containsExactly(true, true);
        assertThat(body.tokens).as("the fencing token in the MDC of each run").hasSize(2).doesNotContainNull();
        assertThat(Long.parseLong(body.tokens.get(1))).as("a new grant, a higher token")
                .isGreaterThan(Long.parseLong(body.tokens.get(0)));
        assertThat(cdi.redisKeyExists("uni:" + id)).isFalse();
    }

    @Test
    void aSecondSubscriptionWaitsUntilTheFirstUniTerminates() throws Exception {
        String id = unique();
        String key = "uni:" + id;
        Body first = new Body();
        Body second = new Body();
        Uni<String> uni = jobs.run(id, () -> first.runs.get() == 0 ? first.get() : second.get());

        CompletableFuture<String> firstResult = uni.subscribeAsCompletionStage();
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(first.runs).hasValue(1));
        CompletableFuture<String> secondResult = uni.subscribeAsCompletionStage();
        await().atMost(TIMEOUT).until(() -> waiters(key) == 1);
        assertThat(second.runs).as("the second subscription waits").hasValue(0);

        first.work.complete("first");
        assertThat(firstResult.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo("first");
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(second.runs).hasValue(1));
        assertThat(secondResult).isNotDone();
        second.work.complete("second");
        assertThat(secondResult.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo("second");
        assertThat(cdi.redisKeyExists(key)).isFalse();
    }

    @Test
    void manyConcurrentSubscriptionsNeverOverlap() throws Exception {
        String id = unique();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger mostInside = new AtomicInteger();
        Supplier<Uni<String>> work = () -> {
            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            // the work takes time, so that overlapping runs would be seen inside together
            return Uni.createFrom().item("ran").onItem().delayIt().by(Duration.ofMillis(20))
                    .onTermination().invoke(inside::decrementAndGet);
        };
        List<CompletableFuture<String>> results = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            results.add(jobs.run(id, work).subscribeAsCompletionStage());
        }
        for (CompletableFuture<String> result : results) {
            assertThat(result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo("ran");
        }
        assertThat(mostInside).as("runs inside at the same time").hasValue(1);
    }

    @Test
    void skipEmitsNullWithoutRunningTheMethod() throws Exception {
        String id = unique();
        String key = "uni:" + id;
        Body body = new Body();
        body.work.complete("ran");
        try (Lease holder = adapter.lock(key)) {
            assertThat(jobs.runOrSkip(id, body).subscribeAsCompletionStage().get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                    .as("the item of a skipped run").isNull();
            assertThat(holder.isHeld()).isTrue();
        }
        assertThat(body.runs).hasValue(0);
        assertThat(jobs.runOrSkip(id, body).subscribeAsCompletionStage().get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                .isEqualTo("ran");
        assertThat(body.keyHeldInside).containsExactly(true);
    }

    @Test
    void severalKeysAreHeldTogetherUntilTheUniTerminates() throws Exception {
        String from = unique();
        String to = unique();
        Body body = new Body();

        CompletableFuture<String> result = jobs.transfer(from, to, body).subscribeAsCompletionStage();
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(body.runs).hasValue(1));
        assertThat(cdi.redisKeyExists("uni-from:" + from)).isTrue();
        assertThat(cdi.redisKeyExists("uni-to:" + to)).isTrue();
        assertThat(body.mdcKeys).containsExactly("uni-from:" + from + ", uni-to:" + to);

        body.work.complete("moved");
        assertThat(result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo("moved");
        assertThat(cdi.redisKeys()).noneMatch(redisKey -> redisKey.contains(from) || redisKey.contains(to));
    }

    private static int waiters(String key) {
        return adapter.inspect(key).map(LockInfo::waiters).orElse(0);
    }

    private static Optional<Lease> tryOnce(String key) throws Exception {
        // from another thread, so nothing thread-owned could help
        return CompletableFuture.supplyAsync(() -> adapter.tryLock(key, Duration.ZERO))
                .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * A method body: records each run (whether the key was held in Redis, the MDC) and returns a {@code Uni} of
     * {@link #work}, which the test completes.
     */
    private static final class Body implements Supplier<Uni<String>> {

        final AtomicInteger runs = new AtomicInteger();
        final List<Boolean> keyHeldInside = new CopyOnWriteArrayList<>();
        final List<String> tokens = new CopyOnWriteArrayList<>();
        final List<String> mdcKeys = new CopyOnWriteArrayList<>();
        final CompletableFuture<String> work = new CompletableFuture<>();
        final AtomicBoolean cancelled = new AtomicBoolean();

        @Override
        public Uni<String> get() {
            String keys = MDC.get("distributedmutex.key");
            mdcKeys.add(keys);
            tokens.add(MDC.get("distributedmutex.token"));
            keyHeldInside.add(keys != null && cdi.redisKeyExists(keys.split(", ")[0]));
            runs.incrementAndGet();
            return Uni.createFrom().completionStage(work).onCancellation().invoke(() -> cancelled.set(true));
        }
    }

    // ---- the beans ---------------------------------------------------------------------------------

    @ApplicationScoped
    public static class UniJobs {

        @Locked(value = "uni:{0}", maxWait = "30s")
        public Uni<String> run(String id, Supplier<Uni<String>> body) {
            return body.get();
        }

        @Locked(value = "uni:{0}", maxWait = "10m")
        public Uni<String> runWaitingLong(String id, Supplier<Uni<String>> body) {
            return body.get();
        }

        @Locked(value = "uni:{0}", maxWait = "200ms")
        public Uni<String> runShortWait(String id, Supplier<Uni<String>> body) {
            return body.get();
        }

        @Locked(value = "uni:{0}", maxWait = "0s", onContention = Locked.OnContention.SKIP)
        public Uni<String> runOrSkip(String id, Supplier<Uni<String>> body) {
            return body.get();
        }

        @Locked(value = "uni:{0}", holdAtLeast = "20s", lease = "30s")
        public Uni<String> runHoldingAtLeast(String id, Supplier<Uni<String>> body) {
            return body.get();
        }

        @Locked(keys = {"uni-from:{0}", "uni-to:{1}"}, maxWait = "30s")
        public Uni<String> transfer(String from, String to, Supplier<Uni<String>> body) {
            return body.get();
        }
    }
}
