package io.github.distributedmutex.internal.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.distributedmutex.internal.key.LockKey;
import io.github.distributedmutex.testing.RedisCommands;
import io.github.distributedmutex.testing.TestAdapters;
import io.github.distributedmutex.testing.TestRedis;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Owner ids {@code <instance name>#<adapter>:<sequence>}: the instance name is read back from the
 * right whatever separators it contains, ids never repeat across adapters that share a name, and
 * the per-owner refusal marker of an abandoned attempt works for such owners, in the lock's hash
 * slot.
 */
class OwnerIdTest {

    private static final String WEIRD = "pod:7#blue/{x}~released@a:1";

    private final TestAdapters adapters = TestAdapters.onSharedRedis();

    @AfterEach
    void tearDown() throws Exception {
        adapters.close();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"web-1", "12345@web-1.example.com", "a:1", "a#b", "#", ":", "a:0123456789abcdef:1",
            "x#0123456789abcdef", "~released", WEIRD, "ünïcødé-✓"})
    void theInstanceNameIsReadBackWhole(String instance) {
        String owner = OwnerId.of(OwnerId.newAdapterPart(instance), 17);
        assertThat(owner).startsWith(instance + "#").endsWith(":17");
        assertThat(OwnerId.instanceOf(owner)).isEqualTo(instance);
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"4242-0123456789abcdef:7", "owner-1", "", "web-1#0123456789abcdef:", "web-1#0123456789ABCDEF:1",
            "web-1#0123456789abcde:1", "#0123456789abcdef:1", "web-1#0123456789abcdef:1x", "web-1#0123456789abcdef:1~released"})
    void anOwnerInAnotherFormatHasNoInstance(String owner) {
        assertThat(OwnerId.instanceOf(owner)).isEmpty();
    }

    @Test
    void adaptersSharingAnInstanceNameNeverShareOwnerIds() {
        Set<String> parts = new HashSet<>();
        for (int i = 0; i < 1_000; i++) {
            parts.add(OwnerId.newAdapterPart("same-name"));
        }
        assertThat(parts).hasSize(1_000);
    }

    /** What {@code AbandonedAttempts} relies on, for an owner whose instance name has braces and separators. */
    @Test
    void anAbandonedOwnersMarkerRefusesItsLaterDeliveryInTheLocksSlot() throws Exception {
        RedisLockStore store = new RedisLockStore(adapters.newClient(), "unused-channel");
        LockKey key = LockKey.of("job:{42}", adapters.settings().keyPrefix());
        String owner = OwnerId.of(OwnerId.newAdapterPart(WEIRD), 1);
        String other = OwnerId.of(OwnerId.newAdapterPart(WEIRD), 1);

        assertThat(store.tryAcquire(key, owner, 60_000, false).get(30, TimeUnit.SECONDS).acquired()).isTrue();
        assertThat(store.abandon(List.of(key), owner, 60_000, 60_000).get(30, TimeUnit.SECONDS)).as("the grant was deleted").isTrue();
        String marker = key.abandonedMarker(owner);
        assertThat(RedisCommands.callForLong(TestRedis.address(), "EXISTS", marker)).isEqualTo(1);
        assertThat(hashTag(marker)).as("the marker's hash tag").isEqualTo(hashTag(key.redisKey()));

        assertThat(store.tryAcquire(key, owner, 60_000, false).get(30, TimeUnit.SECONDS).acquired())
                .as("the abandoned owner's late attempt").isFalse();
        assertThat(store.tryAcquire(key, other, 60_000, false).get(30, TimeUnit.SECONDS).acquired())
                .as("another owner of the same instance").isTrue();
        store.release(key, other, 0).get(30, TimeUnit.SECONDS);
        RedisCommands.call(TestRedis.address(), "DEL", marker);
    }

    /** The hash tag Redis Cluster hashes: from the first '{' to the first '}' after it. */
    private static String hashTag(String redisKey) {
        int open = redisKey.indexOf('{');
        int close = redisKey.indexOf('}', open + 1);
        return redisKey.substring(open + 1, close);
    }
}
