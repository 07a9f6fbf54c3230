package io.github.distributedmutex.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.distributedmutex.internal.config.Fairness;
import io.github.distributedmutex.internal.key.LockKey;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.TestAdapters;
import io.github.distributedmutex.testing.TestRedis;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/**
 * The fair scripts (ACQUIRE_FAIR, RELEASE_FAIR, LEAVE, ABANDON_FAIR) on a real Redis, one step at a time, with short
 * queue timings (entry 300 ms, pick-up 200 ms): queue order, the durable hand-off and its discovery, hybrid
 * barging, dead waiters and dead grantees, giving up, and that no key of the queue is ever left behind or without a
 * TTL.
 */
class FairQueueScriptTest {

    private static final long LEASE = 60_000;
    private static final long ENTRY_TTL = 300;
    private static final long PICKUP = 200;

    private final TestAdapters adapters = TestAdapters.onSharedRedis();
    private final RedissonClient client = adapters.newClient();
    private final List<String> woken = new CopyOnWriteArrayList<>();
    private final LockKey key = LockKey.of("fair-script", adapters.settings().keyPrefix());

    @AfterEach
    void tearDown() throws Exception {
        adapters.close();
    }

    private RedisLockStore store(Fairness fairness) {
        return new RedisLockStore(client, "unused-channel", fairness, (redisKey, owner) -> woken.add(owner),
                ENTRY_TTL, PICKUP);
    }

    private static Fairness fifo() {
        return new Fairness(Fairness.Mode.FIFO, Duration.ZERO);
    }

    private RedisLockStore.Attempt attempt(RedisLockStore store, String owner, boolean queue) throws Exception {
        return store.tryAcquire(List.of(key), owner, LEASE, queue, false).get(30, TimeUnit.SECONDS);
    }

    @Test
    void anUncontendedLockNeverCreatesAQueue() throws Exception {
        RedisLockStore store = store(fifo());
        assertThat(attempt(store, "a", false).acquired()).isTrue();
        assertThat(ourKeys()).containsExactly(key.redisKey());
        assertThat(store.release(key, "a", 0).get(30, TimeUnit.SECONDS)).isEqualTo(RedisLockStore.Release.RELEASED);
        assertThat(ourKeys()).isEmpty();
        assertThat(woken).isEmpty();
    }

    @Test
    void aReleaseHandsTheLockToTheLongestWaiterWhoDiscoversItWithAFreshTokenAndTheFullLease() throws Exception {
        RedisLockStore store = store(fifo());
        RedisLockStore.Attempt holder = attempt(store, "holder", false);
        assertThat(holder.acquired()).isTrue();
        for (String owner : List.of("first", "second", "third")) {
            assertThat(attempt(store, owner, true).acquired()).as(owner).isFalse();
        }
        assertQueue("first", "second", "third");

        assertThat(store.release(key, "holder", 0).get(30, TimeUnit.SECONDS))
                .isEqualTo(RedisLockStore.Release.RELEASED_TO_QUEUE);
        assertThat(woken).containsExactly("first");
        assertThat(hget("owner")).isEqualTo("first");
        assertThat(hget("granted")).isEqualTo("1");
        assertThat(pttl(key.redisKey())).as("the pick-up TTL").isBetween(1L, PICKUP);
        assertThat(attempt(store, "newcomer", false).acquired()).as("a newcomer cannot take a handed-off lock")
                .isFalse();

        RedisLockStore.Attempt discovered = attempt(store, "first", true);
        assertThat(discovered.acquired()).isTrue();
        assertThat(discovered.token()).isGreaterThan(holder.token());
        assertThat(hget("granted")).isNull();
        assertThat(pttl(key.redisKey())).as("the full lease from the discovery").isGreaterThan(LEASE - 5_000);
        assertQueue("second", "third");

        assertThat(store.release(key, "first", 0).get(30, TimeUnit.SECONDS))
                .isEqualTo(RedisLockStore.Release.RELEASED_TO_QUEUE);
        assertThat(attempt(store, "third", true).acquired()).as("third is not next").isFalse();
        assertThat(attempt(store, "second", true).acquired()).isTrue();
        store.release(key, "second", 0).get(30, TimeUnit.SECONDS);
        assertThat(attempt(store, "third", true).acquired()).isTrue();
        assertThat(store.release(key, "third", 0).get(30, TimeUnit.SECONDS))
                .isEqualTo(RedisLockStore.Release.RELEASED);
        assertThat(woken).containsExactly("first", "second", "third");
        assertThat(ourKeys()).as("nothing left once the contention ended").isEmpty();
    }

