package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LockOptions#withHoldAtLeast(Duration)}: a lock released early stays taken until the minimum
 * hold has passed since its acquisition, measured on the Redis clock (fencing tokens are Redis
 * {@code TIME} in microseconds at acquisition), then frees itself; the releasing holder no longer
 * holds it; a minimum hold longer than the lease is rejected before any Redis call.
 */
class HoldAtLeastTest {

    private static final Duration HOLD = Duration.ofSeconds(2);
    private static final long HOLD_MICROS = HOLD.toNanos() / 1000;

    private final TestAdapters adapters = TestAdapters.onSharedRedis();

    @AfterEach
    void tearDown() throws Exception {
        adapters.close();
    }

    @Test
    void aLeaseReleasedEarlyKeepsTheLockTakenUntilHoldAtLeastAfterItsAcquisition() {
        Adapter first = adapters.newInstance();
        Adapter second = adapters.newInstance();
        Lease lease = first.lock("tick", LockOptions.defaults().withHoldAtLeast(HOLD));
        long acquired = lease.fencingToken();
        lease.close();

        assertThat(lease.isHeld()).as("the releasing holder no longer holds it").isFalse();
        assertThat(lease.extend(Duration.ofSeconds(10))).as("nor can it extend it").isFalse();
        assertThat(second.tryLock("tick", Duration.ZERO)).as("another instance right after the release").isEmpty();
        long pttl = RedisCommands.callForLong(adapters.settings().redisAddress(), "PTTL", adapters.redisKey("tick"));
        assertThat(pttl).as("the lock expires within the rest of the minimum hold").isPositive()
                .isLessThanOrEqualTo(HOLD.toMillis());

        // waits for the lock to free itself: no release is announced, the waiter wakes when the rest has passed
        try (Lease next = second.tryLock("tick", Duration.ofSeconds(20)).orElseThrow()) {
            long heldMicros = next.fencingToken() - acquired;
            assertThat(heldMicros).as("Redis clock from the first acquisition to the next one")
                    .isGreaterThanOrEqualTo(HOLD_MICROS).isLessThan(HOLD_MICROS + 10_000_000L);
        }
    }

    /** Whoever waits for a lock released before its minimum hold learns that nobody holds it, and until when. */
    @Test
    void aWaiterForALockReleasedEarlyIsToldItIsKeptForItsMinimumHold() {
        Adapter first = adapters.withInstanceName("ticker-1").newInstance();
        Adapter second = adapters.newInstance();
        first.lock("told", LockOptions.defaults().withHoldAtLeast(Duration.ofSeconds(30))).close();
        assertThatThrownBy(() -> second.lock("told", LockOptions.defaults().withMaxWait(Duration.ofMillis(200))))
                .isInstanceOfSatisfying(LockNotAcquiredException.class, e -> {
                    assertThat(e.holderInstance()).contains("ticker-1");
                    assertThat(e.getMessage()).contains("instance 'ticker-1'")
                            .contains("released it before its minimum hold (holdAtLeast)")
                            .containsPattern("granted \\d+ ms ago")
                            .as("the time since the grant is not when it was released")
                            .doesNotContain("ms after its grant");
                    assertThat(e.holderHeld()).as("time since the grant, documented as such").get()
                            .satisfies(held -> assertThat(held).isLessThanOrEqualTo(Duration.ofSeconds(30)));
                    assertThat(e.holderRemainingLease()).get().satisfies(rest -> assertThat(rest)
                            .isLessThanOrEqualTo(Duration.ofSeconds(30)).isGreaterThan(Duration.ofSeconds(20)));
                });
        // the lock frees itself when the hold ends; its key is under this test's own prefix
    }

