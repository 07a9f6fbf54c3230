package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.testing.LogCapture;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.TestAdapters;
import io.github.distributedmutex.testing.TestRedis;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** acquire/release: owned by the calling thread, re-entrant, and a release by a non-holder harms nobody. */
class ReentrancyTest {

    private static final LockOptions NO_WAIT = LockOptions.defaults().withMaxWait(Duration.ZERO);

    private final TestAdapters adapters = TestAdapters.onSharedRedis();

    @AfterEach
    void tearDown() throws Exception {
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

    private boolean exists(String key) {
        return RedisCommands.callForLong(TestRedis.address(), "EXISTS", adapters.redisKey(key)) == 1;
    }
}
