package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.TestAdapters;
import io.github.distributedmutex.testing.TestRedis;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Leases: owned by the lease, not a thread; extend, isHeld, expiry reporting and the watchdog. */
class LeaseTest {

    private final TestAdapters adapters = TestAdapters.onSharedRedis();
    private final ExecutorService otherThread = Executors.newSingleThreadExecutor();

    @AfterEach
    void tearDown() throws Exception {
        otherThread.shutdownNow();
        adapters.close();
    }

    @Test
    void aLeaseIsReleasedFromAnotherThread() throws Exception {
        Adapter adapter = adapters.newInstance();
        Lease lease = adapter.lock("handed-off");
        assertThat(lease.key()).isEqualTo("handed-off");
        otherThread.submit(lease::close).get(30, TimeUnit.SECONDS);
        assertThat(exists("handed-off")).isFalse();
        assertThat(lease.isHeld()).isFalse();
        assertThat(adapters.newInstance().tryLock("handed-off", Duration.ZERO)).isPresent().get()
                .satisfies(Lease::close);
    }

    @Test
    void aLeaseIsReleasedFromACompletionStageContinuation() throws Exception {
        Adapter adapter = adapters.newInstance();
        Lease lease = adapter.lock("async");
        CompletableFuture<String> work = new CompletableFuture<>();
        CompletableFuture<Void> done = work.thenCompose(result -> lease.closeAsync()).toCompletableFuture();
        otherThread.submit(() -> work.complete("finished"));
        done.get(30, TimeUnit.SECONDS);
        assertThat(exists("async")).isFalse();
    }

    @Test
    void closeIsIdempotent() {
        Adapter adapter = adapters.newInstance();
        Lease first = adapter.lock("idempotent");
        first.close();
        Lease second = adapter.lock("idempotent");
        first.close();
        first.closeAsync().toCompletableFuture().join();
        assertThat(second.isHeld()).as("closing a closed lease again must not release the next holder").isTrue();
        second.close();
    }

    @Test
    void leasesAreNotReentrant() {
        Adapter adapter = adapters.newInstance();
        try (Lease held = adapter.lock("single")) {
            assertThat(adapter.tryLock("single", Duration.ZERO)).isEmpty();
            assertThat(held.isHeld()).isTrue();
        }
    }

    @Test
    void extendSetsTheRemainingLease() {
        Adapter adapter = adapters.newInstance();
        try (Lease lease = adapter.lock("extended", LockOptions.defaults().withLease(Duration.ofSeconds(2)))) {
            assertThat(pttl("extended")).isBetween(1L, 2000L);
            assertThat(lease.extend(Duration.ofSeconds(60))).isTrue();
            assertThat(pttl("extended")).isGreaterThan(30_000L);
        }
    }

    @Test
    void extendAndIsHeldReportALostLease() {
        Adapter adapter = adapters.newInstance();
        Lease lease = adapter.lock("lost", LockOptions.defaults().withLease(Duration.ofMillis(200)));
        await().atMost(Duration.ofSeconds(30)).until(() -> !exists("lost"));
        assertThat(lease.isHeld()).isFalse();
        assertThat(lease.extend(Duration.ofSeconds(10))).isFalse();
        assertThat(exists("lost")).as("a failed extend creates nothing").isFalse();
        lease.close();
        assertThat(lease.extend(Duration.ofSeconds(10))).isFalse();
    }

    @Test
    void releasingAnExpiredLeaseHarmsTheNewHolderAndIsReportedAsAnError() {
        Adapter first = adapters.newInstance();
        Adapter second = adapters.newInstance();
        Lease expired = first.lock("expiring", LockOptions.defaults().withLease(Duration.ofMillis(300)));
        try (Lease next = second.lock("expiring", LockOptions.defaults().withMaxWait(Duration.ofSeconds(30)))) {
            assertThat(next.fencingToken()).isGreaterThan(expired.fencingToken());
            try (LogCapture logs = LogCapture.start()) {
                expired.close();
                assertThat(logs.lines("ERROR")).anySatisfy(line -> assertThat(line)
                        .contains("'expiring'").contains("expired before its release").contains("lease of 300 ms")
                        .containsPattern("held \\d+ ms"));
            }
            assertThat(next.isHeld()).as("the new holder keeps its lock").isTrue();
            assertThat(exists("expiring")).isTrue();
        }
    }

    /**
     * The watchdog renews every third of the lease, so a renewal may come up to two thirds of the lease late before
     * the lock is lost: with 3 s that is 2 s of slack for a busy machine (with the former 600 ms lease, 400 ms).
     */
    @Test
    void theWatchdogKeepsTheLockPastItsNominalLease() {
        Adapter holder = adapters.newInstance();
        Adapter other = adapters.newInstance();
        Duration lease = Duration.ofSeconds(3);
        try (Lease watched = holder.lock("watched", LockOptions.defaults().withLease(lease).withWatchdog(true))) {
            // waiting 2 leases long without getting the lock proves it was renewed meanwhile
            assertThat(other.tryLock("watched", lease.multipliedBy(2))).isEmpty();
            assertThat(watched.isHeld()).isTrue();
            assertThat(pttl("watched")).as("remaining lease, renewed by the watchdog").isPositive();
        }
        assertThat(other.tryLock("watched", Duration.ofSeconds(5))).isPresent().get().satisfies(Lease::close);
    }

    @Test
    void badDurationsAreRejected() {
        Adapter adapter = adapters.newInstance();
        try (Lease lease = adapter.lock("durations")) {
            assertThatThrownBy(() -> lease.extend(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("positive");
            assertThatThrownBy(() -> lease.extend(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> lease.extend(null)).isInstanceOf(NullPointerException.class);
        }
    }

    private boolean exists(String key) {
        return RedisCommands.callForLong(TestRedis.address(), "EXISTS", adapters.redisKey(key)) == 1;
    }

    private long pttl(String key) {
        return RedisCommands.callForLong(TestRedis.address(), "PTTL", adapters.redisKey(key));
    }
}
