package io.github.distributedmutex.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

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
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * {@code @Locked(keys = {...})}: a method that needs several locks runs only while it holds all of them, taken as
 * one unit; opposite parameter orders do not overlap (one script on this single server), equal keys are locked
 * once, a nested {@code @Locked} method re-enters, a method returning a stage holds every key until it completes,
 * and contention leaves nothing held.
 */
@CdiTest(LockedKeysTest.Accounts.class)
class LockedKeysTest {

    private static final long TIMEOUT_SECONDS = 60;

    private static Accounts accounts;
    private static Adapter adapter;

    private ExecutorService threads;

    @BeforeAll
    static void select(CdiContainers cdi) {
        accounts = cdi.select(Accounts.class);
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

    @Test
    void theMethodRunsHoldingEveryKeyAndReleasesThemAfterwards() throws Exception {
        String a = unique();
        String b = unique();
        AtomicReference<List<Boolean>> takenElsewhere = new AtomicReference<>();
        AtomicReference<String> mdcKey = new AtomicReference<>();
        AtomicReference<String> mdcToken = new AtomicReference<>();
        AtomicReference<List<OptionalLong>> tokens = new AtomicReference<>();
        accounts.transfer(a, b, () -> {
            takenElsewhere.set(List.of(freeElsewhere("account:" + a), freeElsewhere("account:" + b)));
            mdcKey.set(MDC.get("distributedmutex.key"));
            mdcToken.set(MDC.get("distributedmutex.token"));
            tokens.set(List.of(adapter.fencingToken("account:" + a), adapter.fencingToken("account:" + b)));
        });
        assertThat(takenElsewhere.get()).as("either key free for another caller while the method ran")
                .containsExactly(false, false);
        assertThat(mdcKey.get()).isEqualTo("account:" + a + ", account:" + b);
        assertThat(tokens.get()).allSatisfy(token -> assertThat(token).isPresent());
        assertThat(tokens.get().get(1)).as("one script on one server: one token").isEqualTo(tokens.get().get(0));
        assertThat(mdcToken.get()).as("the MDC's token: the one the keys share")
                .isEqualTo(Long.toString(tokens.get().get(0).getAsLong()));
        assertThat(freeElsewhere("account:" + a)).isTrue();
        assertThat(freeElsewhere("account:" + b)).isTrue();
        assertThat(adapter.fencingToken("account:" + a)).isEmpty();
    }

    /**
     * On one server a set is one script: this proves that opposite parameter orders are taken all or nothing
     * without overlap, not the canonical order (removing the sort cannot make it fail; {@code ClusterLockAllTest}
     * proves the order).
     */
    @Test
    void oppositeParameterOrdersNeitherDeadlockNorOverlap() throws Exception {
        String a = unique();
        String b = unique();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        List<Future<?>> workers = new ArrayList<>();
        for (int worker = 0; worker < 4; worker++) {
            boolean forward = worker % 2 == 0;
            workers.add(threads.submit(() -> {
                for (int round = 0; round < 20; round++) {
                    accounts.transfer(forward ? a : b, forward ? b : a, () -> {
                        if (inside.incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        Thread.yield(); // widen the window a missing exclusion would need
                        inside.decrementAndGet();
                    });
                }
                return null;
            }));
        }
        for (Future<?> future : workers) {
            future.get(TIMEOUT_SECONDS * 2, TimeUnit.SECONDS);
        }
        assertThat(overlaps.get()).isZero();
    }

    @Test
    void keysThatRenderEqualAreLockedOnce() {
        String a = unique();
        AtomicInteger ran = new AtomicInteger();
        accounts.transfer(a, a, ran::incrementAndGet);
        assertThat(ran.get()).isEqualTo(1);
        assertThat(adapter.fencingToken("account:" + a)).isEmpty();
    }

    @Test
    void aNestedLockedMethodWithOneOfTheKeysReentersIt() {
        String a = unique();
        String b = unique();
        AtomicReference<OptionalLong> outer = new AtomicReference<>();
        AtomicReference<OptionalLong> nested = new AtomicReference<>();
        accounts.transfer(a, b, () -> {
            outer.set(adapter.fencingToken("account:" + a));
            nested.set(accounts.audit(a));
        });
        assertThat(nested.get()).isPresent().isEqualTo(outer.get());
    }

    @Test
    void aStageMethodHoldsEveryKeyUntilTheStageCompletes() throws Exception {
        String a = unique();
        String b = unique();
        CompletableFuture<String> work = new CompletableFuture<>();
        CompletionStage<String> stage = accounts.transferLater(a, b, work);
        assertThat(freeElsewhere("account:" + a)).isFalse();
        assertThat(freeElsewhere("account:" + b)).isFalse();
        work.complete("done");
        assertThat(stage.toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS)).isEqualTo("done");
        await().atMost(Duration.ofSeconds(TIMEOUT_SECONDS)).until(() -> freeElsewhere("account:" + a)
                && freeElsewhere("account:" + b));
    }

    @Test
    void whenOneKeyIsHeldElsewhereTheMethodDoesNotRunAndNothingIsHeld() throws Exception {
        String a = unique();
        String b = unique();
        AtomicInteger ran = new AtomicInteger();
        try (Lease held = threads.submit(() -> adapter.lock("account:" + b)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            assertThatThrownBy(() -> accounts.transferQuickly(a, b, ran::incrementAndGet))
                    .isInstanceOfSatisfying(LockNotAcquiredException.class,
                            e -> assertThat(e.key()).isEqualTo("account:" + b));
            assertThat(ran.get()).isZero();
            assertThat(freeElsewhere("account:" + a)).isTrue();
            assertThat(adapter.fencingToken("account:" + a)).isEmpty();
            assertThat(held.isHeld()).isTrue();
        }
    }

    /** Whether another caller (a lease on another thread) could take the key right now; releases it at once. */
    private boolean freeElsewhere(String key) {
        try {
            return threads.submit(() -> {
                Optional<Lease> lease = adapter.tryLock(key, Duration.ZERO);
                lease.ifPresent(Lease::close);
                return lease.isPresent();
            }).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not ask another thread about " + key, e);
        }
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    /** Transfers between accounts, each account a lock. */
    @ApplicationScoped
    public static class Accounts {

        @Inject
        Adapter adapter;

        @Locked(keys = {"account:{from}", "account:{to}"}, maxWait = "30s")
        public void transfer(String from, String to, Runnable body) {
            body.run();
        }

        @Locked(keys = {"account:{from}", "account:{to}"}, maxWait = "200ms")
        public void transferQuickly(String from, String to, Runnable body) {
            body.run();
        }

        @Locked(keys = {"account:{from}", "account:{to}"})
        public CompletionStage<String> transferLater(String from, String to, CompletableFuture<String> work) {
            return work;
        }

        @Locked(value = "account:{id}", maxWait = "0s")
        public OptionalLong audit(String id) {
            return adapter.fencingToken("account:" + id);
        }
    }
}