    @Test
    void aThreadOwnedLockReleasedEarlyStaysTakenToo() {
        Adapter first = adapters.newInstance();
        Adapter second = adapters.newInstance();
        LockOptions options = LockOptions.defaults().withHoldAtLeast(HOLD);
        first.acquire("tick", options);
        long acquired = first.fencingToken("tick").orElseThrow();
        first.release("tick");

        assertThat(first.fencingToken("tick")).as("no longer held by the thread").isEmpty();
        assertThat(second.tryAcquire("tick", LockOptions.defaults().withMaxWait(Duration.ZERO))).isFalse();
        assertThat(first.tryLock("tick", Duration.ZERO)).as("not even by the same instance").isEmpty();
        assertThat(second.tryAcquire("tick", LockOptions.defaults().withMaxWait(Duration.ofSeconds(20)))).isTrue();
        assertThat(second.fencingToken("tick").orElseThrow() - acquired).isGreaterThanOrEqualTo(HOLD_MICROS);
        second.release("tick");
    }

    @Test
    void aReleaseAfterHoldAtLeastFreesTheLockAtOnce() throws Exception {
        Adapter first = adapters.newInstance();
        Lease lease = first.lock("late", LockOptions.defaults().withHoldAtLeast(Duration.ofMillis(100)));
        Thread.sleep(300); // the behaviour under test: work that takes longer than the minimum hold
        lease.close();
        assertThat(RedisCommands.callForLong(adapters.settings().redisAddress(), "EXISTS", adapters.redisKey("late")))
                .isZero();
        assertThat(adapters.newInstance().tryLock("late", Duration.ZERO)).isPresent().get().satisfies(Lease::close);
    }

    @Test
    void closeNowFreesTheLockAtOnceDespiteHoldAtLeast() {
        Adapter first = adapters.newInstance();
        Adapter second = adapters.newInstance();
        Lease lease = first.lock("failed-run", LockOptions.defaults().withHoldAtLeast(Duration.ofSeconds(30)));
        lease.closeNow();
        assertThat(lease.isHeld()).isFalse();
        lease.close(); // idempotent: the first close decided
        assertThat(second.tryLock("failed-run", Duration.ZERO)).as("free at once for a retry").isPresent().get()
                .satisfies(Lease::close);

        Lease async = first.lock("failed-async", LockOptions.defaults().withHoldAtLeast(Duration.ofSeconds(30)));
        async.closeNowAsync().toCompletableFuture().join();
        assertThat(second.tryLock("failed-async", Duration.ZERO)).isPresent().get().satisfies(Lease::close);
    }

    @Test
    void releaseNowFreesAThreadOwnedLockAtOnceButOnlyTheLastReleaseDecides() {
        Adapter first = adapters.newInstance();
        Adapter second = adapters.newInstance();
        LockOptions options = LockOptions.defaults().withHoldAtLeast(Duration.ofSeconds(30));
        first.acquire("nested", options);
        first.acquire("nested", options);
        first.releaseNow("nested"); // an inner frame failed, the outer one goes on
        assertThat(first.fencingToken("nested")).as("still held by the outer frame").isPresent();
        first.release("nested"); // the outer frame succeeded: the minimum hold applies
        assertThat(second.tryAcquire("nested", LockOptions.defaults().withMaxWait(Duration.ZERO))).isFalse();

        first.acquire("failed", options);
        first.releaseNow("failed");
        assertThat(first.fencingToken("failed")).isEmpty();
        assertThat(second.tryAcquire("failed", LockOptions.defaults().withMaxWait(Duration.ZERO))).isTrue();
        second.release("failed");
    }

    @Test
    void theRestOfTheHoldIsNeverLongerThanTheHoldNorThanTheLockStillHas() {
        Adapter first = adapters.newInstance();
        String address = adapters.settings().redisAddress();
        // the Redis clock went back 300 s since the acquisition (a failover to a replica whose clock is behind)
        Lease behind = first.lock("clock-back", LockOptions.defaults().withLease(Duration.ofMinutes(10))
                .withHoldAtLeast(HOLD));
        RedisCommands.call(address, "HSET", adapters.redisKey("clock-back"), "token",
                Long.toString(behind.fencingToken() + 300_000_000L));
        behind.close();
        assertThat(RedisCommands.callForLong(address, "PTTL", adapters.redisKey("clock-back")))
                .as("capped at holdAtLeast, not 300 s").isPositive().isLessThanOrEqualTo(HOLD.toMillis());

        // the lock has less left than the rest of the hold: it keeps what it has
        Lease shortLeft = first.lock("short-left", LockOptions.defaults().withHoldAtLeast(Duration.ofSeconds(30)));
        RedisCommands.call(address, "PEXPIRE", adapters.redisKey("short-left"), "500");
        shortLeft.close();
        assertThat(RedisCommands.callForLong(address, "PTTL", adapters.redisKey("short-left")))
                .as("never extended beyond the expiry it had").isLessThanOrEqualTo(500);
    }

