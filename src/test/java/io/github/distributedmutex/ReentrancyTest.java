package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;
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

/** acquire/release: owned by the calling thread, re-entrant, and a release by a non-holder harms nobody. */
class ReentrancyTest {

    private static final LockOptions NO_WAIT = LockOptions.defaults().withMaxWait(Duration.ZERO);

    private final TestAdapters adapters = TestAdapters.onSharedRedis();
    /** A pool thread: it outlives the work it runs, as in an application server. */
    private final ExecutorService poolThread = Executors.newSingleThreadExecutor(
            runnable -> new Thread(runnable, "pool-thread-" + System.nanoTime()));

    @AfterEach
    void tearDown() throws Exception {
        poolThread.shutdownNow();
        adapters.close();
    }

    @Test
    void nestedAcquireOnTheSameThreadDoesNotDeadlockAndHoldsUntilTheLastRelease() throws Exception {
        Adapter adapter = adapters.newInstance();
        Adapter other = adapters.newInstance();
        adapter.acquire("nested");
        adapter.acquire("nested");
        adapter.acquiref("nes%s", "ted");
        adapter.release("nested");
        adapter.releasef("%s", "nested");
        assertThat(other.tryAcquire("nested", NO_WAIT)).as("still held after 2 of 3 releases").isFalse();
        assertThat(exists("nested")).isTrue();
        adapter.release("nested");
        assertThat(exists("nested")).isFalse();
        assertThat(other.tryAcquire("nested", NO_WAIT)).isTrue();
        other.release("nested");
    }

    @Test
    void theHoldingThreadSeesItsFencingTokenAndNoOtherThreadDoes() throws Exception {
        Adapter adapter = adapters.newInstance();
        assertThat(adapter.fencingToken("fenced")).isEmpty();
        adapter.acquire("fenced");
        try {
            long token = adapter.fencingToken("fenced").orElseThrow();
            assertThat(token).isPositive();
            assertThat(CompletableFuture.supplyAsync(() -> adapter.fencingToken("fenced")).get(30, TimeUnit.SECONDS))
                    .isEmpty();
            adapter.acquire("fenced");
            assertThat(adapter.fencingToken("fenced")).as("re-entry keeps the token").hasValue(token);
            adapter.release("fenced");
        } finally {
            adapter.release("fenced");
        }
        assertThat(adapter.fencingToken("fenced")).isEmpty();
    }

    @Test
    void anotherThreadOfTheSameProcessWaitsLikeAnyoneElse() throws Exception {
        Adapter adapter = adapters.newInstance();
        adapter.acquire("per-thread");
        try {
            boolean otherThreadGotIt = CompletableFuture.supplyAsync(() -> adapter.tryAcquire("per-thread", NO_WAIT))
                    .get(30, TimeUnit.SECONDS);
            assertThat(otherThreadGotIt).isFalse();
        } finally {
            adapter.release("per-thread");
        }
    }

    @Test
    void releaseByAThreadThatDoesNotHoldTheLockWarnsAndDeletesNothing() throws Exception {
        Adapter holder = adapters.newInstance();
        holder.acquire("not-yours");
        try (LogCapture logs = LogCapture.start()) {
            CompletableFuture.runAsync(() -> holder.release("not-yours")).get(30, TimeUnit.SECONDS);
            adapters.newInstance().release("not-yours");
            assertThat(logs.lines("WARN")).filteredOn(line -> line.contains("'not-yours'")).hasSize(2)
                    .allMatch(line -> line.contains("does not hold"));
        }
        assertThat(exists("not-yours")).as("the holder's lock survives").isTrue();
        holder.release("not-yours");
        assertThat(exists("not-yours")).isFalse();
    }

    @Test
    void releaseOfAKeyNobodyHoldsOnlyWarns() {
        Adapter adapter = adapters.newInstance();
        try (LogCapture logs = LogCapture.start()) {
            adapter.release("never-held");
            assertThat(logs.lines("WARN")).anyMatch(line -> line.contains("'never-held'"));
        }
    }

    /**
     * A pool thread's hold leaked (its release was skipped); Redis expired it and another instance
     * took the key. The thread's next acquire must ask Redis instead of re-entering the dead hold:
     * it waits like anyone else, and the dead hold is dropped with an ERROR naming key and thread.
     */
    @Test
    void aLeakedHoldWhoseLeaseRanOutIsNotReentered() throws Exception {
        Adapter adapter = adapters.newInstance();
        Adapter other = adapters.newInstance();
        String thread = poolThread.submit(() -> {
            adapter.acquire("leaked", LockOptions.defaults().withLease(Duration.ofMillis(300)));
            return Thread.currentThread().getName();
        }).get(30, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(30)).until(() -> !exists("leaked"));
        assertThatTheDeadHoldIsNotReentered(adapter, other, "leaked", thread);
    }

    /**
     * The same for a hold whose loss the library found itself (the watchdog saw the lock gone):
     * however long its lease nominally still runs, it is never re-entered.
     */
    @Test
    void aHoldFoundLostIsNotReentered() throws Exception {
        Adapter adapter = adapters.newInstance();
        Adapter other = adapters.newInstance();
        try (LogCapture logs = LogCapture.start()) {
            String thread = poolThread.submit(() -> {
                adapter.acquire("lost-hold", LockOptions.defaults().withLease(Duration.ofSeconds(3)).withWatchdog(true));
                return Thread.currentThread().getName();
            }).get(30, TimeUnit.SECONDS);
            RedisCommands.call(TestRedis.address(), "DEL", adapters.redisKey("lost-hold"));
            await().atMost(Duration.ofSeconds(30)).until(() -> logs.lines("ERROR").stream()
                    .anyMatch(line -> line.contains("'lost-hold'") && line.contains("lost while held")));
            assertThatTheDeadHoldIsNotReentered(adapter, other, "lost-hold", thread);
        }
    }

    private void assertThatTheDeadHoldIsNotReentered(Adapter adapter, Adapter other, String key, String thread)
            throws Exception {
        try (Lease taken = other.lock(key)) {
            try (LogCapture logs = LogCapture.start()) {
                boolean reentered = poolThread.submit(() -> adapter.tryAcquire(key, NO_WAIT)).get(30, TimeUnit.SECONDS);
                assertThat(reentered).as("a hold whose lease is gone must not be re-entered while %s holds the key",
                        "another instance").isFalse();
                assertThat(logs.lines("ERROR")).anySatisfy(line -> assertThat(line)
                        .contains("'" + key + "'").contains(thread));
            }
            assertThat(taken.isHeld()).isTrue();
        }
        // once the key is free, the thread acquires afresh, in Redis, and its release frees it
        assertThat(poolThread.submit(() -> adapter.tryAcquire(key,
                LockOptions.defaults().withMaxWait(Duration.ofSeconds(10)))).get(30, TimeUnit.SECONDS)).isTrue();
        assertThat(exists(key)).isTrue();
        poolThread.submit(() -> adapter.release(key)).get(30, TimeUnit.SECONDS);
        assertThat(exists(key)).isFalse();
    }

    private boolean exists(String key) {
        return RedisCommands.callForLong(TestRedis.address(), "EXISTS", adapters.redisKey(key)) == 1;
    }
}