    @Test
    void aHandOffTokenIsAboveTheReleasersEvenWhenTheClockDidNotAdvance() throws Exception {
        RedisLockStore store = store(fifo());
        assertThat(attempt(store, "holder", false).acquired()).isTrue();
        long future = (System.currentTimeMillis() + 3_600_000L) * 1_000L;
        RedisCommands.call(TestRedis.address(), "HSET", key.redisKey(), "token", Long.toString(future));
        assertThat(attempt(store, "next", true).acquired()).isFalse();
        store.release(key, "holder", 0).get(30, TimeUnit.SECONDS);
        assertThat(attempt(store, "next", true).token()).isGreaterThan(future);
    }

    @Test
    void hybridLetsANewcomerTakeTheLockWhileTheHeadIsYoungAndTheHeadKeepsItsPlace() throws Exception {
        RedisLockStore store = store(new Fairness(Fairness.Mode.HYBRID, Duration.ofMinutes(1)));
        assertThat(attempt(store, "holder", false).acquired()).isTrue();
        assertThat(attempt(store, "head", true).acquired()).isFalse();
        assertThat(attempt(store, "behind", true).acquired()).isFalse();

        assertThat(store.release(key, "holder", 0).get(30, TimeUnit.SECONDS))
                .isEqualTo(RedisLockStore.Release.RELEASED_TO_QUEUE);
        assertThat(woken).as("the head is woken to compete").containsExactly("head");
        assertThat(hget("owner")).as("not handed off: the head is younger than the threshold").isNull();
        assertThat(attempt(store, "newcomer", false).acquired()).isTrue();
        assertQueue("head", "behind");
    }

    @Test
    void hybridHandsOffOnceTheHeadWaitedTheThreshold() throws Exception {
        RedisLockStore store = store(new Fairness(Fairness.Mode.HYBRID, Duration.ofMillis(50)));
        assertThat(attempt(store, "holder", false).acquired()).isTrue();
        assertThat(attempt(store, "head", true).acquired()).isFalse();
        await().atMost(Duration.ofSeconds(30)).until(() -> redisMicros() - arrivalMicros("head") > 60_000);
        attempt(store, "head", true); // renews its entry
        store.release(key, "holder", 0).get(30, TimeUnit.SECONDS);
        assertThat(hget("owner")).isEqualTo("head");
        assertThat(attempt(store, "newcomer", false).acquired()).isFalse();
    }

    @Test
    void aDeadWaitersEntryExpiresAndTheQueueKeysLeaveWithoutAnyCommand() throws Exception {
        RedisLockStore store = store(fifo());
        assertThat(attempt(store, "holder", false).acquired()).isTrue();
        assertThat(attempt(store, "dies", true).acquired()).isFalse();
        assertThat(pttl(key.queue())).isBetween(1L, ENTRY_TTL + 1);
        assertThat(pttl(key.queueExpiry())).isBetween(1L, ENTRY_TTL + 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> ourKeys().equals(List.of(key.redisKey())));
        assertThat(store.release(key, "holder", 0).get(30, TimeUnit.SECONDS))
                .isEqualTo(RedisLockStore.Release.RELEASED);
        assertThat(ourKeys()).isEmpty();
    }

    @Test
    void aDeadEntryAheadIsSkippedByTheRelease() throws Exception {
        RedisLockStore store = store(fifo());
        assertThat(attempt(store, "holder", false).acquired()).isTrue();
        assertThat(attempt(store, "lives", true).acquired()).isFalse();
        // a waiter that queued first and died: its deadline passed, nothing ran since
        String dead = LEASE + ":dead";
        RedisCommands.call(TestRedis.address(), "ZADD", key.queue(), "1", dead);
        RedisCommands.call(TestRedis.address(), "ZADD", key.queueExpiry(), Long.toString(redisMillis() - 1), dead);
        store.release(key, "holder", 0).get(30, TimeUnit.SECONDS);
        assertThat(hget("owner")).isEqualTo("lives");
        assertThat(members(key.queue())).isEmpty();
        assertThat(members(key.queueExpiry())).isEmpty();
    }

    @Test
    void anEntryWithoutADeadlineCountsAsDead() throws Exception {
        RedisLockStore store = store(fifo());
        assertThat(attempt(store, "holder", false).acquired()).isTrue();
        assertThat(attempt(store, "lives", true).acquired()).isFalse();
        RedisCommands.call(TestRedis.address(), "ZADD", key.queue(), "1", LEASE + ":half-written");
        store.release(key, "holder", 0).get(30, TimeUnit.SECONDS);
        assertThat(hget("owner")).isEqualTo("lives");
    }