    @Test
    void withoutHoldAtLeastAnEarlyReleaseFreesTheLockAtOnce() {
        Adapter first = adapters.newInstance();
        first.lock("plain").close();
        assertThat(adapters.newInstance().tryLock("plain", Duration.ZERO)).isPresent().get().satisfies(Lease::close);
    }

    @Test
    void aWatchdogLeaseKeepsItsMinimumHoldToo() {
        Adapter first = adapters.newInstance();
        Lease lease = first.lock("watched", LockOptions.defaults().withLease(Duration.ofSeconds(3)).withWatchdog(true)
                .withHoldAtLeast(HOLD));
        long acquired = lease.fencingToken();
        lease.close();
        Adapter second = adapters.newInstance();
        assertThat(second.tryLock("watched", Duration.ZERO)).isEmpty();
        try (Lease next = second.tryLock("watched", Duration.ofSeconds(20)).orElseThrow()) {
            assertThat(next.fencingToken() - acquired).isGreaterThanOrEqualTo(HOLD_MICROS);
        }
    }

    @Test
    void holdAtLeastLongerThanTheLeaseIsRejectedBeforeAnyRedisCall() throws Exception {
        try (TestAdapters offline = TestAdapters.on("redis://127.0.0.1:" + RedisServerProcess.freePort())) {
            Adapter withoutRedis = offline.newInstance();
            LockOptions perCall = LockOptions.defaults().withLease(Duration.ofSeconds(10))
                    .withHoldAtLeast(Duration.ofSeconds(30));
            for (Consumer<LockOptions> call : calls(withoutRedis)) {
                assertThatThrownBy(() -> call.accept(perCall)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("holdAtLeast PT30S").hasMessageContaining("lease PT10S");
            }
            Adapter shortDefault = offline.withLease(Duration.ofSeconds(5)).newInstance();
            LockOptions overDefault = LockOptions.defaults().withHoldAtLeast(Duration.ofSeconds(6));
            for (Consumer<LockOptions> call : calls(shortDefault)) {
                assertThatThrownBy(() -> call.accept(overDefault)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("holdAtLeast PT6S").hasMessageContaining("distributedmutex.lease PT5S");
            }
            // equal to the lease is fine: it gets as far as Redis, which is not there
            assertThatThrownBy(() -> shortDefault.tryLock("k", LockOptions.defaults().withMaxWait(Duration.ZERO)
                    .withHoldAtLeast(Duration.ofSeconds(5)))).isInstanceOf(LockUnavailableException.class);
        }
    }

    @Test
    void badMinimumHoldsAreRejected() {
        LockOptions options = LockOptions.defaults();
        assertThatThrownBy(() -> options.withHoldAtLeast(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("holdAtLeast");
        assertThatThrownBy(() -> options.withHoldAtLeast(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holdAtLeast must not be negative");
        assertThatThrownBy(() -> options.withHoldAtLeast(Duration.ofNanos(500_000)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1 ms");
        assertThatThrownBy(() -> options.withHoldAtLeast(Duration.ofDays(366)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("365 days");
        assertThat(options.withHoldAtLeast(Duration.ZERO)).isEqualTo(options);
        assertThat(options.withHoldAtLeast(HOLD).holdAtLeast()).isEqualTo(HOLD);
        assertThat(options.withHoldAtLeast(HOLD)).isNotEqualTo(options);
    }

    private static List<Consumer<LockOptions>> calls(Adapter adapter) {
        return List.of(
                options -> adapter.lock("k", options),
                options -> adapter.tryLock("k", options).ifPresent(Lease::close),
                options -> adapter.acquire("k", options),
                options -> adapter.tryAcquire("k", options));
    }
}
