package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.distributedmutex.Adapter;
import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockNotAcquiredException;
import io.github.distributedmutex.Locked;
import io.github.distributedmutex.testing.CdiContainers;
import io.github.distributedmutex.testing.CdiTest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a {@code @Locked} method does when its lock is held elsewhere: the default policy throws
 * after the annotation's wait, SKIP returns "nothing"; in both cases the body does not run. Same
 * keys exclude each other, different keys do not, and a nested call with the same key on the same
 * thread re-enters.
 */
@CdiTest({LockedContentionTest.Contended.class, LockedContentionTest.Reentrant.class,
        LockedContentionTest.SameKeyElsewhere.class})
class LockedContentionTest {

    private static final long TIMEOUT_SECONDS = 30;

    private static CdiContainers cdi;
    private static Contended contended;
    private static Adapter adapter;

    private ExecutorService threads;

    @BeforeAll
    static void select(CdiContainers started) {
        cdi = started;
        contended = cdi.select(Contended.class);
        adapter = cdi.select(Adapter.class);
    }

    @BeforeEach
    void threads() {
        threads = Executors.newCachedThreadPool();
    }

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
    }

    /** Takes the lock on another thread, as a lease that the test closes. */
    private Lease holdElsewhere(String key) throws Exception {
        return threads.submit(() -> adapter.lock(key)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void theDefaultPolicyThrowsAfterTheAnnotationsWaitAndTheBodyDoesNotRun() throws Exception {
        String id = unique();
        AtomicInteger ran = new AtomicInteger();
        try (Lease ignored = holdElsewhere("c:" + id)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> contended.throwing(id, ran::incrementAndGet))
                    .isInstanceOfSatisfying(LockNotAcquiredException.class,
                            e -> assertThat(e.key()).isEqualTo("c:" + id));
            Duration waited = Duration.ofNanos(System.nanoTime() - start);
            assertThat(waited).as("waited about the annotation's maxWait of 300ms")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(250))
                    .isLessThan(Duration.ofSeconds(10));
        }
        assertThat(ran).hasValue(0);
        // once the holder released, the same call goes through
        contended.throwing(id, ran::incrementAndGet);
        assertThat(ran).hasValue(1);
    }

    @Test
    void skipReturnsNothingForEveryReturnTypeAndTheBodyDoesNotRun() throws Exception {
        String id = unique();
        AtomicInteger ran = new AtomicInteger();
        try (Lease ignored = holdElsewhere("c:" + id)) {
            assertThat(contended.skipValue(id, ran::incrementAndGet)).isNull();
            assertThat(contended.skipOptional(id, ran::incrementAndGet)).isEmpty();
            CompletionStage<String> stage = contended.skipStage(id, ran::incrementAndGet);
            assertThat(stage.toCompletableFuture()).isCompletedWithValue(null);
            assertThat(contended.skipFuture(id, ran::incrementAndGet)).isCompletedWithValue(null);
            contended.skipVoid(id, ran::incrementAndGet);
        }
        assertThat(ran).hasValue(0);
        // control: without contention every one of them runs
        assertThat(contended.skipValue(id, ran::incrementAndGet)).isEqualTo("ran");
        assertThat(contended.skipOptional(id, ran::incrementAndGet)).contains("ran");
        assertThat(contended.skipStage(id, ran::incrementAndGet).toCompletableFuture().join()).isEqualTo("ran");
        assertThat(contended.skipFuture(id, ran::incrementAndGet).join()).isEqualTo("ran");
        contended.skipVoid(id, ran::incrementAndGet);
        assertThat(ran).hasValue(5);
        assertThat(cdi.redisKeys()).isEmpty();
    }

    @Test
    void aLockHeldByAnotherApplicationInstanceStopsThisOne() throws Exception {
        String id = unique();
        AtomicInteger ran = new AtomicInteger();
        try (CdiContainers otherInstance = CdiContainers.builder().beans(Contended.class)
                .keyPrefix(cdi.keyPrefix()).start()) {
            Contended there = otherInstance.select(Contended.class);
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch leave = new CountDownLatch(1);
            Future<?> holder = threads.submit(() -> there.throwing(id, () -> {
                entered.countDown();
                await(leave);
            }));
            assertThat(entered.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();

            assertThatThrownBy(() -> contended.throwing(id, ran::incrementAndGet))
                    .isInstanceOf(LockNotAcquiredException.class);
            assertThat(contended.skipOptional(id, ran::incrementAndGet)).isEmpty();
            assertThat(ran).hasValue(0);

            leave.countDown();
            holder.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            contended.throwing(id, ran::incrementAndGet);
            assertThat(ran).hasValue(1);
        }
    }

    @Test
    void callsWithTheSameKeyNeverOverlap() throws Exception {
        String id = unique();
        int callers = 3;
        int rounds = 15;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger mostInside = new AtomicInteger();
        AtomicInteger entries = new AtomicInteger();
        Runnable body = () -> {
            int now = inside.incrementAndGet();
            mostInside.accumulateAndGet(now, Math::max);
            entries.incrementAndGet();
            // widens the window in which an overlap would be seen; not used for synchronisation
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(3));
            inside.decrementAndGet();
        };
        // every round, all callers are released together, so each round is a real contention
        CyclicBarrier round = new CyclicBarrier(callers);
        List<Future<?>> results = new ArrayList<>();
        for (int c = 0; c < callers; c++) {
            results.add(threads.submit(() -> {
                for (int r = 0; r < rounds; r++) {
                    round.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    contended.exclusive(id, body);
                }
                return null;
            }));
        }
        for (Future<?> result : results) {
            result.get(90, TimeUnit.SECONDS);
        }
        assertThat(entries).hasValue(callers * rounds);
        assertThat(mostInside).as("most callers inside the method at once").hasValue(1);
        assertThat(cdi.redisKeys()).isEmpty();
    }

    @Test
    void callsWithDifferentKeysRunConcurrently() throws Exception {
        // both bodies must be inside at the same time to pass the barrier
        CyclicBarrier bothInside = new CyclicBarrier(2);
        Runnable body = () -> await(bothInside);
        Future<?> first = threads.submit(() -> contended.exclusive(unique(), body));
        Future<?> second = threads.submit(() -> contended.exclusive(unique(), body));
        first.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        second.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(bothInside.isBroken()).isFalse();
    }

    @Test
    void aNestedCallWithTheSameKeyOnTheSameThreadReEnters() {
        Reentrant reentrant = cdi.select(Reentrant.class);
        String id = unique();
        List<String> events = reentrant.outer(id, () -> cdi.redisKeyExists("r:" + id));
        assertThat(events).containsExactly(
                "outer holds=true",
                "self-inner holds=true",
                "after self-inner holds=true",
                "other-bean holds=true",
                "after other-bean holds=true");
        assertThat(cdi.redisKeyExists("r:" + id)).isFalse();
    }

    @Test
    void aNestedCallOnAnotherThreadDoesNotReEnter() throws Exception {
        // control for the test above: the hold belongs to the thread, not to the key
        Reentrant reentrant = cdi.select(Reentrant.class);
        String id = unique();
        CompletableFuture<Throwable> fromAnotherThread = new CompletableFuture<>();
        reentrant.runLocked(id, () -> {
            try {
                threads.submit(() -> reentrant.innerOnly(id, () -> true)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                fromAnotherThread.complete(null);
            } catch (Exception e) {
                fromAnotherThread.complete(e.getCause());
            }
        });
        assertThat(fromAnotherThread.get(TIMEOUT_SECONDS, TimeUnit.SECONDS))
                .isInstanceOf(LockNotAcquiredException.class);
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch not released in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the other caller never came in at the same time", e);
        }
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    // ---- the beans ---------------------------------------------------------------------------------

    @ApplicationScoped
    public static class Contended {

        @Locked(value = "c:{0}", maxWait = "300ms")
        public void throwing(String id, Runnable body) {
            body.run();
        }

        @Locked(value = "c:{0}", maxWait = "300ms", onContention = Locked.OnContention.SKIP)
        public String skipValue(String id, Runnable body) {
            body.run();
            return "ran";
        }

        @Locked(value = "c:{0}", maxWait = "300ms", onContention = Locked.OnContention.SKIP)
        public Optional<String> skipOptional(String id, Runnable body) {
            body.run();
            return Optional.of("ran");
        }

        @Locked(value = "c:{0}", maxWait = "300ms", onContention = Locked.OnContention.SKIP)
        public CompletionStage<String> skipStage(String id, Runnable body) {
            body.run();
            return CompletableFuture.completedFuture("ran");
        }

        @Locked(value = "c:{0}", maxWait = "300ms", onContention = Locked.OnContention.SKIP)
        public CompletableFuture<String> skipFuture(String id, Runnable body) {
            body.run();
            return CompletableFuture.completedFuture("ran");
        }

        @Locked(value = "c:{0}", maxWait = "300ms", onContention = Locked.OnContention.SKIP)
        public void skipVoid(String id, Runnable body) {
            body.run();
        }

        @Locked(value = "m:{0}", maxWait = "30s")
        public void exclusive(String id, Runnable body) {
            body.run();
        }
    }

    @ApplicationScoped
    public static class Reentrant {

        @Inject
        Reentrant self;

        @Inject
        SameKeyElsewhere other;

        @Locked(value = "r:{0}", maxWait = "300ms")
        public List<String> outer(String id, BooleanSupplier held) {
            List<String> events = new ArrayList<>();
            events.add("outer holds=" + held.getAsBoolean());
            events.add(self.innerOnly(id, held));
            events.add("after self-inner holds=" + held.getAsBoolean());
            events.add(other.sameKey(id, held));
            events.add("after other-bean holds=" + held.getAsBoolean());
            return events;
        }

        @Locked(value = "r:{0}", maxWait = "300ms")
        public String innerOnly(String id, BooleanSupplier held) {
            return "self-inner holds=" + held.getAsBoolean();
        }

        @Locked(value = "r:{0}", maxWait = "30s")
        public void runLocked(String id, Runnable body) {
            body.run();
        }
    }

    @ApplicationScoped
    public static class SameKeyElsewhere {

        @Locked(value = "r:{0}", maxWait = "300ms")
        public String sameKey(String id, BooleanSupplier held) {
            return "other-bean holds=" + held.getAsBoolean();
        }
    }
}