    @Test
    void aGrantNobodyPicksUpExpiresAndTheNextWaitersAttemptHandsItOn() throws Exception {
        RedisLockStore store = store(fifo());
        assertThat(attempt(store, "holder", false).acquired()).isTrue();
        assertThat(attempt(store, "dies", true).acquired()).isFalse();
        assertThat(attempt(store, "next", true).acquired()).isFalse();
        store.release(key, "holder", 0).get(30, TimeUnit.SECONDS);
        assertThat(hget("owner")).isEqualTo("dies");
        await().atMost(Duration.ofSeconds(30)).until(() -> hget("owner") == null);
        assertThat(attempt(store, "next", true).acquired()).isTrue();
    }

    @Test
    void aLockFreedByExpiryWithAQueueGoesToTheHeadEvenIfANewcomerAsksFirst() throws Exception {
        RedisLockStore store = store(fifo());
        assertThat(store.tryAcquire(List.of(key), "holder", 300, false, false).get(30, TimeUnit.SECONDS).acquired())
                .isTrue();
        assertThat(attempt(store, "head", true).acquired()).isFalse();
        await().atMost(Duration.ofSeconds(30)).until(() -> hget("owner") == null);
        attempt(store, "head", true); // renews; may take it already if the lock expired before
        if (!"head".equals(hget("owner"))) {
            assertThat(attempt(store, "newcomer", false).acquired()).isFalse();
            assertThat(hget("owner")).isEqualTo("head");
        }
        assertThat(woken).doesNotContain("newcomer");
    }

    @Test
    void leavingTakesTheEntryOutAndGivesBackAnUndiscoveredHandOff() throws Exception {
        RedisLockStore store = store(fifo());
        assertThat(attempt(store, "holder", false).acquired()).isTrue();
        assertThat(attempt(store, "gives-up", true).acquired()).isFalse();
        assertThat(attempt(store, "granted-late", true).acquired()).isFalse();
        assertThat(attempt(store, "last", true).acquired()).isFalse();

        assertThat(store.leave(key, "gives-up", LEASE).get(30, TimeUnit.SECONDS)).isFalse();
        assertQueue("granted-late", "last");
        store.release(key, "holder", 0).get(30, TimeUnit.SECONDS);
        assertThat(hget("owner")).isEqualTo("granted-late");

        assertThat(store.leave(key, "granted-late", LEASE).get(30, TimeUnit.SECONDS)).as("given back").isTrue();
        assertThat(hget("owner")).as("handed on").isEqualTo("last");
        assertThat(attempt(store, "last", true).acquired()).isTrue();
        assertThat(store.leave(key, "last", LEASE).get(30, TimeUnit.SECONDS))
                .as("a discovered lock is not given back by leave").isFalse();
        assertThat(hget("owner")).isEqualTo("last");
        store.release(key, "last", 0).get(30, TimeUnit.SECONDS);
        assertThat(ourKeys()).isEmpty();
    }

    @Test
    void anAbandonedQueuedOwnerLeavesTheQueueAndItsLateAttemptDoesNotQueueAgain() throws Exception {
        RedisLockStore store = store(fifo());
        assertThat(attempt(store, "holder", false).acquired()).isTrue();
        assertThat(attempt(store, "lost", true).acquired()).isFalse();
        assertThat(attempt(store, "other", true).acquired()).isFalse();
        assertThat(store.abandon(List.of(key), "lost", 60_000, LEASE).get(30, TimeUnit.SECONDS)).isFalse();
        assertQueue("other");
        assertThat(attempt(store, "lost", true).acquired()).isFalse();
        assertQueue("other");
        store.release(key, "holder", 0).get(30, TimeUnit.SECONDS);
        assertThat(hget("owner")).isEqualTo("other");
        assertThat(store.abandon(List.of(key), "other", 60_000, LEASE).get(30, TimeUnit.SECONDS))
                .as("an abandoned grant is deleted").isTrue();
        assertThat(hget("owner")).isNull();
    }

    @Test
    void aReleaseKeptForItsMinimumHoldIsNotHandedOff() throws Exception {
        RedisLockStore store = store(fifo());
        assertThat(attempt(store, "holder", false).acquired()).isTrue();
        assertThat(attempt(store, "waiter", true).acquired()).isFalse();
        assertThat(store.release(key, "holder", 200).get(30, TimeUnit.SECONDS))
                .isEqualTo(RedisLockStore.Release.RELEASED_HELD);
        assertThat(hget("owner")).isEqualTo("holder" + RedisLockStore.RELEASED_SUFFIX);
        assertThat(woken).isEmpty();
        await().atMost(Duration.ofSeconds(30)).until(() -> hget("owner") == null);
        assertThat(attempt(store, "waiter", true).acquired()).isTrue();
    }

