package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.SlowTest;
import io.github.distributedmutex.testing.TestAdapters;
import io.github.distributedmutex.testing.TestRedis;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The bounded wait: it ends in the lock or in one of the two exceptions, never blocks forever. */
class BoundedWaitTest {

    private final TestAdapters adapters = TestAdapters.onSharedRedis();

    @AfterEach
    void tearDown() throws Exception {
        adapters.close();
    }

    @Test
    void lockThrowsLockNotAcquiredWhenTheWaitRunsOut() {
        Adapter holder = adapters.newInstance();
        Adapter waiter = adapters.newInstance();
        try (Lease held = holder.lock("busy")) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> waiter.lock("busy", LockOptions.defaults().withMaxWait(Duration.ofMillis(500))))
                    .isInstanceOfSatisfying(LockNotAcquiredException.class, e -> {
                        assertThat(e.key()).isEqualTo("busy");
                        assertThat(e.waited()).isGreaterThanOrEqualTo(Duration.ofMillis(450));
                        assertThat(e.getMessage()).contains("busy").contains("500 ms");
                    })
                    .isInstanceOf(DistributedMutexException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
            assertThat(held.isHeld()).isTrue();
        }
    }

    /**
     * The exception names whom the caller waited for: the holder's instance (from its owner id), how long it had
     * held the lock on the Redis clock, and its remaining lease, read by the script that refused the last attempt.
     */
    @Test
    void theExceptionNamesTheHoldersInstanceAndHowLongItHeldTheLock() {
        Adapter holder = adapters.withInstanceName("billing-7").newInstance();
        Adapter waiter = adapters.withInstanceName("billing-8").newInstance();
        try (Lease held = holder.lock("whom", LockOptions.defaults().withLease(Duration.ofSeconds(30)))) {
            long grantedNanos = System.nanoTime();
            assertThatThrownBy(() -> waiter.lock("whom", LockOptions.defaults().withMaxWait(Duration.ofMillis(400))))
                    .isInstanceOfSatisfying(LockNotAcquiredException.class, e -> {
                        Duration sinceGrant = Duration.ofNanos(System.nanoTime() - grantedNanos);
                        assertThat(e.holderInstance()).contains("billing-7");
                        assertThat(e.holderOwner()).get().asString().startsWith("billing-7#");
                        assertThat(e.holderHeld()).get().satisfies(h -> assertThat(h)
                                .as("held, on the Redis clock, about as long as the waiter waited")
                                .isGreaterThanOrEqualTo(Duration.ofMillis(300))
                                .isLessThanOrEqualTo(sinceGrant.plusSeconds(1)));
                        assertThat(e.holderRemainingLease()).get().satisfies(r -> assertThat(r)
                                .isGreaterThan(Duration.ofSeconds(20)).isLessThanOrEqualTo(Duration.ofSeconds(30)));
                        assertThat(e.getMessage()).contains("held by instance 'billing-7'")
                                .contains("ms of its lease left").doesNotContain("billing-8");
                    });
        }
    }

    @Test
    void anInterruptedWaitNamesNoHolder() throws Exception {
        Adapter holder = adapters.newInstance();
        Adapter waiter = adapters.newInstance();
        try (Lease held = holder.lock("interrupted-whom")) {
            CompletableFuture<Throwable> failure = new CompletableFuture<>();
            Thread thread = new Thread(() -> {
                try {
                    waiter.lock("interrupted-whom", LockOptions.defaults().withMaxWait(Duration.ofSeconds(30)));
                    failure.complete(null);
                } catch (RuntimeException e) {
                    failure.complete(e);
                }
            });
            thread.start();
            await().atMost(Duration.ofSeconds(20)).until(() -> waiter.inspect("interrupted-whom")
                    .map(info -> info.waiters() == 1).orElse(false));
            thread.interrupt();
            assertThat(failure.get(20, TimeUnit.SECONDS)).isInstanceOfSatisfying(LockNotAcquiredException.class, e -> {
                assertThat(e.holderInstance()).isEmpty();
                assertThat(e.holderHeld()).isEmpty();
            });
        }
    }

    @Test
    void acquireThrowsWithTheConfiguredDefaultWait() {
        TestAdapters shortWait = adapters.withMaxWait(Duration.ofMillis(300));
        Adapter holder = shortWait.newInstance();
        Adapter waiter = shortWait.newInstance();
        holder.acquire("default-wait");
        try {
            assertThatThrownBy(() -> waiter.acquire("default-wait")).isInstanceOf(LockNotAcquiredException.class);
            assertThatThrownBy(() -> waiter.acquiref("default-%s", "wait")).isInstanceOf(LockNotAcquiredException.class);
        } finally {
            holder.release("default-wait");
        }
        waiter.acquire("default-wait");
        waiter.release("default-wait");
    }

    @Test
    void tryLockReturnsEmptyWhenHeldAndALeaseWhenFree() {
        Adapter holder = adapters.newInstance();
        Adapter other = adapters.newInstance();
        try (Lease held = holder.lock("try")) {
            assertThat(other.tryLock("try", Duration.ZERO)).isEmpty();
            assertThat(other.tryLock("try", Duration.ofMillis(200))).isEmpty();
            assertThat(other.tryAcquire("try", LockOptions.defaults().withMaxWait(Duration.ZERO))).isFalse();
        }
        Optional<Lease> lease = other.tryLock("try", Duration.ZERO);
        assertThat(lease).isPresent();
        lease.get().close();
    }

    /**
     * The release wakes the waiter, not its safety-net re-check ({@code RedisAdapter.BACKSTOP}, 1 s after its last
     * attempt): the test releases right after the waiter's attempt that registered it, so the re-check would come
     * about 1,000 ms after the release, while the notification (release script, {@code PUBLISH}, one more attempt)
     * takes a few milliseconds. Measured on the Redis clock (the waiter's fencing token is Redis {@code TIME} at its
     * grant), so the test JVM's own scheduling does not count; 500 ms is halfway, generous for a busy machine.
     */
    @Test
    void aWaiterGetsTheLockSoonAfterTheRelease() throws Exception {
        Adapter holder = adapters.newInstance();
        Adapter waiter = adapters.newInstance();
        Lease held = holder.lock("handover");
        CompletableFuture<Lease> waiting = CompletableFuture.supplyAsync(
                () -> waiter.lock("handover", LockOptions.defaults().withMaxWait(Duration.ofSeconds(60))));
        // the waiter is really waiting (refused, registered for the release, not done) while the lock is held
        await("the waiter's attempt marked the lock as waited for").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(5)).until(() -> "1".equals(RedisCommands.call(TestRedis.address(),
                        "HGET", adapters.redisKey("handover"), "waiters")));
        assertThat(waiting).as("the waiter must not get the lock while it is held").isNotDone();
        long releasedRedisMicros = redisMicros();
        long released = System.nanoTime();
        held.close();
        try (Lease lease = waiting.get(30, TimeUnit.SECONDS)) {
            assertThat(Duration.ofNanos(System.nanoTime() - released)).isLessThan(Duration.ofSeconds(20));
            assertThat(lease.fencingToken()).isGreaterThan(held.fencingToken());
            assertThat(lease.fencingToken() - releasedRedisMicros).as("microseconds from the release to the"
                    + " waiter's grant, on the Redis clock (a wake-up by the 1 s backstop would take about 1,000,000)")
                    .isLessThan(500_000);
        }
    }

    @Test
    void aWaiterGetsTheLockWhenTheHolderDiesAndItsLeaseEnds() throws Exception {
        Adapter holder = adapters.newInstance();
        Adapter waiter = adapters.newInstance();
        Lease abandoned = holder.lock("abandoned", LockOptions.defaults().withLease(Duration.ofMillis(700)));
        try (Lease lease = waiter.lock("abandoned", LockOptions.defaults().withMaxWait(Duration.ofSeconds(30)))) {
            assertThat(lease.fencingToken()).isGreaterThan(abandoned.fencingToken());
            assertThat(abandoned.isHeld()).isFalse();
        }
    }

    /** @return the Redis server's clock in microseconds, the clock fencing tokens are taken from */
    private static long redisMicros() {
        List<String> time = RedisCommands.callForList(TestRedis.address(), "TIME");
        return Long.parseLong(time.get(0)) * 1_000_000L + Long.parseLong(time.get(1));
    }

    @SlowTest
    @Test
    void redisDownMakesCallsFailWithLockUnavailableWithinTheBound() {
        TestAdapters dead = TestAdapters.on("redis://127.0.0.1:" + RedisServerProcess.freePort());
        try (dead) {
            Adapter adapter = dead.newInstance();
            long start = System.nanoTime();
            assertThatThrownBy(() -> adapter.lock("nowhere", LockOptions.defaults().withMaxWait(Duration.ofSeconds(1))))
                    .isInstanceOf(LockUnavailableException.class)
                    .isInstanceOf(DistributedMutexException.class)
                    .hasMessageContaining("nowhere");
            assertThatThrownBy(() -> adapter.tryLock("nowhere", Duration.ZERO)).isInstanceOf(LockUnavailableException.class);
            assertThatThrownBy(() -> adapter.acquire("nowhere")).isInstanceOf(LockUnavailableException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
