package io.github.distributedmutex;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.distributedmutex.internal.key.LockKey;
import io.github.distributedmutex.internal.redis.RedisAdapter;
import io.github.distributedmutex.testing.OppositeOrders;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.RedisServerProcess;
import io.github.distributedmutex.testing.TestAdapters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Several keys as one unit ({@link Adapter#lockAll}, {@link Adapter#tryLockAll}, {@link Adapter#acquireAll}) on a
 * single Redis server of this test's own (so {@code INFO commandstats} counts only this test's calls): all or
 * nothing, one script for the set, canonical order, the lease of the set, fencing tokens, re-entrancy of the
 * thread-owned form. Bad input is in {@link BadInputTest}; separate processes, a crash holding half the set and
 * Redis Cluster in {@code faults.LockAllAcrossProcessesTest} and {@code topology.ClusterLockAllTest}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LockAllTest {

    private static final LockOptions SHORT_WAIT = LockOptions.defaults().withMaxWait(Duration.ofMillis(300));

    private RedisServerProcess redis;
    private TestAdapters adapters;
    private RedisAdapter first;
    private RedisAdapter second;

    @BeforeAll
    void start() {
        redis = RedisServerProcess.start();
        adapters = TestAdapters.on(redis.address());
        first = adapters.withInstanceName("first").newInstance();
        second = adapters.withInstanceName("second").newInstance();
        for (Adapter adapter : List.of(first, second)) {
            Awaitility.await("connected").atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                adapter.lockAll(List.of("warm-up-1", "warm-up-2"), LockOptions.defaults()).close();
                return true;
            });
        }
    }

    @AfterAll
    void stop() throws Exception {
        try (RedisServerProcess stopped = redis) {
            adapters.close();
        }
    }

    @Test
    void aSetIsHeldWholeAndClosingTheLeaseReleasesEveryKey() {
        List<String> keys = List.of("hold:c", "hold:a", "hold:b");
        Lease lease = first.lockAll(keys, LockOptions.defaults());
        assertThat(lease.keys()).containsExactlyInAnyOrderElementsOf(keys)
                .isEqualTo(canonical(keys));
        assertThat(lease.key()).isEqualTo(String.join(", ", lease.keys()));
        assertThat(lease.isHeld()).isTrue();
        for (String key : keys) {
            assertThat(second.tryLock(key, Duration.ZERO)).as("another instance, on %s", key).isEmpty();
            assertThat(exists(key)).isTrue();
        }
        lease.close();
        lease.close(); // idempotent
        assertThat(lease.isHeld()).isFalse();
        for (String key : keys) {
            assertThat(exists(key)).as("%s released", key).isFalse();
        }
        try (Lease again = second.lockAll(keys, SHORT_WAIT)) {
            assertThat(again.isHeld()).isTrue();
        }
    }

    /**
     * One key of the set is held by another instance: the call fails after the wait naming that key and its
     * holder, and not one key of the set is held afterwards (nor at any moment in between: the set is one script).
     */
    @Test
    void whenOneKeyIsHeldElsewhereNothingOfTheSetIsTaken() {
        List<String> keys = List.of("all-or-nothing:a", "all-or-nothing:b", "all-or-nothing:c");
        try (Lease held = second.lock("all-or-nothing:b")) {
            assertThatThrownBy(() -> first.lockAll(keys, SHORT_WAIT))
                    .isInstanceOfSatisfying(LockNotAcquiredException.class, e -> {
                        assertThat(e.key()).isEqualTo("all-or-nothing:b");
                        assertThat(e.holderInstance()).contains("second");
                        assertThat(e.getMessage()).contains("nothing of the set is held").contains("all-or-nothing:a");
                    });
            assertThat(first.tryLockAll(keys, SHORT_WAIT)).isEmpty();
            assertThat(first.tryAcquireAll(keys, SHORT_WAIT)).isFalse();
            assertThat(exists("all-or-nothing:a")).as("a").isFalse();
            assertThat(exists("all-or-nothing:c")).as("c").isFalse();
            assertThat(held.isHeld()).isTrue();
            assertThat(first.heldLocally()).isEmpty();
        }
        try (Lease lease = first.lockAll(keys, SHORT_WAIT)) {
            assertThat(lease.isHeld()).isTrue();
        }
    }

    /** On a server that is not a cluster, the whole set is one script call, whatever its size. */
    @Test
    void aSetOnOneServerIsTakenByOneScriptCall() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            keys.add("one-script:" + i);
        }
        RedisCommands.call(redis.address(), "CONFIG", "RESETSTAT");
        try (Lease lease = first.lockAll(keys, LockOptions.defaults())) {
            assertThat(scriptCalls()).as("EVAL/EVALSHA calls to take 8 keys").isEqualTo(1);
            assertThat(lease.keys()).hasSize(8);
        }
    }

    /** Keys taken by one script share one grant, so one token; the lease's token is the largest of its keys'. */
    @Test
    void everyKeyOfOneScriptHasTheSameTokenAndTheLeasesTokenIsTheLargest() {
        long before;
        try (Lease single = first.lock("token:x")) {
            before = single.fencingToken();
        }
        try (Lease lease = first.lockAll(List.of("token:x", "token:y"), LockOptions.defaults())) {
            assertThat(lease.fencingToken("token:x")).isEqualTo(lease.fencingToken("token:y"))
                    .isEqualTo(lease.fencingToken()).isGreaterThan(before);
            assertThat(Long.parseLong(RedisCommands.call(redis.address(), "HGET", adapters.redisKey("token:y"),
                    "token"))).isEqualTo(lease.fencingToken());
            assertThatThrownBy(() -> lease.fencingToken("token:z")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("token:z");
        }
    }

    @Test
    void extendAndIsHeldConcernEveryKey() {
        Lease lease = first.lockAll(List.of("extend:a", "extend:b"), LockOptions.defaults()
                .withLease(Duration.ofSeconds(10)));
        try {
            assertThat(lease.extend(Duration.ofSeconds(40))).isTrue();
            for (String key : lease.keys()) {
                assertThat(RedisCommands.callForLong(redis.address(), "PTTL", adapters.redisKey(key)))
                        .as("PTTL of %s", key).isGreaterThan(30_000);
            }
            RedisCommands.call(redis.address(), "DEL", adapters.redisKey("extend:b")); // b's lease is gone
            assertThat(lease.isHeld()).isFalse();
            assertThat(lease.extend(Duration.ofSeconds(40))).isFalse();
            assertThat(exists("extend:a")).as("a stays held until the lease is closed").isTrue();
        } finally {
            lease.close();
        }
        assertThat(exists("extend:a")).isFalse();
    }

    /**
     * Two instances, each with threads locking the same two keys in opposite orders: no deadlock, no overlap. On one
     * server the whole set is one script, so this proves all-or-nothing in one script, not the canonical order:
     * removing the sort cannot make it fail. The order is proven on a Cluster
     * ({@code ClusterLockAllTest.twoProcessesLockingOppositeOrdersAcrossMastersNeverDeadlock}).
     */
    @Test
    void oppositeOrdersNeitherDeadlockNorOverlap() throws Exception {
        OppositeOrders.neitherDeadlockNorOverlap(first, second, List.of("order:A", "order:B"), 25,
                Duration.ofSeconds(30), Duration.ofSeconds(120));
    }

    /**
     * The thread-owned form re-enters keys the thread holds (no second lock, the same token) and takes the
     * others; {@code releaseAll} gives back one hold of each.
     */
    @Test
    void acquireAllReentersWhatTheThreadHoldsAndTakesTheRest() {
        first.acquire("reentry:a");
        long tokenOfA = first.fencingToken("reentry:a").orElseThrow();
        try {
            first.acquireAll(List.of("reentry:b", "reentry:a"), LockOptions.defaults());
            assertThat(first.fencingToken("reentry:a")).hasValue(tokenOfA);
            assertThat(first.fencingToken("reentry:b")).isPresent();
            assertThat(second.tryLock("reentry:b", Duration.ZERO)).isEmpty();
            first.releaseAll(List.of("reentry:a", "reentry:b"));
            assertThat(exists("reentry:b")).as("b released").isFalse();
            assertThat(first.fencingToken("reentry:a")).as("a still held by the outer acquire").hasValue(tokenOfA);
        } finally {
            first.release("reentry:a");
        }
        assertThat(exists("reentry:a")).isFalse();
    }

    /** A failed thread-owned set leaves the thread's other holds as they were. */
    @Test
    void aFailedAcquireAllCountsReenteredKeysDownAgain() {
        first.acquire("undo:a");
        try (Lease other = second.lock("undo:b")) {
            assertThatThrownBy(() -> first.acquireAll(List.of("undo:a", "undo:b"), SHORT_WAIT))
                    .isInstanceOf(LockNotAcquiredException.class);
            first.release("undo:a");
            assertThat(exists("undo:a")).as("one release frees a again: the failed set left no hold").isFalse();
            assertThat(other.isHeld()).isTrue();
        }
    }

    @Test
    void aSetOfOneKeyIsAnOrdinaryLease() {
        try (Lease lease = first.lockAll(List.of("single"), LockOptions.defaults())) {
            assertThat(lease.keys()).containsExactly("single");
            assertThat(lease.fencingToken("single")).isEqualTo(lease.fencingToken());
        }
        Optional<Lease> tried = first.tryLockAll(Collections.singleton("single"), SHORT_WAIT);
        assertThat(tried).isPresent();
        tried.get().close();
    }

    private List<String> canonical(List<String> keys) {
        return keys.stream().map(key -> LockKey.of(key, adapters.settings().keyPrefix()))
                .sorted(LockKey.CANONICAL_ORDER).map(LockKey::name).toList();
    }

    private boolean exists(String key) {
        return RedisCommands.callForLong(redis.address(), "EXISTS", adapters.redisKey(key)) == 1;
    }

    private long scriptCalls() {
        long calls = 0;
        String stats = RedisCommands.call(redis.address(), "INFO", "commandstats");
        for (String line : stats.split("\r?\n")) {
            for (String command : List.of("eval", "evalsha")) {
                String prefix = "cmdstat_" + command + ":calls=";
                if (line.startsWith(prefix)) {
                    calls += Long.parseLong(line.substring(prefix.length(), line.indexOf(',')));
                }
            }
        }
        return calls;
    }
}
