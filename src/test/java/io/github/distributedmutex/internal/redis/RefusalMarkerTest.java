package io.github.distributedmutex.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.internal.key.LockKey;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.TestAdapters;
import io.github.distributedmutex.testing.TestRedis;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The scripts' answer to an attempt delivered late or twice, on a real Redis: an owner's repeated
 * ACQUIRE answers with its own grant, and an abandoned owner's refusal marker makes a later
 * delivery fail instead of granting a lock nobody holds.
 */
class RefusalMarkerTest {

    private final TestAdapters adapters = TestAdapters.onSharedRedis();
    private final RedisLockStore store = new RedisLockStore(adapters.newClient(), "unused-channel");
    private final LockKey key = LockKey.of("late-delivery", adapters.settings().keyPrefix());

    @AfterEach
    void tearDown() throws Exception {
        adapters.close();
    }

    @Test
    void aRepeatedAcquireByTheHolderAnswersWithItsOwnGrant() throws Exception {
        RedisLockStore.Attempt first = store.tryAcquire(key, "owner-1", 60_000, false).get(30, TimeUnit.SECONDS);
        RedisLockStore.Attempt again = store.tryAcquire(key, "owner-1", 60_000, false).get(30, TimeUnit.SECONDS);
        assertThat(first.acquired()).isTrue();
        assertThat(again.acquired()).isTrue();
        assertThat(again.token()).isEqualTo(first.token());
        assertThat(store.tryAcquire(key, "owner-2", 60_000, false).get(30, TimeUnit.SECONDS).acquired()).isFalse();
    }

    /**
     * An owner whose attempt went unanswered is given back: ABANDON deletes its grant if it got
     * one, and leaves its refusal marker in every case, so another delivery of that owner's attempt
     * (the client may have sent more than one) cannot grant a lock nobody holds.
     */
    @Test
    void anAbandonedOwnersLaterDeliveryIsRefusedEvenAfterItsGrantWasDeleted() throws Exception {
        assertThat(store.tryAcquire(key, "owner-1", 60_000, false).get(30, TimeUnit.SECONDS).acquired()).isTrue();
        assertThat(store.abandon(List.of(key), "owner-1", 60_000, 60_000).get(30, TimeUnit.SECONDS)).as("the grant was deleted").isTrue();

        RedisLockStore.Attempt late = store.tryAcquire(key, "owner-1", 60_000, false).get(30, TimeUnit.SECONDS);
        assertThat(late.acquired()).as("the abandoned owner's late attempt").isFalse();
        assertThat(exists(key.redisKey())).isFalse();
        assertThat(store.tryAcquire(key, "owner-2", 60_000, false).get(30, TimeUnit.SECONDS).acquired())
                .as("anybody else").isTrue();
    }

    @Test
    void anOrdinaryReleaseLeavesNothing() throws Exception {
        assertThat(store.tryAcquire(key, "owner-1", 60_000, false).get(30, TimeUnit.SECONDS).acquired()).isTrue();
        store.release(key, "owner-1", 0).get(30, TimeUnit.SECONDS);
        assertThat(RedisCommands.callForList(TestRedis.address(), "KEYS", adapters.settings().keyPrefix() + "*"))
                .isEmpty();
    }

    private static boolean exists(String redisKey) {
        return RedisCommands.callForLong(TestRedis.address(), "EXISTS", redisKey) == 1;
    }
}