    /**
     * Random steps of five owners (attempts with and without queueing, releases, leaves, abandons, pauses up to the
     * entry TTL); after every step: no attempt is granted a lock another owner holds (only a hand-off nobody picked
     * up may go to someone else once it expired), both queue keys hold the same members, and every key of the lock
     * has a TTL.
     */
    @Test
    void randomStepsKeepTheInvariants() throws Exception {
        Random random = new Random(14);
        for (Fairness fairness : List.of(fifo(), new Fairness(Fairness.Mode.HYBRID, Duration.ofMillis(20)))) {
            RedisLockStore store = store(fairness);
            List<String> owners = List.of("o1", "o2", "o3", "o4", "o5");
            String[] holding = new String[1];
            for (int step = 0; step < 300; step++) {
                String owner = owners.get(random.nextInt(owners.size())) + "-" + (step / 100);
                int action = random.nextInt(20);
                if (action < 10) {
                    String before = hget("owner");
                    boolean pendingGrant = hget("granted") != null;
                    RedisLockStore.Attempt attempt = attempt(store, owner, action > 1);
                    if (attempt.acquired()) {
                        assertThat(before == null || before.equals(owner) || pendingGrant)
                                .as("step %d: %s granted while %s held the lock", step, owner, before).isTrue();
                        holding[0] = owner;
                    }
                } else if (action < 14) {
                    if (holding[0] != null) {
                        store.release(key, holding[0], 0).get(30, TimeUnit.SECONDS);
                        holding[0] = null;
                    }
                } else if (action < 16) {
                    if (!owner.equals(holding[0])) {
                        store.leave(key, owner, LEASE).get(30, TimeUnit.SECONDS);
                    }
                } else if (action < 19) {
                    if (!owner.equals(holding[0])) {
                        store.abandon(List.of(key), owner, 1_000, LEASE).get(30, TimeUnit.SECONDS);
                    }
                } else {
                    CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(
                            random.nextInt((int) ENTRY_TTL), TimeUnit.MILLISECONDS)).get(30, TimeUnit.SECONDS);
                    if (holding[0] != null && hadLost(holding[0])) {
                        holding[0] = null;
                    }
                }
                assertThat(members(key.queue())).as("step %d: both queue keys agree", step)
                        .containsExactlyInAnyOrderElementsOf(members(key.queueExpiry()));
                for (String name : ourKeys()) {
                    assertThat(pttl(name)).as("step %d: %s has a TTL", step, name).isNotEqualTo(-1L);
                }
            }
            if (holding[0] != null) {
                store.release(key, holding[0], 0).get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** @return whether the lock is no longer {@code owner}'s (its lease cannot end in this test: only a grant's). */
    private boolean hadLost(String owner) {
        return !owner.equals(hget("owner"));
    }

    private void assertQueue(String... owners) {
        List<String> expected = new ArrayList<>();
        for (String owner : owners) {
            expected.add(LEASE + ":" + owner);
        }
        assertThat(RedisCommands.callForList(TestRedis.address(), "ZRANGE", key.queue(), "0", "-1"))
                .containsExactlyElementsOf(expected);
        assertThat(members(key.queueExpiry())).containsExactlyInAnyOrderElementsOf(expected);
    }

    private List<String> members(String zset) {
        return RedisCommands.callForList(TestRedis.address(), "ZRANGE", zset, "0", "-1");
    }

    private List<String> ourKeys() {
        List<String> keys = new ArrayList<>(RedisCommands.callForList(TestRedis.address(), "KEYS",
                key.redisKey() + "*"));
        keys.removeIf(name -> name.contains(":abandoned:"));
        keys.sort(null);
        return keys;
    }

    private String hget(String field) {
        return RedisCommands.call(TestRedis.address(), "HGET", key.redisKey(), field);
    }

    private static long pttl(String name) {
        return RedisCommands.callForLong(TestRedis.address(), "PTTL", name);
    }

    private long arrivalMicros(String owner) {
        return Long.parseLong(RedisCommands.call(TestRedis.address(), "ZSCORE", key.queue(), LEASE + ":" + owner));
    }

    private static long redisMicros() {
        List<String> time = RedisCommands.callForList(TestRedis.address(), "TIME");
        return Long.parseLong(time.get(0)) * 1_000_000L + Long.parseLong(time.get(1));
    }

    private static long redisMillis() {
        return redisMicros() / 1_000;
    }
}
