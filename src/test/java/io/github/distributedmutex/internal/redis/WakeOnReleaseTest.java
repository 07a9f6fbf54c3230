package io.github.distributedmutex.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.Lease;
import io.github.distributedmutex.LockInfo;
import io.github.distributedmutex.LockOptions;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Waiters are woken by the release notification, not by polling: with the backstop set to an
 * hour and the holder's lease to a minute, only a notification can hand the lock over within
 * seconds. One subscription serves any number of keys: waiting on more distinct keys than
 * Redisson's default subscription capacity (50 connections x 5 channels) does not fail.
 */
class WakeOnReleaseTest {

    private static final Duration NO_BACKSTOP = Duration.ofHours(1);

    private final TestAdapters adapters = TestAdapters.onSharedRedis();

    @AfterEach
    void tearDown() throws Exception {
        adapters.close();
    }

    private RedisAdapter instanceWithoutBackstop() {
        RedisAdapter adapter = new RedisAdapter(RedisConnection.of(adapters.newClient(), true), adapters.settings(),
                NO_BACKSTOP);
        return adapters.register(adapter);
    }

    /** @return how many acquisitions of {@code adapter} wait for {@code key} now */
    private static int waitersOf(RedisAdapter adapter, String key) {
        return adapter.inspect(key).map(LockInfo::waiters).orElse(0);
    }

    @Test
    void aReleaseWakesAWaiterInAnotherProcess() throws Exception {
        RedisAdapter holder = instanceWithoutBackstop();
        RedisAdapter waiter = instanceWithoutBackstop();
        Lease held = holder.lock("wake", LockOptions.defaults().withLease(Duration.ofMinutes(1)));
        CompletableFuture<Lease> waiting = CompletableFuture.supplyAsync(
                () -> waiter.lock("wake", LockOptions.defaults().withMaxWait(Duration.ofMinutes(5))));
        await().atMost(Duration.ofSeconds(30)).until(() -> waitersOf(waiter, "wake") == 1); // it is queued as a waiter
        long released = System.nanoTime();
        held.close();
        try (Lease lease = waiting.get(2, TimeUnit.MINUTES)) {
            assertThat(Duration.ofNanos(System.nanoTime() - released)).as("hand-over time")
                    .isLessThan(Duration.ofSeconds(20));
            assertThat(lease.isHeld()).isTrue();
        }
    }

    @Test
    void waitersQueuedInOneProcessAreWokenOneAfterAnother() throws Exception {
        int waiters = 4;
        RedisAdapter holder = instanceWithoutBackstop();
        RedisAdapter waiting = instanceWithoutBackstop();
        Lease held = holder.lock("queue", LockOptions.defaults().withLease(Duration.ofMinutes(1)));
        ExecutorService pool = Executors.newFixedThreadPool(waiters);
        try {
            List<CompletableFuture<Long>> tokens = new ArrayList<>();
            for (int i = 0; i < waiters; i++) {
                tokens.add(CompletableFuture.supplyAsync(() -> {
                    try (Lease lease = waiting.lock("queue", LockOptions.defaults()
                            .withMaxWait(Duration.ofMinutes(5)).withLease(Duration.ofMinutes(1)))) {
                        return lease.fencingToken();
                    }
                }, pool));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> waitersOf(waiting, "queue") == waiters);
            long released = System.nanoTime();
            held.close();
            // each hand-over needs a notification: without one, the next waiter would sleep for minutes
            for (CompletableFuture<Long> token : tokens) {
                assertThat(token.get(2, TimeUnit.MINUTES)).isGreaterThan(held.fencingToken());
            }
            assertThat(Duration.ofNanos(System.nanoTime() - released)).as("all hand-overs")
                    .isLessThan(Duration.ofSeconds(30));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void manyWaitersOnManyKeysAreAllWokenByOneSubscription() throws Exception {
        int keys = 300;
        RedisAdapter holder = instanceWithoutBackstop();
        RedisAdapter waiter = instanceWithoutBackstop();
        List<Lease> held = new ArrayList<>();
        for (int i = 0; i < keys; i++) {
            held.add(holder.lock("many-" + i, LockOptions.defaults().withLease(Duration.ofMinutes(1))));
        }
        ExecutorService pool = Executors.newFixedThreadPool(keys);
        try {
            List<CompletableFuture<Lease>> waiting = new ArrayList<>();
            for (int i = 0; i < keys; i++) {
                String key = "many-" + i;
                waiting.add(CompletableFuture.supplyAsync(
                        () -> waiter.lock(key, LockOptions.defaults().withMaxWait(Duration.ofMinutes(5))), pool));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> waiter.keysWithWaiters() == keys);
            held.forEach(Lease::close);
            for (CompletableFuture<Lease> future : waiting) {
                future.get(2, TimeUnit.MINUTES).close();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(waiter.perKeyState()).isZero();
    }
}
